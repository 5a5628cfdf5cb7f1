// `npm start`'s last step: the web server and the device run side by side, and one Ctrl-C
// (SIGINT) stops both cleanly; if one of them dies, the other is stopped too.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alive, freePort, until } from '../helpers/cellbox';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function startServe(port?: number, dataDir?: string) {
  port ??= await freePort();
  dataDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-serve-'));
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

  // They ran on without it: the web server holding the port, the device its cells and the
  // data directory, so that the next start found both taken.
  it('killed outright (SIGKILL), takes the device and the web server with it, and starts again on the same port and data', async () => {
    const s = await startServe();
    const children = fs.readFileSync(`/proc/${s.proc.pid}/task/${s.proc.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    try {
      expect(children).toContain(s.devicePid);
      expect(children).toHaveLength(2);
      s.proc.kill('SIGKILL');
      await until('the device and the web server to stop', () => children.every((pid) => !alive(pid)));
      await expect(fetch(`http://127.0.0.1:${s.port}/healthz`)).rejects.toThrow();

      const again = await startServe(s.port, s.dataDir);
      again.proc.kill('SIGINT');
      expect(await again.exited).toBe(0);
    } finally {
      // On a failure, what was left running goes too.
      for (const pid of children) if (alive(pid)) process.kill(pid, 'SIGTERM');
      fs.rmSync(s.dataDir, { recursive: true });
    }
  });

  it('says in one line why it cannot start, and stops: a port in use', async () => {
    const s = await startServe();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-serve-'));
    try {
      const other = spawn(process.execPath, [path.join(root, 'scripts/serve.mjs')], {
        cwd: root,
        env: { ...process.env, PORT: String(s.port), CELLBOX_DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      other.stdout.on('data', (d) => (log += d));
      other.stderr.on('data', (d) => (log += d));
      const code = await new Promise<number | null>((r) => other.once('exit', (c) => r(c)));
      expect(code).not.toBe(0);
      expect(log).toContain(`[web] error: port ${s.port} is in use by another program; stop it, or set PORT (or "port" in cellbox.config.json) to a free one`);
      expect(log).not.toMatch(/^\s+at /m);
    } finally {
      s.proc.kill('SIGINT');
      await s.exited;
      fs.rmSync(s.dataDir, { recursive: true });
      fs.rmSync(dataDir, { recursive: true });
    }
  });
});
