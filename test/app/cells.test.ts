// The long-poll's read (app/_lib/cells.ts) on a real database written by a second connection, as
// the device writes it: messages that follow the first new ones within LINGER_MS come in the
// same answer; a cell that is done, or no further message, ends the wait.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LINGER_MS, readMessages } from '../../app/_lib/cells';
import type { Server } from '../../app/_lib/server';
import { closingMessages, createMessage, openingMessages } from '../../protocol/create';
import { openStore, type Store } from '../../store/store';

let dir: string;
let web: Store;
/** The parts of the web app's server readMessages uses. */
const serverOf = (closing = new AbortController()) => ({ store: web, closing }) as unknown as Server;
let device: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-cells-'));
  const file = path.join(dir, 'cellbox.sqlite');
  web = openStore(file, { watchIntervalMs: 1 });
  device = openStore(file, { watchIntervalMs: 1 });
});

afterEach(() => {
  web.close();
  device.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A queued cell the device has claimed and opened (busy, execute_input). */
function runningCell() {
  const { id } = web.createCell('print(1)', 'python', 10_000);
  const cell = device.cells.claimNext()!;
  device.writeBatch([{ cellId: id, messages: openingMessages(cell.header, cell.code) }], []);
  return { id, header: cell.header };
}

const types = (json: string[]) => json.map((m) => JSON.parse(m).header.msg_type);

describe('readMessages', () => {
  it('holds the first new messages of a running cell for the ones that follow at once', async () => {
    const { id, header } = runningCell();
    const poll = readMessages(serverOf(), new Map([[id, 0]]), 5000);
    // Written while the long-poll holds busy and execute_input.
    setImmediate(() => device.writeBatch([{ cellId: id, messages: [createMessage('stream', { name: 'stdout', text: '1\n' }, header)] }], []));
    const a = (await poll).get(id)!;
    expect(types(a.json)).toEqual(['status', 'execute_input', 'stream']);
    expect(a.done).toBe(false);
  });

  it('answers with what it has once nothing more comes, long before its wait is over', async () => {
    const { id } = runningCell();
    const started = Date.now();
    const a = (await readMessages(serverOf(), new Map([[id, 0]]), 20_000)).get(id)!;
    expect(types(a.json)).toEqual(['status', 'execute_input']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(LINGER_MS).toBeLessThanOrEqual(50);
  });

  it('brings a cell that ends meanwhile to its end in the same answer', async () => {
    const { id, header } = runningCell();
    const poll = readMessages(serverOf(), new Map([[id, 2]]), 20_000);
    setImmediate(() => device.writeBatch([{ cellId: id, messages: [createMessage('stream', { name: 'stdout', text: '1\n' }, header)] }], [{ cellId: id, outcome: 'ok', closing: closingMessages(header, null) }]));
    const a = (await poll).get(id)!;
    expect(types(a.json)).toEqual(['stream', 'execute_reply', 'status']);
    expect(a.done).toBe(true);
  });

  it('reads once at the start and once per wake-up, and leaves no waiter behind', async () => {
    const { id, header } = runningCell();
    let reads = 0;
    const readCell = web.messages.readCell;
    web.messages.readCell = (...args) => {
      // Two commits, each waking the poll once: the output (the poll then lingers for more), and
      // the end, made once the poll has read the output.
      if (++reads === 2) setImmediate(() => device.writeBatch([], [{ cellId: id, outcome: 'ok', closing: closingMessages(header, null) }]));
      return readCell(...args);
    };
    const poll = readMessages(serverOf(), new Map([[id, 2]]), 20_000);
    setTimeout(() => device.writeBatch([{ cellId: id, messages: [createMessage('stream', { name: 'stdout', text: '1\n' }, header)] }], []), 20);
    const a = (await poll).get(id)!;
    expect(types(a.json)).toEqual(['stream', 'execute_reply', 'status']);
    expect(reads).toBe(3);
    expect(web.watcher.waiterCount()).toBe(0);
  });

  it('stops waiting when its client is gone', async () => {
    const { id } = runningCell();
    const gone = new AbortController();
    const started = Date.now();
    const poll = readMessages(serverOf(), new Map([[id, 2]]), 20_000, gone.signal);
    setTimeout(() => gone.abort(), 20);
    expect((await poll).get(id)!.json).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(web.watcher.waiterCount()).toBe(0);
  });

  it('answers with what it has when the web server stops (Server.closing)', async () => {
    const { id } = runningCell();
    const closing = new AbortController();
    const started = Date.now();
    const poll = readMessages(serverOf(closing), new Map([[id, 2]]), 20_000);
    setTimeout(() => closing.abort(), 20);
    expect((await poll).get(id)!.json).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(web.watcher.waiterCount()).toBe(0);
    // And one asked for after that does not wait at all.
    const again = readMessages(serverOf(closing), new Map([[id, 2]]), 20_000);
    expect((await again).get(id)!.json).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('answers at once for a cell it does not know, and waits for none of them', async () => {
    const started = Date.now();
    expect((await readMessages(serverOf(), new Map([['AAAAAAAAAAAA', 0]]), 20_000)).size).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(web.watcher.waiterCount()).toBe(0);
  });

  it('does not wait at all with wait=0', async () => {
    const { id } = runningCell();
    const a = (await readMessages(serverOf(), new Map([[id, 2]]), 0)).get(id)!;
    expect(a.json).toEqual([]);
  });
});
