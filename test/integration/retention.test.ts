// Retention (brief, "Persistence"): finished cells, their messages and their files are dropped
// after `retentionHours`; snippets are kept. And nothing is left to grow for good: files whose
// cell an earlier sweep dropped without them (it failed between the two databases) were kept
// forever, since the sweep only dropped the files of the cells it was dropping.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, messagesUntilDone, post, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';

/** Retention of 1.8 s: the device sweeps at its start, so a restart after that drops what ended before. */
const RETENTION_HOURS = 0.0005;
let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_RETENTION_HOURS: String(RETENTION_HOURS) });
});

afterAll(async () => {
  await box?.stop();
});

describe('retention', () => {
  it('drops old cells with their messages and files, and files an earlier sweep left, and keeps snippets', async () => {
    const cell = await post(`${box.url}/api/v1/cells`, { code: 'open("out.txt", "w").write("kept a while")\nprint("done")' });
    expect(stdout(await messagesUntilDone(box.url, cell.body.id))).toBe('done\n');
    const fileUrl = `${box.url}/files/${cell.body.id}/out.txt`;
    expect((await get(fileUrl)).body).toBe('kept a while');
    const snippet = await post(`${box.url}/api/v1/snippets`, { code: 'print(1)', language: 'python' });
    expect(snippet.status).toBe(201);

    // A file whose cell is long gone, as a sweep that failed after dropping the cells leaves it.
    const filestore = new Database(path.join(box.dataDir, 'files.sqlite'));
    const old = Date.now() - 2 * 24 * 3600 * 1000;
    filestore.prepare('INSERT INTO files (cell_id, name, size, content_type, created) VALUES (?, ?, ?, ?, ?)').run('goneGoneGone', 'left.txt', 4, 'text/plain', old);
    filestore.prepare('INSERT INTO chunks (cell_id, name, idx, data) VALUES (?, ?, ?, ?)').run('goneGoneGone', 'left.txt', 0, Buffer.from('left'));
    filestore.close();

    await new Promise((r) => setTimeout(r, RETENTION_HOURS * 3600 * 1000 + 500));
    await box.killDevice('SIGTERM');
    await box.startDevice();

    // The sweep comes a moment after the heartbeat that startDevice() waits for.
    for (let i = 0; i < 100 && (await get(`${box.url}/api/v1/cells/${cell.body.id}`)).status === 200; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await get(`${box.url}/api/v1/cells/${cell.body.id}`)).status).toBe(404);
    expect((await get(fileUrl)).status).toBe(404);
    const db = new Database(path.join(box.dataDir, 'cellbox.sqlite'), { readonly: true });
    expect(db.prepare('SELECT COUNT(*) FROM messages WHERE cell_id = ?').pluck().get(cell.body.id)).toBe(0);
    db.close();
    const files = new Database(path.join(box.dataDir, 'files.sqlite'), { readonly: true });
    expect(files.prepare('SELECT COUNT(*) FROM files').pluck().get()).toBe(0);
    expect(files.prepare('SELECT COUNT(*) FROM chunks').pluck().get()).toBe(0);
    files.close();
    expect((await get(`${box.url}/api/v1/snippets/${snippet.body.id}`)).status).toBe(200);
  });
});
