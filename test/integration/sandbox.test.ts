// One test per line of the brief's "Sandbox" section, each run as a real cell through the
// real server and device, so what is checked is what a cell meets.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, replyOf, run, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;
const project = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..', '..');

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '8', CELLBOX_SECRET_TOKEN: 'do-not-leak' });
});

afterAll(async () => {
  await box?.stop();
});

/** Runs Python and returns its stdout, failing the test if the cell itself failed. */
async function py(code: string): Promise<string> {
  const ms = await run(box.url, code);
  const e = errorOf(ms);
  if (e) throw new Error(`cell failed: ${e.ename}: ${e.evalue}\n${e.traceback.join('\n')}`);
  return stdout(ms);
}

describe('namespaces and network', () => {
  it('has no network at all: not the internet, not DNS, not the host loopback, not Cellbox itself', async () => {
    const out = await py(`
import socket
def attempt(f):
    try:
        f(); return "open"
    except OSError as e:
        return "blocked"
def tcp(host, port):
    s = socket.socket(); s.settimeout(2); s.connect((host, port))
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"x", ("1.1.1.1", 53))
print(attempt(lambda: tcp("127.0.0.1", ${box.port})), attempt(lambda: tcp("1.1.1.1", 80)), attempt(udp), attempt(lambda: socket.getaddrinfo("example.com", 80)))
print(sorted(i[1] for i in socket.if_nameindex()))
`);
    const [reach, ifaces] = out.trim().split('\n');
    expect(reach).toBe('blocked blocked blocked blocked');
    expect(ifaces).toBe("['lo']");
  });

  it('runs in its own PID namespace: it sees only its own processes', async () => {
    const out = await py('import os\nprint(sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))');
    const pids = JSON.parse(out);
    expect(pids.length).toBeLessThanOrEqual(4);
    expect(Math.min(...pids)).toBe(1);
  });

  it('runs as a non-root user', async () => {
    expect((await py('import os\nprint(os.getuid(), os.geteuid(), os.getgid())')).trim()).toBe('1000 1000 1000');
  });
});

describe('the file system', () => {
  it('has a read-only system', async () => {
    const out = await py(`
import errno
for p in ["/usr/bin/cellbox-x", "/etc/cellbox-x", "/cellbox-x", "/bin/cellbox-x"]:
    try:
        open(p, "w"); print("writable", p)
    except OSError as e:
        print("refused")
`);
    expect(out.trim().split('\n')).toEqual(['refused', 'refused', 'refused', 'refused']);
  });

  it('sees nothing of the project, the data dir, /root, /home or the host /tmp', async () => {
    const marker = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-marker-'));
    try {
      const paths = [project, box.dataDir, path.join(box.dataDir, 'cellbox.sqlite'), '/root', '/home', marker, '/etc/shadow', '/etc/passwd'];
      const out = await py(`import os\nprint([os.path.exists(p) for p in ${JSON.stringify(paths)}])\nprint(os.listdir("/tmp"))`);
      const [exists, tmp] = out.trim().split('\n');
      expect(exists).toBe(`[${paths.map(() => 'False').join(', ')}]`);
      expect(tmp).toBe('[]');
    } finally {
      fs.rmSync(marker, { recursive: true });
    }
  });

  it('works in a fresh private directory that is its cwd and HOME, and is gone afterwards', async () => {
    const first = await py('import os\nprint(os.getcwd(), os.environ["HOME"], os.listdir("."))\nopen("left.txt", "w").write("x")');
    expect(first.trim()).toBe('/cell /cell []');
    expect((await py('import os\nprint(os.listdir("."))')).trim()).toBe('[]');
  });
});

