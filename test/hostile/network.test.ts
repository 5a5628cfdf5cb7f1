// Attack: reach the network from a cell. TCP, UDP and DNS to the internet; TCP and UDP to the
// host's loopback and to every address of the host; an abstract Unix socket of the host (they
// live in the network namespace, not the file system); and Cellbox's own HTTP port, to submit
// cells or read others' output through the API.
// Must happen: every attempt fails inside the sandbox (its only interface is its own `lo`), the
// host's listeners never see a connection or a datagram, a cell whose last statement is the
// attempt ends with that language's error as a Jupyter `error`, the next cell runs, and the
// server stays healthy.
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, expectStopped, reportOf } from '../helpers/hostile';

let box: Cellbox;
let tcp: net.Server;
let udp4: dgram.Socket;
let udp6: dgram.Socket;
let abstract: net.Server;
const abstractName = `cellbox-hostile-${process.pid}-${Date.now()}`;
const seen = { tcp: 0, udp: 0, abstract: 0 };
let port = 0;
let udpPort = 0;

/** Every address of the host, loopback included: a sandbox with the host's network would reach one. */
function hostAddresses(): string[] {
  const all = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []).map((a) => a.address);
  return [...new Set(['127.0.0.1', '::1', ...all.filter((a) => !a.startsWith('fe80'))])];
}

/** Internet addresses that answer from anywhere with a network: TCP 80 and DNS on 53. */
const INTERNET = ['1.1.1.1', '8.8.8.8'];

function listen(server: net.Server, where: number | string): Promise<void> {
  return new Promise((resolve) => server.listen(where, () => resolve()));
}

beforeAll(async () => {
  // Listeners on the host that count whatever reaches them: all addresses, TCP and UDP.
  tcp = net.createServer((s) => {
    seen.tcp++;
    s.destroy();
  });
  await listen(tcp, 0); // every address, IPv4 and IPv6
  port = (tcp.address() as net.AddressInfo).port;
  udp4 = dgram.createSocket('udp4', () => seen.udp++);
  await new Promise<void>((r) => udp4.bind(0, '0.0.0.0', () => r()));
  udpPort = udp4.address().port;
  udp6 = dgram.createSocket({ type: 'udp6', ipv6Only: true }, () => seen.udp++);
  await new Promise<void>((r) => udp6.bind(udpPort, '::', () => r()));
  abstract = net.createServer((s) => {
    seen.abstract++;
    s.destroy();
  });
  await listen(abstract, `\0${abstractName}`);
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '20' });
});

afterAll(async () => {
  await box?.stop();
  tcp?.close();
  abstract?.close();
  udp4?.close();
  udp6?.close();
});

/** The listeners work: from the host itself every one of them counts. Then back to zero. */
async function checkListenersFromHost(): Promise<void> {
  await new Promise<void>((resolve, reject) => net.connect(port, '127.0.0.1').on('connect', resolve).on('error', reject));
  await new Promise<void>((resolve, reject) => net.connect(`\0${abstractName}`).on('connect', resolve).on('error', reject));
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.send('x', udpPort, '127.0.0.1', () => r()));
  s.close();
  const until = Date.now() + 2000;
  while ((seen.tcp < 1 || seen.abstract < 1 || seen.udp < 1) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(seen).toEqual({ tcp: 1, udp: 1, abstract: 1 });
  seen.tcp = seen.udp = seen.abstract = 0;
}

/** Gives a datagram or connection still on its way a moment to arrive, then reads the counters. */
async function hostSaw(): Promise<typeof seen> {
  await new Promise((r) => setTimeout(r, 300));
  return { ...seen };
}

