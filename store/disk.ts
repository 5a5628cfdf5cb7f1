// Whether the database's disk can take writes, told from outside SQLite. When the device's
// heartbeat goes stale, /healthz asks this: a full disk (SQLITE_FULL) fails the heartbeat as
// well as every other write, and was reported as a dead device, which sent a host to restart
// a device that was alive, and which then could not start either.
import fs from 'node:fs';
import path from 'node:path';

/**
 * Free space under which the disk counts as full. SQLite needs a page or two (4 KiB each) for
 * the heartbeat; under this, a write of any size may fail, and a stale heartbeat is explained.
 */
export const FULL_BELOW_BYTES = 1024 * 1024;

export type DiskState =
  | { state: 'ok' }
  | { state: 'full'; freeBytes: number }
  | { state: 'not_writable'; reason: string };

/** The state of the disk and folder holding the database `file`. */
export function diskState(file: string): DiskState {
  const dir = path.dirname(file);
  try {
    // EROFS for a read-only mount, EACCES for a file this user may not write.
    fs.accessSync(dir, fs.constants.W_OK);
    if (fs.existsSync(file)) fs.accessSync(file, fs.constants.W_OK);
  } catch (e) {
    return { state: 'not_writable', reason: (e as { code?: string }).code ?? (e as Error).message };
  }
  try {
    const st = fs.statfsSync(dir);
    const freeBytes = st.bavail * st.bsize;
    return freeBytes < FULL_BELOW_BYTES ? { state: 'full', freeBytes } : { state: 'ok' };
  } catch {
    return { state: 'ok' }; // cannot tell: say nothing rather than guess
  }
}