describe('limits', () => {
  it('sets the rlimits: processes, CPU, file size, no core dumps', async () => {
    const out = await py('import resource as r\nprint([r.getrlimit(x)[0] for x in (r.RLIMIT_NPROC, r.RLIMIT_CPU, r.RLIMIT_FSIZE, r.RLIMIT_CORE, r.RLIMIT_AS)])');
    expect(JSON.parse(out)).toEqual([64, 30, 10 * 1024 * 1024, 0, 512 * 1024 * 1024]);
  });

  it('a fork bomb is contained by the process limit and the next cell runs', async () => {
    const ms = await run(box.url, 'import os\nn = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            import time; time.sleep(30)\n        n += 1\nexcept OSError as e:\n    print("stopped after", n, e.errno)');
    expect(stdout(ms)).toMatch(/stopped after \d+ 11/);
    expect(Number(/after (\d+)/.exec(stdout(ms))![1])).toBeLessThan(64);
    expect(await py('print("still fine")')).toBe('still fine\n');
  });

  it('kills the whole process tree at the wall time, even processes that left the session', async () => {
    const tag = `cellbox-orphan-${Date.now()}`;
    const ms = await run(box.url, `import subprocess, time\nsubprocess.Popen(["setsid", "bash", "-c", "exec -a ${tag} sleep 300"])\ntime.sleep(60)`, 'python', { timeout: 1 });
    expect(errorOf(ms)?.ename).toBe('TimeoutError');
    await new Promise((r) => setTimeout(r, 300));
    const ps = execFileSync('ps', ['-eo', 'args']).toString();
    expect(ps).not.toContain(tag);
  });

  it('kills processes a finished cell left behind', async () => {
    const tag = `cellbox-bg-${Date.now()}`;
    await py(`import subprocess\nsubprocess.Popen(["bash", "-c", "exec -a ${tag} sleep 300"])\nprint("left")`);
    await new Promise((r) => setTimeout(r, 300));
    expect(execFileSync('ps', ['-eo', 'args']).toString()).not.toContain(tag);
  });

  it('caps output at 1 MiB with OutputLimitExceeded, on stderr too', async () => {
    const ms = await run(box.url, 'import sys\nwhile True: sys.stderr.write("e" * 4096)');
    expect(errorOf(ms)?.ename).toBe('OutputLimitExceeded');
    expect(replyOf(ms).status).toBe('error');
  });

  it('caps a single file at 10 MiB', async () => {
    const out = await py('try:\n    open("big", "wb").write(b"x" * (11 * 1024 * 1024))\nexcept OSError as e:\n    print("refused", e.errno)');
    expect(out.trim()).toBe('refused 27');
  });
});

describe('environment and descriptors', () => {
  it('has a minimal environment: nothing of the server reaches it', async () => {
    const env = JSON.parse(await py('import os, json\nprint(json.dumps(dict(os.environ)))'));
    expect(Object.keys(env).filter((k) => /^(CELLBOX_|npm_|PORT$|NODE_|VITEST)/.test(k))).toEqual([]);
    expect(JSON.stringify(env)).not.toContain('do-not-leak');
    expect(env).toMatchObject({ PATH: expect.any(String), HOME: '/cell', LANG: 'C.UTF-8' });
  });

  it('has no file descriptor but stdin, stdout, stderr and the worker pipe', async () => {
    const out = await py('import os\nfds = sorted(int(f) for f in os.listdir("/proc/self/fd"))\nprint([f for f in fds if os.path.exists(f"/proc/self/fd/{f}") and not os.readlink(f"/proc/self/fd/{f}").startswith("/proc")])');
    expect(out.trim()).toBe('[0, 1, 2, 3]');
  });

  it('a subprocess of the cell sees the same minimal descriptors', async () => {
    const ms = await run(box.url, 'ls /proc/self/fd | sort -n | tr "\\n" " "', 'bash');
    // ls's own directory descriptor is the one past stderr.
    expect(stdout(ms).trim().split(' ').map(Number).filter((n) => n > 3).length).toBeLessThanOrEqual(1);
  });
});

describe('isolation between cells', () => {
  it('one cell cannot see or signal another running cell', async () => {
    const tag = `cellbox-peer-${Date.now()}`;
    const peer = run(box.url, `import subprocess, time\nsubprocess.Popen(["bash", "-c", "exec -a ${tag} sleep 5"])\ntime.sleep(3)\nprint("peer done")`);
    await new Promise((r) => setTimeout(r, 800));
    const out = await py(`import os\nfound = []\nfor p in os.listdir("/proc"):\n    if p.isdigit():\n        try:\n            found.append(open(f"/proc/{p}/cmdline").read())\n        except OSError: pass\nprint(any("${tag}" in c for c in found))`);
    expect(out.trim()).toBe('False');
    expect(stdout(await peer)).toBe('peer done\n');
  });
});
