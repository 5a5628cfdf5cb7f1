// Another process holds the database's write lock for seconds (a backup tool, an operator's
// sqlite3 shell): requests get a clear 503 or wait, the running cell is not lost, and when
// the lock goes every accepted cell ends with its final messages.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, messagesUntilDone, post, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';

const root = fileURLToPath(new URL('../../', import.meta.url));
let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox();
});

afterAll(async () => {
  await box?.stop();
});

/** A separate process that takes the write lock, says so, and holds it for `ms`. */
function holdLock(file: string, ms: number): Promise<() => Promise<void>> {
  const script = `
    const Database = require(${JSON.stringify(path.join(root, 'node_modules/better-sqlite3'))});
    const db = new Database(${JSON.stringify(file)});
    db.exec('BEGIN IMMEDIATE');
    console.log('locked');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${ms});`;
  const p = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    p.stdout.once('data', () => resolve(() => new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', () => r())))));
  });
}

describe('a database locked by another process', () => {
  it('holds up writers for a while, without a 500, a crash or a lost cell', async () => {
    const running = await post(`${box.url}/api/v1/cells`, { code: 'import time\nprint("one", flush=True)\ntime.sleep(1)\nprint("two")' });
    await get(`${box.url}/api/v1/cells/${running.body.id}/messages?after=2&wait=10`);
    const released = await holdLock(path.join(box.dataDir, 'cellbox.sqlite'), 7000);

    // Longer than the 5 s busy timeout: a new cell is refused, clearly, or accepted.
    const during = await post(`${box.url}/api/v1/cells`, { code: 'print("during")' });
    expect([201, 503]).toContain(during.status);
    if (during.status === 503) {
      expect(during.body.error.code).toBe('unavailable');
      expect(during.headers.get('retry-after')).toBeTruthy();
    }
    await released();

    const ms = await messagesUntilDone(box.url, running.body.id);
    expect(stdout(ms)).toBe('one\ntwo\n');
    if (during.status === 201) expect(stdout(await messagesUntilDone(box.url, during.body.id))).toBe('during\n');
    // The device lived through it and runs cells as before.
    const after = await post(`${box.url}/api/v1/cells`, { code: 'print("after")' });
    expect(stdout(await messagesUntilDone(box.url, after.body.id))).toBe('after\n');
    expect(box.device.exitCode).toBeNull();
    expect((await get(`${box.url}/healthz`)).body.cells).toEqual({ queued: 0, running: 0 });
  }, 60_000);
});
