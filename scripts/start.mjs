#!/usr/bin/env node
// `npm start`: install what is missing, build what is stale, then serve.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
for (const step of ['setup.mjs', 'build.mjs']) {
  const r = spawnSync(process.execPath, [path.join(here, step)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
await import('./serve.mjs');
