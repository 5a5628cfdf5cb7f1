// The device's message writer on real SQLite files: batches, merged streams, and nothing lost
// while another process holds the database longer than the busy timeout.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closingMessages, createMessage, openingMessages } from '../../protocol/create';
import { openStore, type Store } from '../../store/store';
import { MessageWriter } from '../../device/writer';

let dir: string;
let store: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-writer-'));
  store = openStore(path.join(dir, 'db.sqlite'), { watchIntervalMs: 2 });
});

afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true });
});

function types(cellId: string): string[] {
  return store.messages.readCell(cellId, 0, 1000)!.json.map((j) => JSON.parse(j).header.msg_type);
}

describe('the message writer', () => {
  it('merges consecutive stream chunks and writes the closing messages last', () => {
    const { id } = store.createCell('print(1)', 'python', 1000);
    const header = store.cells.get(id)!.header;
    const w = new MessageWriter(store);
    for (const m of openingMessages(header, 'print(1)')) w.push(id, m);
    for (const text of ['a', 'b', 'c']) w.push(id, createMessage('stream', { name: 'stdout', text }, header));
    w.finish(id, 'ok', closingMessages(header, null));
    expect(types(id)).toEqual(['status', 'execute_input', 'stream', 'execute_reply', 'status']);
    expect(JSON.parse(store.messages.readCell(id, 2, 1)!.json[0]).content.text).toBe('abc');
    expect(store.cells.get(id)!.status).toBe('done');
  });

  it('keeps messages and endings while the database is locked, and writes them in order after', async () => {
    const { id } = store.createCell('print(1)', 'python', 1000);
    const header = store.cells.get(id)!.header;
    const logs: string[] = [];
    const w = new MessageWriter(store, (_, msg) => logs.push(msg));
    // Another process holds the write lock longer than the busy timeout (5 s).
    const other = new Database(path.join(dir, 'db.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    const release = setTimeout(() => other.exec('COMMIT'), 100);
    for (const m of openingMessages(header, 'print(1)')) w.push(id, m);
    w.push(id, createMessage('stream', { name: 'stdout', text: 'held\n' }, header));
    w.finish(id, 'ok', closingMessages(header, null));
    expect(w.waiting).toBeGreaterThan(0);
    expect(logs[0]).toMatch(/cannot take writes now \(SQLITE_BUSY/);
    await new Promise((r) => setTimeout(r, 1000));
    clearTimeout(release);
    other.close();
    expect(w.waiting).toBe(0);
    expect(types(id)).toEqual(['status', 'execute_input', 'stream', 'execute_reply', 'status']);
    expect(store.cells.get(id)!.status).toBe('done');
  }, 20_000);

  it('keeps them while the disk is full, and writes them once there is room', async () => {
    const { id } = store.createCell('print(1)', 'python', 1000);
    const header = store.cells.get(id)!.header;
    const logs: string[] = [];
    const w = new MessageWriter(store, (_, msg) => logs.push(msg));
    // The database may not grow: as on a full disk, SQLite answers SQLITE_FULL.
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages}`);
    for (const m of openingMessages(header, 'print(1)')) w.push(id, m);
    w.push(id, createMessage('stream', { name: 'stdout', text: 'x'.repeat(200_000) }, header));
    w.finish(id, 'ok', closingMessages(header, null));
    expect(w.waiting).toBeGreaterThan(0);
    expect(logs[0]).toMatch(/SQLITE_FULL/);
    expect(store.cells.get(id)!.status).toBe('queued');
    store.db.pragma('max_page_count = 1073741823');
    await new Promise((r) => setTimeout(r, 300));
    expect(w.waiting).toBe(0);
    expect(types(id)).toEqual(['status', 'execute_input', 'stream', 'execute_reply', 'status']);
    expect(store.cells.get(id)!.status).toBe('done');
  });
  it('keeps what is pushed from inside its own write: the device claims the next cell there', () => {
    const first = store.createCell('1/0', 'python', 1000).id;
    const next = store.createCell('print(2)', 'python', 1000).id;
    const w = new MessageWriter(store);
    // As device.ts does: a change wakes pump(), which claims a queued cell and pushes its
    // opening messages, synchronously, from inside the write that ended the cell before.
    let claimed = false;
    const stop = store.watcher.onChange(() => {
      if (claimed) return;
      claimed = true;
      for (const m of openingMessages(store.cells.get(next)!.header, 'print(2)')) w.push(next, m);
    });
    const h = store.cells.get(first)!.header;
    for (const m of openingMessages(h, '1/0')) w.push(first, m);
    w.finish(first, 'error', closingMessages(h, { ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: [] }));
    stop();
    expect(claimed).toBe(true);
    expect(w.waiting).toBe(2);
    w.finish(next, 'ok', closingMessages(store.cells.get(next)!.header, null));
    expect(types(first)).toEqual(['status', 'execute_input', 'error', 'execute_reply', 'status']);
    expect(types(next)).toEqual(['status', 'execute_input', 'execute_reply', 'status']);
  });

  it('writes a failed batch before what was pushed while it waited, in order', async () => {
    const { id } = store.createCell('print(1)', 'python', 1000);
    const header = store.cells.get(id)!.header;
    const w = new MessageWriter(store);
    const pages = store.db.pragma('page_count', { simple: true }) as number;
    store.db.pragma(`max_page_count = ${pages}`);
    for (const m of openingMessages(header, 'print(1)')) w.push(id, m);
    w.push(id, createMessage('stream', { name: 'stdout', text: 'a'.repeat(200_000) }, header));
    w.flush();
    expect(w.waiting).toBe(3);
    w.push(id, createMessage('stream', { name: 'stderr', text: 'b\n' }, header));
    w.finish(id, 'ok', closingMessages(header, null));
    store.db.pragma('max_page_count = 1073741823');
    await new Promise((r) => setTimeout(r, 300));
    expect(w.waiting).toBe(0);
    expect(types(id)).toEqual(['status', 'execute_input', 'stream', 'stream', 'execute_reply', 'status']);
  });

  it('drops a message that can never be written, says so in its cell, and keeps every other cell\'s messages flowing', async () => {
    const bad = store.createCell('deep', 'python', 1000).id;
    const good = store.createCell('print(1)', 'python', 1000).id;
    const badHeader = store.cells.get(bad)!.header;
    const goodHeader = store.cells.get(good)!.header;
    const logs: string[] = [];
    const w = new MessageWriter(store, (_, msg) => logs.push(msg));
    // Nested deeper than JSON.stringify's stack: as JSON.parse took it from a cell's event pipe.
    const deep = JSON.parse('['.repeat(20_000) + ']'.repeat(20_000));
    for (const m of openingMessages(badHeader, 'deep')) w.push(bad, m);
    for (const m of openingMessages(goodHeader, 'print(1)')) w.push(good, m);
    w.push(bad, createMessage('display_data', { data: { 'text/plain': deep }, metadata: {} }, badHeader));
    w.push(bad, createMessage('stream', { name: 'stdout', text: 'after\n' }, badHeader));
    w.push(good, createMessage('stream', { name: 'stdout', text: '1\n' }, goodHeader));
    w.flush();
    expect(w.waiting).toBe(0);
    expect(logs.join('\n')).toMatch(/display_data message of cell \S+ cannot be stored/);
    // Later writes are not poisoned by it.
    w.finish(bad, 'ok', closingMessages(badHeader, null));
    w.push(good, createMessage('stream', { name: 'stdout', text: '2\n' }, goodHeader));
    w.finish(good, 'ok', closingMessages(goodHeader, null));
    expect(w.waiting).toBe(0);
    expect(types(bad)).toEqual(['status', 'execute_input', 'stream', 'stream', 'execute_reply', 'status']);
    const badJson = store.messages.readCell(bad, 0, 1000)!.json.map((j) => JSON.parse(j));
    expect(badJson[2].content).toEqual({ name: 'stderr', text: expect.stringMatching(/^A display_data message of this cell could not be stored \(.*\) and was dropped\.\n$/) });
    expect(badJson[3].content).toEqual({ name: 'stdout', text: 'after\n' });
    expect(types(good)).toEqual(['status', 'execute_input', 'stream', 'stream', 'execute_reply', 'status']);
    expect(store.cells.get(bad)!.status).toBe('done');
    expect(store.cells.get(good)!.status).toBe('done');
  });
});
