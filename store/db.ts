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
];

export function openDatabase(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  // After a checkpoint the WAL file is cut back to this size instead of keeping its largest.
  db.pragma(`journal_size_limit = ${16 * 1024 * 1024}`);
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version >= MIGRATIONS.length) return;
  db.transaction(() => {
    // Re-read inside the write transaction: the other process may have migrated meanwhile.
    const current = db.pragma('user_version', { simple: true }) as number;
    for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}