describe('network out', () => {
  it('the host listeners this file counts with do count (from the host)', checkListenersFromHost);

  it('Python reaches nothing: not the internet, DNS, the host on any address, an abstract socket, or Cellbox', async () => {
    const targets = { hosts: hostAddresses(), internet: INTERNET, port, udpPort, abstract: abstractName, cellbox: box.port };
    const ms = await run(box.url, `
import errno, json, socket, urllib.request
t = json.loads(${JSON.stringify(JSON.stringify(targets))})
def outcome(f):
    try:
        f()
        return "open"
    except OSError as e:
        return errno.errorcode.get(e.errno, type(e).__name__) if e.errno else type(e).__name__
def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET
def tcp(host, port):
    with socket.socket(family(host)) as s:
        s.settimeout(3)
        s.connect((host, port))
def udp(host, port):
    with socket.socket(family(host), socket.SOCK_DGRAM) as s:
        s.sendto(b"cellbox-udp", (host, port))
def unix_abstract(name):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect("\\0" + name)
result = {
    "tcp_host": {h: outcome(lambda: tcp(h, t["port"])) for h in t["hosts"]},
    "tcp_cellbox": outcome(lambda: tcp("127.0.0.1", t["cellbox"])),
    "tcp_internet": {h: outcome(lambda: tcp(h, 80)) for h in t["internet"]},
    "udp_internet": {h: outcome(lambda: udp(h, 53)) for h in t["internet"]},
    "dns": outcome(lambda: socket.getaddrinfo("example.com", 80)),
    "abstract": outcome(lambda: unix_abstract(t["abstract"])),
    "interfaces": sorted(name for _, name in socket.if_nameindex()),
}
for h in t["hosts"]:
    outcome(lambda: udp(h, t["udpPort"]))  # sent or not, the host's listener must see nothing
print(json.dumps(result))
# The last statement calls Cellbox's own API, uncaught: the cell ends with its error.
urllib.request.urlopen(f"http://127.0.0.1:{t['cellbox']}/api/v1/languages", timeout=3)
`);
    const result = reportOf(ms);
    for (const [host, how] of Object.entries(result.tcp_host)) expect(how, `TCP to ${host}`).not.toBe('open');
    for (const [host, how] of Object.entries(result.tcp_internet)) expect(how, `TCP to ${host}`).not.toBe('open');
    for (const [host, how] of Object.entries(result.udp_internet)) expect(how, `UDP to ${host}`).not.toBe('open');
    expect(result.tcp_cellbox).toBe('ECONNREFUSED'); // its own loopback, where nothing listens
    expect(result.dns).toBe('gaierror');
    expect(result.abstract).toBe('ECONNREFUSED');
    expect(result.interfaces).toEqual(['lo']);
    expectStopped(ms, 'URLError', /Connection refused/);
    expect(await hostSaw()).toEqual({ tcp: 0, udp: 0, abstract: 0 });
    await expectRecovered(box, ['python']);
  });

  it('Bash reaches nothing through /dev/tcp, /dev/udp or the resolver, and not Cellbox', async () => {
    const hosts = hostAddresses().filter((h) => !h.includes(':')); // bash's /dev/tcp takes IPv4 here
    const ms = await run(box.url, `
for h in ${hosts.join(' ')}; do
  if timeout 3 bash -c "exec 9<>/dev/tcp/$h/${port}" 2>/dev/null; then echo "tcp $h open"; else echo "tcp $h blocked"; fi
  echo cellbox-udp 2>/dev/null >/dev/udp/$h/${udpPort}
done
for h in ${INTERNET.join(' ')}; do
  if timeout 3 bash -c "exec 9<>/dev/tcp/$h/80" 2>/dev/null; then echo "tcp $h open"; else echo "tcp $h blocked"; fi
  if timeout 3 bash -c "echo x >/dev/udp/$h/53" 2>/dev/null; then echo "udp $h open"; else echo "udp $h blocked"; fi
done
if getent hosts example.com >/dev/null 2>&1; then echo "dns open"; else echo "dns blocked"; fi
echo "interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | paste -sd,)"
# Last: Cellbox's own port, which fails the cell.
exec 9<>/dev/tcp/127.0.0.1/${box.port}
`, 'bash');
    const lines = stdout(ms).trim().split('\n');
    expect(lines.filter((l) => /^(tcp|udp|dns) /.test(l) && !l.endsWith(' blocked'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('tcp '))).toHaveLength(hosts.length + INTERNET.length);
    expect(lines).toContain('dns blocked');
    expect(lines).toContain('interfaces: lo');
    expectStopped(ms, 'ExitStatus', /exit status 1/);
    expect(await hostSaw()).toEqual({ tcp: 0, udp: 0, abstract: 0 });
    await expectRecovered(box, ['bash']);
  });

  it('JavaScript reaches nothing through net, dgram, dns or fetch, and not Cellbox', async () => {
    const targets = { hosts: hostAddresses(), internet: INTERNET, port, udpPort, abstract: abstractName, cellbox: box.port };
    const ms = await run(box.url, `
const net = require('node:net'), dgram = require('node:dgram'), dns = require('node:dns/promises');
const t = ${JSON.stringify(targets)};
const tcp = (host, port) => new Promise((resolve) => {
  const s = net.connect({ host, port, timeout: 3000 });
  s.on('connect', () => { s.destroy(); resolve('open'); });
  s.on('timeout', () => { s.destroy(); resolve('timeout'); });
  s.on('error', (e) => resolve(e.code));
});
const udp = (host, port) => new Promise((resolve) => {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  s.on('error', (e) => { s.close(); resolve(e.code); });
  s.send('cellbox-udp', port, host, (e) => { s.close(); resolve(e ? e.code : 'sent'); });
});
const result = { tcp_host: {}, tcp_internet: {}, udp_host: {}, udp_internet: {} };
for (const h of t.hosts) { result.tcp_host[h] = await tcp(h, t.port); result.udp_host[h] = await udp(h, t.udpPort); }
for (const h of t.internet) { result.tcp_internet[h] = await tcp(h, 80); result.udp_internet[h] = await udp(h, 53); }
result.abstract = await new Promise((resolve) => net.connect('\\0' + t.abstract).on('connect', () => resolve('open')).on('error', (e) => resolve(e.code)));
result.dns = await dns.lookup('example.com').then(() => 'open', (e) => e.code);
console.log(JSON.stringify(result));
await fetch('http://127.0.0.1:' + t.cellbox + '/api/v1/languages');
`, 'javascript');
    const result = reportOf(ms);
    for (const group of ['tcp_host', 'tcp_internet', 'udp_internet']) {
      for (const [host, how] of Object.entries(result[group])) expect(how, `${group} ${host}`).not.toBe('open');
    }
    for (const [host, how] of Object.entries(result.udp_internet)) expect(how, `UDP to ${host}`).not.toBe('sent');
    expect(result.abstract).toBe('ECONNREFUSED');
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(result.dns);
    expectStopped(ms, 'TypeError', /fetch failed/);
    expect(await hostSaw()).toEqual({ tcp: 0, udp: 0, abstract: 0 });
    await expectRecovered(box, ['javascript']);
  });
});
