// Where the web server listens: on every address of the machine unless the host sets one
// (CELLBOX_HOST, "host" in cellbox.config.json, or `-H`). Behind a reverse proxy on the same
// machine a host binds 127.0.0.1, so that nothing reaches Cellbox around the proxy; before
// CELLBOX_HOST, `npm start` always listened on every address. Read from the kernel's own table
// of listening sockets, not from the server's word.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runUntilExit } from '../helpers/cellbox';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-listen-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The local addresses of the sockets listening on `port`, as `/proc/net/tcp{,6}` give them (hex). */
function listening(port: number): string[] {
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue; // 0A: LISTEN
      const [address, hexPort] = local.split(':');
      if (parseInt(hexPort, 16) === port) found.push(address);
    }
  }
  return found;
}

/** Starts the web server alone with `env`, returns the addresses it listens on, and stops it. */
async function addressesOf(env: Record<string, string>, args: string[] = []): Promise<string[]> {
  const port = await freePort();
  const web = spawn(process.execPath, [path.join(root, 'scripts/web.mjs'), ...args], {
    cwd: root,
    env: { ...process.env, PORT: String(port), CELLBOX_DATA_DIR: path.join(tmp, 'data'), CELLBOX_LANGUAGES: 'bash', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  web.stdout.on('data', (d) => (log += d));
  web.stderr.on('data', (d) => (log += d));
  const exited = new Promise((r) => web.once('exit', r));
  try {
    for (let i = 0; i < 600 && !log.includes('[web] ready'); i++) {
      if (web.exitCode !== null) throw new Error(`the web server stopped:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(log).toContain('[web] ready');
    return listening(port);
  } finally {
    web.kill('SIGTERM');
    await exited;
  }
}

const LOOPBACK_V4 = '0100007F'; // 127.0.0.1, as /proc/net/tcp writes it
const ANY = /^0+$/; // 0.0.0.0 or ::

describe('the web server listens', () => {
  it('on every address when no host is set', async () => {
    const addresses = await addressesOf({});
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.every((a) => ANY.test(a))).toBe(true);
  });

  it('on the address CELLBOX_HOST names, and only there', async () => {
    expect(await addressesOf({ CELLBOX_HOST: '127.0.0.1' })).toEqual([LOOPBACK_V4]);
  });

  it('on the address -H names, over CELLBOX_HOST', async () => {
    expect(await addressesOf({ CELLBOX_HOST: '0.0.0.0' }, ['-H', '127.0.0.1'])).toEqual([LOOPBACK_V4]);
  });

  it('nowhere, refusing in one line, when CELLBOX_HOST is no address of this machine', async () => {
    const port = await freePort();
    const { code, output } = await runUntilExit(['scripts/web.mjs'], {
      ...process.env,
      PORT: String(port),
      CELLBOX_DATA_DIR: path.join(tmp, 'data'),
      CELLBOX_LANGUAGES: 'bash',
      CELLBOX_HOST: '192.0.2.1', // TEST-NET-1: never a machine's own
    });
    expect(code).toBe(2);
    expect(output).toMatch(/^\[web\] error: CELLBOX_HOST \(or "host" in cellbox\.config\.json\) 192\.0\.2\.1 is not an address of this machine/m);
  });
});
