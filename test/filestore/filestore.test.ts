// Tests the filestore: byte-exact round trips, chunking, listing, deletion, content types, reopening.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHUNK_BYTES, openFilestore, type Filestore } from '../../filestore/filestore';
import { contentTypeFor } from '../../filestore/mime';

const KiB = 1024;
const MiB = 1024 * KiB;

let tmp: string;
let dbPath: string;
let store: Filestore;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-filestore-'));
  dbPath = path.join(tmp, 'files.db');
  store = openFilestore(dbPath);
});

afterEach(() => {
  store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function chunkSizes(cellId: string, name: string): number[] {
  return [...store.chunks(cellId, name)].map((c) => c.length);
}

describe('openFilestore', () => {
  it('uses WAL with a busy timeout and NORMAL sync, and creates both tables', () => {
    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
      expect(tables).toEqual(['chunks', 'files']);
    } finally {
      db.close();
    }
  });

  it('keeps files across close and reopen, and reopening does not recreate tables', () => {
    const bytes = randomBytes(300 * KiB);
    store.put('c1', 'data.bin', bytes);
    store.close();
    store = openFilestore(dbPath);
    expect(store.read('c1', 'data.bin')!.equals(bytes)).toBe(true);
    expect(store.list('c1').map((f) => f.name)).toEqual(['data.bin']);
  });
});

describe('round trips', () => {
  it('keeps a 5 MiB random binary byte for byte', () => {
    const bytes = randomBytes(5 * MiB);
    store.put('c1', 'random.bin', bytes);
    expect(store.read('c1', 'random.bin')!.equals(bytes)).toBe(true);
    expect(Buffer.concat([...store.chunks('c1', 'random.bin')]).equals(bytes)).toBe(true);
    expect(chunkSizes('c1', 'random.bin')).toEqual(Array(20).fill(CHUNK_BYTES));
    expect(store.stat('c1', 'random.bin')!.size).toBe(5 * MiB);
  });

  it('keeps an empty file, with no chunks', () => {
    store.put('c1', 'empty.txt', Buffer.alloc(0));
    expect(store.read('c1', 'empty.txt')).toEqual(Buffer.alloc(0));
    expect(chunkSizes('c1', 'empty.txt')).toEqual([]);
    expect(store.stat('c1', 'empty.txt')).toMatchObject({ name: 'empty.txt', size: 0 });
  });

  it.each([
    [1, [1]],
    [CHUNK_BYTES - 1, [CHUNK_BYTES - 1]],
    [CHUNK_BYTES, [CHUNK_BYTES]],
    [CHUNK_BYTES + 1, [CHUNK_BYTES, 1]],
    [2 * CHUNK_BYTES, [CHUNK_BYTES, CHUNK_BYTES]],
    [2 * CHUNK_BYTES + 1, [CHUNK_BYTES, CHUNK_BYTES, 1]],
  ])('splits %i bytes into chunks %j', (size, sizes) => {
    const bytes = randomBytes(size);
    store.put('c1', 'f.bin', bytes);
    expect(CHUNK_BYTES).toBe(256 * KiB);
    expect(chunkSizes('c1', 'f.bin')).toEqual(sizes);
    expect(store.read('c1', 'f.bin')!.equals(bytes)).toBe(true);
  });

  it('replaces a file, leaving no chunks of the old one', () => {
    store.put('c1', 'f.bin', randomBytes(3 * CHUNK_BYTES));
    const smaller = randomBytes(10);
    store.put('c1', 'f.bin', smaller);
    expect(chunkSizes('c1', 'f.bin')).toEqual([10]);
    expect(store.read('c1', 'f.bin')!.equals(smaller)).toBe(true);
    expect(store.list('c1')).toHaveLength(1);
  });

  it('stores names with non-ASCII characters and odd punctuation', () => {
    for (const name of ['café 数据.txt', '..foo', 'a#b?c%d.txt', '\ufeffbom']) {
      store.put('c1', name, Buffer.from(name));
      expect(store.read('c1', name)!.toString()).toBe(name);
    }
  });

  it('refuses names that are not safe path components, each part of a name in folders', () => {
    for (const name of ['', '.', '..', 'a\\b', 'a\nb', '../x', 'a/../x', 'a//b', '/a', 'a/']) {
      expect(() => store.put('c1', name, Buffer.from('x'))).toThrow(TypeError);
    }
    expect(store.list('c1')).toEqual([]);
  });

  it('stores a file in folders under its folders and name', () => {
    store.put('c1', 'plots/png/fig.png', Buffer.from('png'));
    expect(store.read('c1', 'plots/png/fig.png')!.toString()).toBe('png');
    expect(store.list('c1').map((f) => [f.name, f.content_type])).toEqual([['plots/png/fig.png', 'image/png']]);
  });
});

describe('putMany', () => {
  it('writes all files in one go', () => {
    store.putMany('c1', [
      { name: 'b.txt', bytes: Buffer.from('bee') },
      { name: 'a.txt', bytes: Buffer.from('ay') },
    ]);
    expect(store.list('c1').map((f) => [f.name, f.size])).toEqual([['a.txt', 2], ['b.txt', 3]]);
    const created = store.list('c1').map((f) => f.created);
    expect(created[0]).toBe(created[1]);
  });

  it('writes none if one is refused', () => {
    expect(() =>
      store.putMany('c1', [
        { name: 'good.txt', bytes: Buffer.from('ok') },
        { name: '../bad', bytes: Buffer.from('no') },
      ]),
    ).toThrow(TypeError);
    expect(store.list('c1')).toEqual([]);
  });
});

describe('list, stat, read, chunks', () => {
  beforeEach(() => {
    store.putMany('c1', [
      { name: 'z.py', bytes: Buffer.from('print(1)\n') },
      { name: 'B.csv', bytes: Buffer.from('a,b\n1,2\n') },
      { name: 'a.png', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]) },
    ]);
    store.put('c2', 'other.txt', Buffer.from('other cell'));
  });

  it('lists one cell sorted by name, with sizes, types and times', () => {
    const before = Date.now();
    const list = store.list('c1');
    expect(list.map((f) => f.name)).toEqual(['B.csv', 'a.png', 'z.py']);
    expect(list[2]).toEqual({
      name: 'z.py',
      size: 9,
      content_type: 'text/x-python; charset=utf-8',
      created: expect.any(Number),
    });
    expect(list[0].content_type).toBe('text/csv; charset=utf-8');
    expect(list[1].content_type).toBe('image/png');
    expect(list[0].created).toBeLessThanOrEqual(before);
    expect(list[0].created).toBeGreaterThan(before - 60_000);
  });

  it('gives null or nothing for a missing file or cell', () => {
    expect(store.stat('c1', 'missing')).toBeNull();
    expect(store.read('c1', 'missing')).toBeNull();
    expect([...store.chunks('c1', 'missing')]).toEqual([]);
    expect(store.stat('c9', 'z.py')).toBeNull();
    expect(store.list('c9')).toEqual([]);
  });

  it('keeps cells apart', () => {
    expect(store.read('c2', 'z.py')).toBeNull();
    expect(store.read('c2', 'other.txt')!.toString()).toBe('other cell');
  });

  it('reads chunks lazily, leaving the connection free between them', () => {
    const bytes = randomBytes(3 * CHUNK_BYTES);
    store.put('c3', 'big.bin', bytes);
    const parts: Buffer[] = [];
    for (const part of store.chunks('c3', 'big.bin')) {
      parts.push(part);
      // A streamed response must not block the server's other requests on this connection.
      store.put('c3', `side-${parts.length}.txt`, Buffer.from('x'));
      expect(store.stat('c1', 'z.py')).not.toBeNull();
    }
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
  });

  it('throws mid-stream if the file is replaced while being read', () => {
    store.put('c3', 'big.bin', randomBytes(3 * CHUNK_BYTES));
    const it = store.chunks('c3', 'big.bin')[Symbol.iterator]();
    expect(it.next().value).toHaveLength(CHUNK_BYTES);
    store.put('c3', 'big.bin', randomBytes(10));
    expect(() => it.next()).toThrow(/changed while being read/);
  });
});

