// One device per data directory. A device starting ends every cell its database says is
// `running` (its predecessor died with them), so a second device on the same data (a second
// `npm start`, or a device orphaned by its supervisor's SIGKILL and still at work) ended the
// first one's cells with WorkerCrashed while they ran on, and their messages went on after
// the closing ones. The lock is SQLite's own: a small database of its own, held in exclusive
// locking mode for the device's life. The kernel drops the lock when the process dies however
// it dies, so no stale lock file ever needs clearing by hand; and being a file lock, it holds
// between processes in different PID or network namespaces that share the directory.
import path from 'node:path';
import Database from 'better-sqlite3';
import { unusable } from './db';

const FILE = 'device.lock';

export class DeviceLockError extends Error {}

export interface DeviceLock {
  release(): void;
}

/** Takes the data directory's device lock, or throws DeviceLockError saying another device holds it. */
export function lockDevice(dataDir: string): DeviceLock {
  const file = path.join(dataDir, FILE);
  // No busy wait: a lock held now is held by a device that is alive.
  const db = new Database(file, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // In exclusive locking mode the first write takes the exclusive lock and keeps it until the
    // connection closes.
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)');
    db.exec(`BEGIN EXCLUSIVE; DELETE FROM holder; INSERT INTO holder VALUES (${process.pid}); COMMIT`);
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY') || (e as { code?: string }).code?.startsWith('SQLITE_LOCKED')) {
      throw new DeviceLockError(`another Cellbox device is running on the data directory ${dataDir}; stop it first, or give this one a CELLBOX_DATA_DIR of its own`);
    }
    // A full disk, a read-only one: one line for the host, as for the database itself.
    throw unusable(file, e);
  }
  return { release: () => db.close() };
}
