#!/usr/bin/env node
// `npm run backup -- <folder>`: copies the data directory's two databases (the queue, messages
// and snippets; the cells' files) into <folder> while Cellbox runs (store/backup.ts). The data
// directory is the one the servers use: CELLBOX_DATA_DIR, or "dataDir" in cellbox.config.json.
// Restoring: stop Cellbox, put the two files in the data directory in place of its
// cellbox.sqlite and files.sqlite (and remove their -wal and -shm files), start it again.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bundle = path.join(root, 'dist/backup.mjs');

function refuse(message) {
  console.error(`[backup] error: ${message}`);
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length !== 1 || args[0].startsWith('-')) refuse('name the folder to write the backup into: npm run backup -- /var/backups/cellbox/2026-12-07');
if (!fs.existsSync(bundle)) refuse(`${path.relative(root, bundle)} is not built: run node scripts/build.mjs (npm start does) first`);
const { backupData, backupProblem } = await import(bundle);
try {
  for (const { from, to, bytes } of backupData(args[0])) console.log(`[backup] ${from} → ${to} (${bytes} bytes)`);
} catch (e) {
  const problem = backupProblem(e);
  if (problem) refuse(problem);
  throw e;
}
