// Another process holding the database's write lock, as a second writer (a backup, a host's
// sqlite3 shell) can: what every writer of Cellbox's must wait out without a 500 or a lost cell.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Takes the write lock on `file` in a separate process and holds it for `ms`; resolves once it is held, with a wait for its release. */
export function holdWriteLock(file: string, ms: number): Promise<() => Promise<void>> {
  const script = `
    const Database = require(${JSON.stringify(path.join(root, 'node_modules/better-sqlite3'))});
    const db = new Database(${JSON.stringify(file)});
    db.exec('BEGIN IMMEDIATE');
    console.log('locked');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${ms});`;
  const p = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    p.stdout.once('data', () => resolve(() => new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', () => r())))));
  });
}