describe('deletion', () => {
  it('deletes whole cells and counts the files', () => {
    store.putMany('c1', [{ name: 'a', bytes: randomBytes(CHUNK_BYTES + 5) }, { name: 'b', bytes: Buffer.from('b') }]);
    store.put('c2', 'a', Buffer.from('c2'));
    store.put('c3', 'a', Buffer.from('c3'));
    expect(store.deleteCells(['c1', 'c2', 'nope'])).toBe(3);
    expect(store.list('c1')).toEqual([]);
    expect(store.read('c1', 'a')).toBeNull();
    expect([...store.chunks('c1', 'a')]).toEqual([]);
    expect(store.read('c3', 'a')!.toString()).toBe('c3');
    expect(store.deleteCells([])).toBe(0);
  });

  it('deletes files stored before a time, chunks included', async () => {
    store.putMany('old', [{ name: 'a', bytes: randomBytes(2 * CHUNK_BYTES) }, { name: 'b', bytes: Buffer.from('b') }]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const cutoff = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    store.put('new', 'a', Buffer.from('new'));
    expect(store.deleteOlderThan(cutoff)).toBe(2);
    expect(store.list('old')).toEqual([]);
    expect(store.read('new', 'a')!.toString()).toBe('new');
    expect(store.deleteOlderThan(cutoff)).toBe(0);

    store.close();
    const db = new Database(dbPath, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) FROM chunks WHERE cell_id = 'old'").pluck().get()).toBe(0);
    } finally {
      db.close();
    }
    store = openFilestore(dbPath);
  });
});

