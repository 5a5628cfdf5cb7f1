#!/usr/bin/env node
// Runs the two server processes side by side: the web app (scripts/web.mjs on PORT) and the device.
// If either stops, the other is stopped too; Ctrl-C stops both cleanly; and if this process
// is killed outright, both get SIGTERM.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };

/**
 * Each child is started through setpriv with a parent-death signal: killed with SIGKILL (an
 * OOM killer, a supervisor's stop timeout), this process cannot stop them, and they ran on
 * without it, the web server holding the port and the device its cells, so the next start
 * found both taken. The signal comes from the kernel, however this process dies. setpriv
 * (util-linux) is one of the set-up's required packages; without it the children are
 * started as they are.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
function start(args) {
  const [cmd, argv] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'TERM', '--', process.execPath, ...args]] : [process.execPath, args];
  return spawn(cmd, argv, { cwd: root, env, stdio: 'inherit' });
}

// The web server takes its port from the config (PORT, or "port" in cellbox.config.json) and
// says it when it listens.
const children = [
  start(['--enable-source-maps', path.join(root, 'dist/device.mjs')]),
  start([path.join(root, 'scripts/web.mjs')]),
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
console.log('[cellbox] starting the device and the web server; Ctrl-C stops both');
