// The store on real SQLite files: the queue's states, the message log, the watcher across
// two connections (as between the web app and the device), and retention.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closingMessages, createMessage } from '../../protocol/create';
import { openStore, type Store } from '../../store/store';

let dir: string;
let store: Store;
let other: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-store-'));
  store = openStore(path.join(dir, 'db.sqlite'), { watchIntervalMs: 2 });
  other = openStore(path.join(dir, 'db.sqlite'), { watchIntervalMs: 2 });
});

afterEach(() => {
  store.close();
  other.close();
  fs.rmSync(dir, { recursive: true });
});

describe('the queue', () => {
  it('hands out queued cells once each, oldest first', () => {
    const a = store.createCell('a', 'python', 1000);
    const b = store.createCell('b', 'python', 1000);
    expect(store.cells.queuedCount()).toBe(2);
    expect(other.cells.claimNext()?.id).toBe(a.id);
    expect(store.cells.claimNext()?.id).toBe(b.id);
    expect(other.cells.claimNext()).toBeNull();
    expect(store.cells.get(a.id)).toMatchObject({ status: 'running', code: 'a', language: 'python', timeoutMs: 1000 });
    expect(store.cells.get(a.id)!.header).toMatchObject({ msg_type: 'execute_request', msg_id: a.msgId });
  });

  it('finishing writes the closing messages and marks the cell done with its final seq', () => {
    const { id } = store.createCell('x', 'python', 1000);
    const cell = store.cells.claimNext()!;
    store.messages.append(id, [createMessage('status', { execution_state: 'busy' }, cell.header)]);
    expect(store.messages.readCell(id, 0, 100)).toMatchObject({ next: 1, finalSeq: null });
    store.finishCell(id, 'ok', closingMessages(cell.header, null));
    expect(store.cells.get(id)).toMatchObject({ status: 'done', outcome: 'ok', finalSeq: 3 });
    // What a long-poll reads on each wake-up, from the other connection: the messages past its
    // `after` and the same final seq; none past the last; undefined for no such cell.
    expect(other.messages.readCell(id, 1, 100)).toMatchObject({ next: 3, finalSeq: 3 });
    expect(other.messages.readCell(id, 3, 100)).toEqual({ json: [], next: 3, finalSeq: 3, status: 'done' });
    expect(other.messages.readCell('AAAAAAAAAAAA', 0, 100)).toBeUndefined();
    expect(store.cells.counts()).toEqual({ queued: 0, running: 0, done: 1 });
  });

  it('interrupting a queued cell ends it with Interrupted; a running one is flagged; unknown ids are told', () => {
    const q = store.createCell('q', 'python', 1000);
    expect(store.interrupt(q.id)).toBe(true);
    const read = store.messages.readCell(q.id, 0, 100)!.json.map((j) => JSON.parse(j));
    expect(read.map((m) => m.header.msg_type)).toEqual(['status', 'execute_input', 'error', 'execute_reply', 'status']);
    expect(read[2].content.ename).toBe('Interrupted');
    expect(store.cells.get(q.id)).toMatchObject({ status: 'done', outcome: 'error', finalSeq: 5 });
    expect(store.cells.claimNext()).toBeNull();

    const r = store.createCell('r', 'python', 1000);
    store.cells.claimNext();
    expect(store.interrupt(r.id)).toBe(true);
    expect(other.cells.interruptRequested()).toEqual([r.id]);
    expect(store.interrupt('nope')).toBe(false);
  });

  it('counts each take of a cell as an attempt, except one a stopping device gave back', () => {
    const { id } = store.createCell('x', 'python', 1000);
    expect(store.cells.get(id)!.attempts).toBe(0);
    expect(store.cells.claimNext()!.attempts).toBe(1);
    expect(store.cells.requeue(id)).toBe(true);
    expect(other.cells.claimNext()!.attempts).toBe(2);
    expect(store.cells.giveBack(id)).toBe(true);
    expect(store.cells.get(id)).toMatchObject({ status: 'queued', attempts: 1, started: null });
    expect(store.cells.claimNext()!.attempts).toBe(2);
  });

  it('a database of the version before attempts is migrated, its cells at 0 attempts', () => {
    const file = path.join(dir, 'old.sqlite');
    const made = openStore(file, { watchIntervalMs: 2 });
    const { id } = made.createCell('x', 'python', 1000);
    made.cells.claimNext();
    made.close();
    // What the release before the attempts column left: the same rows, without it.
    const db = new Database(file);
    db.exec('ALTER TABLE cells DROP COLUMN linked');
    db.exec('ALTER TABLE cells DROP COLUMN interact');
    db.exec('ALTER TABLE cells DROP COLUMN attempts');
    db.exec('ALTER TABLE device DROP COLUMN pools');
    db.pragma('user_version = 2');
    db.close();
    const reopened = openStore(file, { watchIntervalMs: 2 });
    try {
      expect(reopened.cells.get(id)).toMatchObject({ status: 'running', attempts: 0 });
      expect(reopened.cells.requeue(id)).toBe(true);
      expect(reopened.cells.claimNext()).toMatchObject({ id, attempts: 1 });
    } finally {
      reopened.close();
    }
  });
});

