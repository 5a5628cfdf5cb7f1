// Owns the bytes of the files cells leave behind: a SQLite database of metadata and BLOB chunks.

import Database from 'better-sqlite3';
import fs from 'node:fs';
import nodePath from 'node:path';
import { contentTypeFor } from './mime';
import { checkPath } from './names';

/** Bytes per stored chunk: the unit `chunks()` streams in. */
export const CHUNK_BYTES = 256 * 1024;

export interface StoredFile {
  name: string;
  size: number;
  content_type: string;
  /** When the file was stored, in milliseconds since the epoch. */
  created: number;
}

export interface Filestore {
  /** Stores one file, replacing any file of that name in the cell. */
  put(cellId: string, name: string, bytes: Buffer): void;
  /** Stores several files in one transaction: all of them or none. */
  putMany(cellId: string, files: { name: string; bytes: Buffer }[]): void;
  /** The cell's files, sorted by name. */
  list(cellId: string): StoredFile[];
  stat(cellId: string, name: string): StoredFile | null;
  /** The whole file, or null if there is none. */
  read(cellId: string, name: string): Buffer | null;
  /**
   * The file one chunk at a time, read only as the caller asks for the next one. Empty if there
   * is no such file; throws mid-way if the file is deleted or replaced while being read.
   */
  chunks(cellId: string, name: string): Iterable<Buffer>;
  /** Drops every file of these cells; returns how many files were dropped. */
  deleteCells(cellIds: string[]): number;
  /** Drops every file stored before `epochMs`; returns how many files were dropped. */
  deleteOlderThan(epochMs: number): number;
  close(): void;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS files (
    cell_id TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (cell_id, name)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS chunks (
    cell_id TEXT NOT NULL,
    name TEXT NOT NULL,
    idx INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (cell_id, name, idx)
  ) WITHOUT ROWID;
  -- deleteOlderThan() selects by age across all cells.
  CREATE INDEX IF NOT EXISTS files_created ON files (created);
`;

/** Disk space left free for the message log after storing a cell's files. */
const FREE_SPACE_RESERVE = 8 * 1024 * 1024;

function freeBytes(dir: string): number | null {
  try {
    const st = fs.statfsSync(dir);
    return st.bavail * st.bsize;
  } catch {
    return null; // cannot tell: let SQLite find out
  }
}

/**
 * Switches `db` to WAL. On a new file, two processes starting at once (the web server and the
 * device, side by side) both make the switch, and SQLite answers the loser SQLITE_BUSY at once,
 * without waiting out the busy timeout: it stopped that process's start. Tried again meanwhile.
 */
function walMode(db: Database.Database): void {
  for (let tries = 0; ; tries++) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (e) {
      if (tries >= 100 || (e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** Opens the filestore at `path`, creating the database and its tables if missing. */
export function openFilestore(path: string): Filestore {
  const db = new Database(path);
  try {
    // WAL lets the server read files while a finished cell's files are being written;
    // NORMAL is durable across process crashes in WAL mode, which is what files need.
    walMode(db);
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    // After a checkpoint the WAL file is cut back to this size instead of keeping its largest.
    db.pragma(`journal_size_limit = ${16 * 1024 * 1024}`);
    db.exec(SCHEMA);
  } catch (err) {
    db.close();
    throw err;
  }

  const insertFile = db.prepare(
    'INSERT OR REPLACE INTO files (cell_id, name, size, content_type, created) VALUES (?, ?, ?, ?, ?)',
  );
  const insertChunk = db.prepare('INSERT INTO chunks (cell_id, name, idx, data) VALUES (?, ?, ?, ?)');
  const deleteFileChunks = db.prepare('DELETE FROM chunks WHERE cell_id = ? AND name = ?');
  const selectList = db.prepare(
    'SELECT name, size, content_type, created FROM files WHERE cell_id = ? ORDER BY name',
  );
  const selectStat = db.prepare(
    'SELECT name, size, content_type, created FROM files WHERE cell_id = ? AND name = ?',
  );
  const selectChunks = db.prepare('SELECT data FROM chunks WHERE cell_id = ? AND name = ? ORDER BY idx').pluck();
  const selectChunk = db.prepare('SELECT data FROM chunks WHERE cell_id = ? AND name = ? AND idx = ?').pluck();
  const deleteCellChunks = db.prepare('DELETE FROM chunks WHERE cell_id = ?');
  const deleteCellFiles = db.prepare('DELETE FROM files WHERE cell_id = ?');
  const deleteOldChunks = db.prepare(
    'DELETE FROM chunks WHERE (cell_id, name) IN (SELECT cell_id, name FROM files WHERE created < ?)',
  );
  const deleteOldFiles = db.prepare('DELETE FROM files WHERE created < ?');

  function writeFile(cellId: string, name: string, bytes: Buffer, created: number): void {
    // Every stored name must be safe wherever it is used later (a URL, a download, an archive):
    // names of no more than MAX_FOLDERS folders and a file, each part a single path component.
    // Length limits are the caller's policy.
    const check = checkPath(name, Infinity);
    if (!check.ok) throw new TypeError(`filestore: bad file name ${JSON.stringify(name)}: ${check.reason}`);
    deleteFileChunks.run(cellId, name);
    insertFile.run(cellId, name, bytes.length, contentTypeFor(name, bytes), created);
    for (let idx = 0, at = 0; at < bytes.length; idx++, at += CHUNK_BYTES) {
      insertChunk.run(cellId, name, idx, bytes.subarray(at, at + CHUNK_BYTES));
    }
  }

  const putOne = db.transaction((cellId: string, name: string, bytes: Buffer) => {
    writeFile(cellId, name, bytes, Date.now());
  });

  const putAll = db.transaction((cellId: string, files: { name: string; bytes: Buffer }[]) => {
    const created = Date.now();
    for (const file of files) writeFile(cellId, file.name, file.bytes, created);
  });

  // Meta and chunks read in one transaction, so both come from the same snapshot.
  const readWhole = db.transaction((cellId: string, name: string): Buffer | null => {
    const meta = selectStat.get(cellId, name) as StoredFile | undefined;
    if (meta === undefined) return null;
    const parts = selectChunks.all(cellId, name) as Buffer[];
    const whole = Buffer.concat(parts);
    if (whole.length !== meta.size) throw new Error(`filestore: ${cellId}/${name} is damaged`);
    return whole;
  });

  const dropCells = db.transaction((cellIds: string[]): number => {
    let dropped = 0;
    for (const cellId of cellIds) {
      deleteCellChunks.run(cellId);
      dropped += deleteCellFiles.run(cellId).changes;
    }
    return dropped;
  });

  const dropOld = db.transaction((epochMs: number): number => {
    deleteOldChunks.run(epochMs);
    return deleteOldFiles.run(epochMs).changes;
  });

  // One row per step, not an open cursor: better-sqlite3 refuses every other statement on the
  // connection while an iterator is open, and a streamed response may take minutes.
  function* streamChunks(cellId: string, name: string): Generator<Buffer, void, undefined> {
    const meta = selectStat.get(cellId, name) as StoredFile | undefined;
    if (meta === undefined) return;
    const count = Math.ceil(meta.size / CHUNK_BYTES);
    for (let idx = 0; idx < count; idx++) {
      const data = selectChunk.get(cellId, name, idx) as Buffer | undefined;
      // Each chunk but the last is full; a missing or odd-sized one means the file was deleted
      // or replaced since the size was read, and the caller has already promised that size.
      const expected = idx < count - 1 ? CHUNK_BYTES : meta.size - idx * CHUNK_BYTES;
      if (data === undefined || data.length !== expected) {
        throw new Error(`filestore: ${cellId}/${name} changed while being read`);
      }
      yield data;
    }
  }

  return {
    put: (cellId, name, bytes) => putOne(cellId, name, bytes),
    putMany: (cellId, files) => {
      // A write that cannot fit would fill the disk up to the last byte on its way to failing
      // (and leave its pages in the WAL file): refuse it first, keeping room for messages.
      const needed = files.reduce((n, f) => n + f.bytes.length, 0) * 2 + FREE_SPACE_RESERVE;
      const free = freeBytes(nodePath.dirname(path));
      if (free !== null && needed > free) {
        throw Object.assign(new Error(`not enough free disk space for ${files.length} files (${free} bytes free)`), { code: 'SQLITE_FULL' });
      }
      putAll(cellId, files);
    },

    list: (cellId) => selectList.all(cellId) as StoredFile[],
    stat: (cellId, name) => (selectStat.get(cellId, name) as StoredFile | undefined) ?? null,
    read: (cellId, name) => readWhole(cellId, name),
    chunks: (cellId, name) => streamChunks(cellId, name),
    deleteCells: (cellIds) => dropCells(cellIds),
    deleteOlderThan: (epochMs) => dropOld(epochMs),
    close: () => db.close(),
  };
}
