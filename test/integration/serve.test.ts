// `npm start`'s last step: the web server and the device run side by side, and one Ctrl-C
// (SIGINT) stops both cleanly; if one of them dies, the other is stopped too.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alive, freePort } from '../helpers/cellbox';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function startServe() {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-serve-'));
  const proc = spawn(process.execPath, [path.join(root, 'scripts/serve.mjs')], {
    cwd: root,
    env: { ...process.env, PORT: String(port), CELLBOX_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d) => (log += d));
  proc.stderr.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  let health: { device: { pid: number } } | null = null;
  // Up when Python is offered: the device lists a language once its first worker is warm.
  for (let i = 0; i < 600 && !health; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      const languages = await fetch(`http://127.0.0.1:${port}/api/v1/languages`).then((r) => r.json());
      if (res.ok && languages.some((l: { name: string }) => l.name === 'python')) health = await res.json();
    } catch {
      // not up yet
    }
    if (!health) await new Promise((r) => setTimeout(r, 100));
  }
  if (!health) throw new Error(`serve did not come up:\n${log}`);
  return { proc, port, dataDir, exited, devicePid: health.device.pid, log: () => log };
}

describe('serve', () => {
  it('stops the web server and the device on SIGINT, keeping the data', async () => {
    const s = await startServe();
    const cell = await fetch(`http://127.0.0.1:${s.port}/api/v1/execute`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"code": "print(1)"}' });
    expect((await cell.json()).stdout).toBe('1\n');
    s.proc.kill('SIGINT');
    expect(await s.exited).toBe(0);
    expect(alive(s.devicePid)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${s.port}/healthz`)).rejects.toThrow();
    expect(fs.existsSync(path.join(s.dataDir, 'cellbox.sqlite'))).toBe(true);
    fs.rmSync(s.dataDir, { recursive: true });
  });

  it('stops everything, with a non-zero status, when the device dies', async () => {
    const s = await startServe();
    process.kill(s.devicePid, 'SIGKILL');
    expect(await s.exited).not.toBe(0);
    expect(s.log()).toContain('the device stopped');
    await expect(fetch(`http://127.0.0.1:${s.port}/healthz`)).rejects.toThrow();
    fs.rmSync(s.dataDir, { recursive: true });
  });
});