describe("a cell's interact values", () => {
  it('are kept as compact JSON and handed to the claimer; a cell without has null', () => {
    const a = store.createCell('f', 'python', 1000, { '0': { n: 5, s: 'x^2', b: false, r: [1, 2.5] } });
    const b = store.createCell('g', 'python', 1000);
    expect(other.cells.claimNext()).toMatchObject({ id: a.id, interact: '{"0":{"n":5,"s":"x^2","b":false,"r":[1,2.5]}}' });
    expect(other.cells.claimNext()).toMatchObject({ id: b.id, interact: null });
  });

  it('a database of the version before them is migrated, its cells without', () => {
    const file = path.join(dir, 'old.sqlite');
    const made = openStore(file, { watchIntervalMs: 2 });
    const { id } = made.createCell('x', 'python', 1000);
    made.close();
    // What the release before the interact column left: the same rows, without it.
    const db = new Database(file);
    db.exec('ALTER TABLE cells DROP COLUMN linked');
    db.exec('ALTER TABLE cells DROP COLUMN interact');
    db.exec('ALTER TABLE device DROP COLUMN pools');
    db.pragma('user_version = 3');
    db.close();
    const reopened = openStore(file, { watchIntervalMs: 2 });
    try {
      expect(reopened.cells.get(id)).toMatchObject({ status: 'queued', interact: null });
      const next = reopened.createCell('y', 'python', 1000, { '1': { m: 'a' } });
      expect(reopened.cells.get(next.id)!.interact).toBe('{"1":{"m":"a"}}');
    } finally {
      reopened.close();
    }
  });
});
describe("a cell's linked code", () => {
  it('is kept as a compact JSON list and handed to the claimer; a cell without has null', () => {
    // A line separator stays in the JSON as it is: the worker's options line ends at a newline only.
    const linked = ['def f(n):\n    return n', 'x = "\u2028"'];
    const a = store.createCell('print(f(1))', 'python', 1000, null, linked);
    const b = store.createCell('g', 'python', 1000);
    const claimed = other.cells.claimNext()!;
    expect(claimed).toMatchObject({ id: a.id, interact: null, linked: JSON.stringify(linked) });
    expect(claimed.linked).not.toContain('\n');
    expect(other.cells.claimNext()).toMatchObject({ id: b.id, linked: null });
  });

  it('a database of the version before it is migrated, its cells without', () => {
    const file = path.join(dir, 'old.sqlite');
    const made = openStore(file, { watchIntervalMs: 2 });
    const { id } = made.createCell('x', 'python', 1000, { '0': { n: 1 } });
    made.close();
    // What the release before the linked column left: the same rows, without it.
    const db = new Database(file);
    db.exec('ALTER TABLE cells DROP COLUMN linked');
    db.exec('ALTER TABLE device DROP COLUMN pools');
    db.pragma('user_version = 4');
    db.close();
    const reopened = openStore(file, { watchIntervalMs: 2 });
    try {
      expect(reopened.cells.get(id)).toMatchObject({ status: 'queued', interact: '{"0":{"n":1}}', linked: null });
      const next = reopened.createCell('y', 'python', 1000, null, ['a = 1']);
      expect(reopened.cells.get(next.id)!.linked).toBe('["a = 1"]');
    } finally {
      reopened.close();
    }
  });
});


