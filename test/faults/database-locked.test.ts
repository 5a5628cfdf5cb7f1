// Another process holds the database's write lock for seconds (a backup tool, an operator's
// sqlite3 shell): requests get a clear 503 or wait, the running cell is not lost, and when
// the lock goes every accepted cell ends with its final messages.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, messagesUntilDone, post, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';
import { holdWriteLock } from '../helpers/database-lock';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox();
});

afterAll(async () => {
  await box?.stop();
});

describe('a database locked by another process', () => {
  it('holds up writers for a while, without a 500, a crash or a lost cell', async () => {
    const running = await post(`${box.url}/api/v1/cells`, { code: 'import time\nprint("one", flush=True)\ntime.sleep(1)\nprint("two")' });
    await get(`${box.url}/api/v1/cells/${running.body.id}/messages?after=2&wait=10`);
    const released = await holdWriteLock(path.join(box.dataDir, 'cellbox.sqlite'), 7000);

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
