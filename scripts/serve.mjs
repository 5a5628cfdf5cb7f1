#!/usr/bin/env node
// Runs the two server processes side by side: the web app (scripts/web.mjs on PORT) and the device.
// If either stops, the other is stopped too; Ctrl-C stops both cleanly.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = process.env.PORT ?? '3000';
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };

const children = [
  spawn(process.execPath, ['--enable-source-maps', path.join(root, 'dist/device.mjs')], { cwd: root, env, stdio: 'inherit' }),
  spawn(process.execPath, [path.join(root, 'scripts/web.mjs'), '-p', port], { cwd: root, env, stdio: 'inherit' }),
];
let exitCode = 0;
let stopping = false;

function stopAll(code) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  // A child that ignores SIGTERM is killed after a grace period.
  setTimeout(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')), 8000).unref();
}

for (const [i, c] of children.entries()) {
  c.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[cellbox] the ${i === 0 ? 'device' : 'web server'} stopped (${signal ?? `status ${code}`}); stopping`);
      stopAll(code || 1);
    }
    if (children.every((x) => x.exitCode !== null || x.signalCode !== null)) process.exit(exitCode);
  });
}

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => stopAll(0));
console.log(`[cellbox] serving on http://localhost:${port} (data in ${process.env.CELLBOX_DATA_DIR ?? './data'})`);
