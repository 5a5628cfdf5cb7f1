// Opens the hand-off database shared by the web app and the device: pragmas and migrations.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** Each entry moves the schema one version up; never edit a released one, add another. */
const MIGRATIONS: string[] = [
  `CREATE TABLE cells (
     seq INTEGER PRIMARY KEY,               -- FIFO order of the queue
     id TEXT NOT NULL UNIQUE,
     language TEXT NOT NULL,
     code TEXT NOT NULL,
     timeout_ms INTEGER NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('queued','running','done')),
     header TEXT NOT NULL,                  -- the execute_request header, JSON
     created INTEGER NOT NULL,
     started INTEGER,
     finished INTEGER,
     outcome TEXT CHECK (outcome IN ('ok','error')),
     final_seq INTEGER,                     -- seq of the closing status: idle
     interrupt INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX cells_status ON cells(status, seq);
   CREATE INDEX cells_finished ON cells(finished) WHERE finished IS NOT NULL;
   CREATE TABLE messages (
     id INTEGER PRIMARY KEY,                -- global order: the watcher wakes cells past the last id it saw
     cell_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     body TEXT NOT NULL                     -- the message without seq, JSON
   );
   CREATE UNIQUE INDEX messages_cell_seq ON messages(cell_id, seq);
   CREATE TABLE languages (
     name TEXT PRIMARY KEY,
     info TEXT NOT NULL,                    -- LanguageInfo JSON, as the device found the runtime
     position INTEGER NOT NULL
   );
   CREATE TABLE device (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     pid INTEGER NOT NULL,
     started INTEGER NOT NULL,
     heartbeat INTEGER NOT NULL
   );`,
  // Shared code, content-addressed (store/snippets.ts). Kept for good: retention never touches it.
  `CREATE TABLE snippets (
     id TEXT PRIMARY KEY,
     language TEXT NOT NULL,
     code TEXT NOT NULL,
     title TEXT,
     created INTEGER NOT NULL               -- ms since the epoch; the first share's
   );`,
  // How many times a device took the cell from the queue (store/cells.ts claimNext). A cell
  // whose device died before it started is queued again; one that took its device down each
  // time would be run at every restart for ever: after a few tries it is ended (device.ts).
  `ALTER TABLE cells ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;`,
  // The values of the cell's interacts it was posted with (protocol/interact.ts), compact JSON
  // as the device hands them to the worker; NULL for a cell posted without.
  `ALTER TABLE cells ADD COLUMN interact TEXT;`,
  // The code of the linked cells before it on its page (protocol/linked.ts), a compact JSON list
  // as the device hands it to the worker; NULL for a cell that runs alone.
  `ALTER TABLE cells ADD COLUMN linked TEXT;`,
  // The device's warm pools as its last heartbeat saw them (store/heartbeat.ts PoolState), a
  // compact JSON list, for /metrics; NULL before a device that writes it has beaten.
  `ALTER TABLE device ADD COLUMN pools TEXT;`,
];

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

/** The database cannot be used as it is (damaged, another program's, a newer Cellbox's): a start stops with this. */
export class DatabaseError extends Error {}

/**
 * Makes the data directory if it is missing and checks that this user can write in it, or
 * throws a DatabaseError naming it. One level at a time: Node's recursive mkdirSync never
 * returned for a path under /proc.
 */
export function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  while (!fs.existsSync(at)) {
    missing.unshift(at);
    const up = path.dirname(at);
    if (up === at) break;
    at = up;
  }
  try {
    if (!fs.statSync(at).isDirectory()) throw new DatabaseError(`the data directory ${dir} cannot be made: ${at} is not a directory`);
    for (const d of missing) fs.mkdirSync(d);
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    if (e instanceof DatabaseError) throw e;
    throw new DatabaseError(`the data directory ${dir} is not usable: ${(e as Error).message.replace(/^\w+: /, '')}; give CELLBOX_DATA_DIR a directory this user can write in`);
  }
}

export function openDatabase(file: string): Db {
  ensureDirectory(path.dirname(file));
  let db: Db;
  try {
    db = new Database(file);
  } catch (e) {
    throw unusable(file, e);
  }
  try {
    walMode(db);
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    // After a checkpoint the WAL file is cut back to this size instead of keeping its largest.
    db.pragma(`journal_size_limit = ${16 * 1024 * 1024}`);
    migrate(db, file);
  } catch (e) {
    db.close();
    throw unusable(file, e);
  }
  return db;
}

/**
 * Why `file` cannot be opened, in one line a host can act on: with a stack trace from inside
 * better-sqlite3 ("file is not a database"), it did not say which file, nor what to do.
 */
export function unusable(file: string, e: unknown): unknown {
  const code = (e as { code?: string }).code ?? '';
  if (e instanceof DatabaseError) return e;
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new DatabaseError(`${file} is damaged or not a Cellbox database (${code}); move it (with its -wal and -shm files) out of the way to start with an empty one`);
  }
  if (code.startsWith('SQLITE_FULL')) {
    return new DatabaseError(`${file} cannot be written: the disk of the data directory is full (${code}); free space on it and start again`);
  }
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) {
    return new DatabaseError(`${file} cannot be opened for writing (${code}); the data directory must be writable by this user`);
  }
  return e;
}

function migrate(db: Db, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  // A newer Cellbox's database: this one would read and write it by rules it no longer follows.
  if (version > MIGRATIONS.length) {
    throw new DatabaseError(`${file} was written by a newer Cellbox (schema version ${version}; this one knows up to ${MIGRATIONS.length}); run that version, or move the file away`);
  }
  if (version === MIGRATIONS.length) return;
  db.transaction(() => {
    // Re-read inside the write transaction: the other process may have migrated meanwhile.
    const current = db.pragma('user_version', { simple: true }) as number;
    for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