describe('contentTypeFor', () => {
  it.each([
    ['script.py', 'text/x-python; charset=utf-8'],
    ['analysis.R', 'text/x-r; charset=utf-8'],
    ['analysis.r', 'text/x-r; charset=utf-8'],
    ['model.jl', 'text/x-julia; charset=utf-8'],
    ['calc.sage', 'text/x-sage; charset=utf-8'],
    ['paper.tex', 'text/x-tex; charset=utf-8'],
    ['table.csv', 'text/csv; charset=utf-8'],
    ['README.md', 'text/markdown; charset=utf-8'],
    ['notes.txt', 'text/plain; charset=utf-8'],
    ['nb.ipynb', 'application/x-ipynb+json; charset=utf-8'],
    ['data.json', 'application/json; charset=utf-8'],
    ['page.html', 'text/html; charset=utf-8'],
    ['plot.png', 'image/png'],
    ['PLOT.PNG', 'image/png'],
    ['figure.svg', 'image/svg+xml'],
    ['report.pdf', 'application/pdf'],
    ['archive.tar.gz', 'application/gzip'],
    ['blob.bin', 'application/octet-stream'],
    ['no-extension', 'application/octet-stream'],
    ['json', 'application/octet-stream'],
    ['.bashrc', 'application/octet-stream'],
    ['trailing.', 'application/octet-stream'],
    ['weird.constructor', 'application/octet-stream'],
    ['weird.__proto__', 'application/octet-stream'],
  ])('%s is %s', (name, type) => {
    expect(contentTypeFor(name)).toBe(type);
  });

  it('declares UTF-8 only for text whose bytes are UTF-8', () => {
    // "名前,値" in Shift_JIS, as Excel in Japan and R's fileEncoding = "CP932" write a CSV: it was
    // served as UTF-8, and shown as U+FFFD; without a charset the reader's browser reads it.
    const shiftJis = Buffer.from([0x96, 0xbc, 0x91, 0x4f, 0x2c, 0x92, 0x6c]);
    expect(contentTypeFor('表.csv', shiftJis)).toBe('text/csv');
    expect(contentTypeFor('café.txt', Buffer.from('caf\xe9', 'latin1'))).toBe('text/plain');
    expect(contentTypeFor('表.csv', Buffer.from('名前,値\n'))).toBe('text/csv; charset=utf-8');
    expect(contentTypeFor('empty.txt', Buffer.alloc(0))).toBe('text/plain; charset=utf-8');
    expect(contentTypeFor('plot.png', shiftJis)).toBe('image/png');
  });

  it('is stored for a file by its bytes too', () => {
    store.put('c9', 'sjis.csv', Buffer.from([0x96, 0xbc, 0x91, 0x4f]));
    expect(store.stat('c9', 'sjis.csv')?.content_type).toBe('text/csv');
  });
});