describe('the heartbeat', () => {
  it("keeps the device's pools as of its last beat, for the web server to read", () => {
    const pools = [{ pool: 'python+light', language: 'python', target: 2, warm: 1, starting: 1, waiting: 0, failures: 0 }];
    store.heartbeat.beat(4242, 1000, 2000, pools);
    expect(other.heartbeat.read()).toEqual({ pid: 4242, started: 1000, heartbeat: 2000, pools });
    store.heartbeat.beat(4242, 1000, 3000);
    expect(other.heartbeat.read()).toMatchObject({ heartbeat: 3000, pools: null });
  });

  it("a database of the version before it is migrated, the device's row without pools", () => {
    const file = path.join(dir, 'before-pools.sqlite');
    const made = openStore(file, { watchIntervalMs: 2 });
    made.heartbeat.beat(7, 1, 2);
    made.close();
    const db = new Database(file);
    db.exec('ALTER TABLE device DROP COLUMN pools');
    db.pragma('user_version = 5');
    db.close();
    const reopened = openStore(file, { watchIntervalMs: 2 });
    try {
      expect(reopened.heartbeat.read()).toEqual({ pid: 7, started: 1, heartbeat: 2, pools: null });
    } finally {
      reopened.close();
    }
  });
});

describe('the message log', () => {
  it('numbers each cell from 1 and reads after a seq, as JSON with seq first', () => {
    const { id } = store.createCell('x', 'python', 1000);
    const parent = store.cells.get(id)!.header;
    store.writeBatch([{ cellId: id, messages: [createMessage('stream', { name: 'stdout', text: 'a' }, parent), createMessage('stream', { name: 'stdout', text: 'b' }, parent)] }], []);
    const r = other.messages.readCell(id, 1, 100)!;
    expect(r.next).toBe(2);
    expect(r.json[0].startsWith('{"seq":2,')).toBe(true);
    expect(JSON.parse(r.json[0]).content.text).toBe('b');
    expect(other.messages.readCell(id, 2, 100)).toEqual({ json: [], next: 2, finalSeq: null, status: 'queued' });
    // In seq order from the index, and no more than the limit.
    expect(other.messages.readCell(id, 0, 1)).toMatchObject({ next: 1, json: [expect.stringContaining('"text":"a"')] });
    expect(() => other.messages.readCell(id, 0, 0)).toThrow(/limit of at least 1/);
  });
});

