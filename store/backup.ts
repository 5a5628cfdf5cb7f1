// A backup of a data directory's two databases, taken while Cellbox runs (scripts/backup.mjs).
// Copying the files with `cp` is not one: in WAL mode the newest commits live in the `-wal`
// file, and a copy of the main file made while the device writes can be torn. `VACUUM INTO`
// writes each database as one read transaction sees it, a whole and compact file, without
// holding up the web server's or the device's writes, and keeps the schema version
// (`user_version`) the store checks at start. The snippets (permalinks, kept for good) are in
// cellbox.sqlite; files.sqlite holds the files of the cells of the last `retentionHours`.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type Config, ConfigError, databasePath, filestorePath, loadConfig } from './config';

export class BackupError extends Error {}

/** What the host must fix, in one line, when `e` (thrown by backup()) is theirs to fix; else null. */
export function backupProblem(e: unknown): string | null {
  return e instanceof BackupError || e instanceof ConfigError ? e.message : null;
}

export interface BackedUp {
  from: string;
  to: string;
  bytes: number;
}

/** backup() of the data directory the settings name (the environment, cellbox.config.json), as the servers read them. */
export function backupData(target: string, env: Record<string, string | undefined> = process.env, cwd = process.cwd()): BackedUp[] {
  return backup(loadConfig(env, cwd), target);
}

/**
 * Writes a copy of each of `config`'s databases into the folder `target` (made if missing),
 * under its own name. Refuses, before writing anything, a target that already holds either
 * name or a database that is missing; a copy left half-written by a failure is removed.
 */
export function backup(config: Config, target: string): BackedUp[] {
  const pairs = [databasePath(config), filestorePath(config)].map((from) => ({ from, to: path.resolve(target, path.basename(from)) }));
  for (const { from } of pairs) {
    if (!fs.existsSync(from)) throw new BackupError(`${from} does not exist: is ${config.dataDir} the data directory Cellbox runs on (CELLBOX_DATA_DIR, or "dataDir" in cellbox.config.json)?`);
  }
  for (const { to } of pairs) {
    if (fs.existsSync(to)) throw new BackupError(`${to} already exists; a backup never overwrites one: choose another folder`);
  }
  try {
    fs.mkdirSync(target, { recursive: true });
  } catch (e) {
    throw new BackupError(`the folder ${target} cannot be made: ${(e as Error).message}`);
  }
  const done: BackedUp[] = [];
  for (const { from, to } of pairs) {
    const db = new Database(from, { readonly: true, fileMustExist: true });
    try {
      // The device's writes are short; one in progress is waited for, not failed on.
      db.pragma('busy_timeout = 5000');
      db.prepare('VACUUM INTO ?').run(to);
    } catch (e) {
      fs.rmSync(to, { force: true });
      throw new BackupError(`${from} could not be copied to ${to}: ${(e as Error).message}`);
    } finally {
      db.close();
    }
    done.push({ from, to, bytes: fs.statSync(to).size });
  }
  return done;
}
