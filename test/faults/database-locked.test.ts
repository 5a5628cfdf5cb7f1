// Another process holds the database's write lock for seconds (a backup tool, an operator's
// sqlite3 shell): requests get a clear 503 or wait, the running cell is not lost, and when
// the lock goes every accepted cell ends with its final messages.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, freePort, get, messagesUntilDone, post, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';
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

  it('takes two interrupts of one running cell at once, from two web servers, as one write', async () => {
    // A second web server on the same data: each one's interrupt reads the cell unflagged while
    // the lock is held, then both wait for the lock. Both flagged it: two writes (and rings) for
    // one interrupt.
    const port = await freePort();
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const other = spawn(process.execPath, [path.join(root, 'scripts/web.mjs'), '-p', String(port), '-H', '127.0.0.1'], { cwd: root, env: { ...box.env, PORT: String(port) }, stdio: 'ignore' });
    const file = path.join(box.dataDir, 'cellbox.sqlite');
    // What writes the flag, as SQLite sees it: a trigger records each UPDATE that sets it.
    const db = new Database(file);
    try {
      const otherUrl = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 600 && !(await fetch(`${otherUrl}/api/v1/languages`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
      db.exec(`CREATE TABLE test_interrupt_writes (cell_id TEXT);
               CREATE TRIGGER test_interrupt_writes AFTER UPDATE OF interrupt ON cells BEGIN INSERT INTO test_interrupt_writes VALUES (NEW.id); END;`);
      // Deaf to SIGINT: it lives out the interrupt's grace, so that the second interrupt comes while it runs.
      const cell = await post(`${box.url}/api/v1/cells?wait=5`, { code: 'import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint("on", flush=True)\ntime.sleep(30)' });
      expect(cell.body.answer.state).toBe('running');
      const id = cell.body.id;

      const released = await holdWriteLock(file, 1500);
      const [a, b] = await Promise.all([
        post(`${box.url}/api/v1/cells/${id}/interrupt`, ''),
        post(`${otherUrl}/api/v1/cells/${id}/interrupt`, ''),
      ]);
      await released();
      expect([a.status, b.status]).toEqual([202, 202]);
      const ms = await messagesUntilDone(box.url, id);
      expect(errorOf(ms)?.ename).toBe('Interrupted');
      const writes = db.prepare(`SELECT cell_id FROM test_interrupt_writes`).pluck().all();
      expect(writes).toEqual([id]);
    } finally {
      db.exec(`DROP TRIGGER IF EXISTS test_interrupt_writes; DROP TABLE IF EXISTS test_interrupt_writes;`);
      db.close();
      other.kill('SIGTERM');
      await new Promise((r) => (other.exitCode !== null ? r(null) : other.once('exit', r)));
    }
  }, 90_000);
});