describe('the watcher', () => {
  it('wakes a waiter when another connection appends to its cell, and not for other cells', async () => {
    const { id } = store.createCell('x', 'python', 1000);
    const { id: otherId } = store.createCell('y', 'python', 1000);
    const parent = store.cells.get(id)!.header;
    let woke = 0;
    let unrelated = 0;
    const woken = new Promise<void>((resolve) => {
      const off = store.watcher.watchCells([id], () => {
        woke = Date.now();
        off();
        resolve();
      });
    });
    const offOther = store.watcher.watchCells([otherId], () => unrelated++);
    expect(store.watcher.waiterCount()).toBe(2);
    await new Promise((r) => setTimeout(r, 50));
    const wrote = Date.now();
    other.messages.append(id, [createMessage('status', { execution_state: 'busy' }, parent)]);
    await woken;
    expect(woke - wrote).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(unrelated).toBe(0);
    offOther();
    expect(store.watcher.waiterCount()).toBe(0);
  });

  it('keeps waking a subscription at each new commit until it unsubscribes', async () => {
    const { id } = store.createCell('x', 'python', 1000);
    const parent = store.cells.get(id)!.header;
    let wakes = 0;
    let next: () => void = () => {};
    const off = store.watcher.watchCells([id], () => {
      wakes++;
      next();
    });
    for (let i = 1; i <= 3; i++) {
      const woken = new Promise<void>((r) => (next = r));
      other.messages.append(id, [createMessage('stream', { name: 'stdout', text: String(i) }, parent)]);
      await woken;
      expect(wakes).toBe(i);
    }
    off();
    other.messages.append(id, [createMessage('stream', { name: 'stdout', text: 'after' }, parent)]);
    await new Promise((r) => setTimeout(r, 100));
    expect(wakes).toBe(3);
  });

  it('misses no commit that lands while a poll is waking others, and a waiter leaves then', async () => {
    // A poll's wake-ups run inside it; one that leaves lets the watcher re-arm. A commit made
    // just then (here by a change listener, which runs inside the poll too) must still wake its
    // waiter, not be taken as already seen.
    const { id } = store.createCell('x', 'python', 1000);
    const parent = store.cells.get(id)!.header;
    let woke = false;
    let unwatch = () => {};
    const wait = new Promise<void>((resolve) => {
      unwatch = store.watcher.watchCells([id], () => {
        woke = true;
        resolve();
      });
    });
    const off = store.watcher.onChange(() => {
      other.messages.append(id, [createMessage('status', { execution_state: 'busy' }, parent)]);
      off();
    });
    await new Promise((r) => setTimeout(r, 20));
    other.createCell('y', 'python', 1000); // a commit that wakes no cell's waiter
    await Promise.race([wait, new Promise((r) => setTimeout(r, 1500))]);
    unwatch();
    expect(woke).toBe(true);
  });

  it('wakes a waiter that asks for it when another connection claims its cell or hands it back, which writes no message', async () => {
    const { id } = store.createCell('x', 'python', 1000);
    const { id: bystander } = store.createCell('y', 'python', 1000);
    let wakes = 0;
    let next: () => void = () => {};
    const off = store.watcher.watchCells([id, bystander], () => {
      wakes++;
      next();
    }, [id]);
    // Without `statusToo` the same subscription sleeps through it (the claim is no message).
    let plain = 0;
    const offPlain = store.watcher.watchCells([id], () => plain++);
    const claimed = new Promise<void>((r) => (next = r));
    expect(other.claimCell()?.id).toBe(id);
    await claimed;
    expect(wakes).toBe(1);
    // A change of another cell's status, not asked for, wakes nobody.
    expect(other.claimCell()?.id).toBe(bystander);
    await new Promise((r) => setTimeout(r, 100));
    expect(wakes).toBe(1);
    const back = new Promise<void>((r) => (next = r));
    expect(other.requeueCell(id, false)).toBe(true);
    await back;
    expect(wakes).toBe(2);
    expect(plain).toBe(0);
    off();
    offPlain();
    expect(store.watcher.waiterCount()).toBe(0);
  });

  it('tells change listeners about commits of other connections', async () => {
    let calls = 0;
    const off = store.watcher.onChange(() => calls++);
    other.createCell('x', 'python', 1000);
    await new Promise((r) => setTimeout(r, 50));
    off();
    expect(calls).toBeGreaterThan(0);
  });
});

describe('retention', () => {
  it('drops cells finished before the cutoff with their messages', () => {
    const { id } = store.createCell('x', 'python', 1000);
    const cell = store.cells.claimNext()!;
    store.finishCell(id, 'ok', closingMessages(cell.header, null));
    expect(store.cells.deleteFinishedBefore(Date.now() - 60_000)).toEqual([]);
    expect(store.cells.deleteFinishedBefore(Date.now() + 1)).toEqual([id]);
    expect(store.cells.get(id)).toBeNull();
    expect(store.messages.lastSeq(id)).toBe(0);
  });
});

describe('the language list', () => {
  const info = (name: string, version: string) => ({ name, display_name: name, version, file_extension: '.x', codemirror_mode: name });

  it('keeps the languages a restarted device will run, in order, and drops the others', () => {
    store.languages.set(info('python', '3.11.2'), 0);
    store.languages.set(info('bash', '5.2'), 2);
    store.languages.set(info('ruby', '3.1'), 1);
    // A device starts that no longer finds ruby: python and bash stay offered while warming.
    other.languages.retain(['python', 'bash']);
    expect(store.languages.list().map((l) => l.name)).toEqual(['python', 'bash']);
    other.languages.set(info('python', '3.11.4'), 0);
    expect(store.languages.list()[0].version).toBe('3.11.4');
  });
});
