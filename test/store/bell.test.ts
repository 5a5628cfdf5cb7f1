// The doorbell between web and device: a ring on one side reaches the other, the web side
// reconnects when the device comes back, and two databases never share a bell.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bellAddress, createBell, type Bell } from '../../store/bell';

const open: Bell[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const b of open.splice(0)) b.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function dbFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-bell-'));
  dirs.push(dir);
  return path.join(dir, 'cellbox.sqlite');
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

function bell(file: string, role: 'web' | 'device') {
  const rings = { count: 0 };
  const b = createBell(file, role, () => rings.count++);
  open.push(b);
  return { b, rings };
}

describe('the doorbell', () => {
  it('carries rings both ways once the web process has connected to the device', async () => {
    const file = dbFile();
    const device = bell(file, 'device');
    const web = bell(file, 'web');
    await until('the connection', () => web.b.connected() && device.b.connected());
    const before = web.rings.count;
    device.b.ring();
    await until('the ring at the web process', () => web.rings.count > before);
    web.b.ring();
    await until('the ring at the device', () => device.rings.count > 0);
  });

  it('sends a ring at once, not after the rest of the work that rang', async () => {
    const file = dbFile();
    const device = bell(file, 'device');
    // The other side in a process of its own, so that it hears the ring while this one works on.
    const other = spawn(process.execPath, ['-e', `
      const s = require('node:net').connect(${JSON.stringify(bellAddress(file))});
      s.on('connect', () => console.log('connected'));
      s.on('data', () => { console.log('rung ' + Date.now()); process.exit(0); });
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    let said = '';
    other.stdout.on('data', (d) => (said += d));
    try {
      await until('the connection', () => said.includes('connected') && device.b.connected());
      device.b.ring();
      // The rest of the work (a POST's answer, say), synchronous: a deferred ring waits for it.
      const workEnds = Date.now() + 1000;
      while (Date.now() < workEnds);
      await until('the ring', () => said.includes('rung'));
      expect(Number(/rung (\d+)/.exec(said)![1])).toBeLessThan(workEnds);
    } finally {
      other.kill();
    }
  });

  it('is reached again after the device restarts, and the web side looks at once on reconnecting', async () => {
    const file = dbFile();
    const first = bell(file, 'device');
    const web = bell(file, 'web');
    await until('the connection', () => web.b.connected());
    first.b.close();
    await until('the web side to notice', () => !web.b.connected());
    const before = web.rings.count;
    const second = bell(file, 'device');
    await until('the reconnection', () => web.b.connected() && second.b.connected());
    expect(web.rings.count).toBeGreaterThan(before);
  });

  it('belongs to one database: the device of another is never rung', async () => {
    const a = dbFile();
    const deviceA = bell(a, 'device');
    const deviceB = bell(dbFile(), 'device');
    const web = bell(a, 'web');
    await until('the connection', () => web.b.connected());
    web.b.ring();
    await until('the ring at its own device', () => deviceA.rings.count > 0);
    expect(deviceB.b.connected()).toBe(false);
    expect(deviceB.rings.count).toBe(0);
  });
});
