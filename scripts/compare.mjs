#!/usr/bin/env node
// npm run compare -- <treeA> <treeB>: two builds of Cellbox side by side, in alternating rounds
// on the same machine, where two bench runs hours apart cannot be compared (the VM's pace moves
// the rows by a fifth from one hour to the next). Each tree is a checkout already built
// (`node scripts/build.mjs` in it) and is started by its own scripts/cellbox-runner.mjs, so
// each runs its own code. A round: start that tree's Cellbox, warm it with 20 cells, then
// COMPARE_CLIENTS clients (default 4) send trivial Python cells back to back for
// COMPARE_SECONDS (default 10); COMPARE_ROUNDS (default 3) rounds a side, the order swapped
// each round. COMPARE_LANGUAGE and COMPARE_CODE name another cell than `print(1+1)` in Python
// (a plot, a JavaScript cell). Prints cells/s, the round trip's p50, and the machine's CPU per cell (all
// cores' busy time from /proc/stat over the round, divided by the cells: this client's own
// included, the same for both sides). Not part of npm test.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROUNDS = Number(process.env.COMPARE_ROUNDS ?? 3);
const SECONDS = Number(process.env.COMPARE_SECONDS ?? 10);
const CLIENTS = Number(process.env.COMPARE_CLIENTS ?? 4);
const WARM_CELLS = 20;
const CELL = { language: process.env.COMPARE_LANGUAGE ?? 'python', code: process.env.COMPARE_CODE ?? 'print(1+1)' };
/** Clock ticks of /proc/stat per second (USER_HZ, 100 on Linux). */
const TICKS = 100;

const log = (...a) => console.error('[compare]', ...a);

function busyTicks() {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + fields[4]; // idle and iowait
  return fields.reduce((a, b) => a + b, 0) - idle;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function checkTree(tree) {
  for (const need of ['scripts/cellbox-runner.mjs', 'dist/device.mjs', '.next/BUILD_ID']) {
    if (!fs.existsSync(path.join(tree, need))) throw new Error(`${tree} has no ${need}: build it first (cd ${tree} && node scripts/build.mjs)`);
  }
}

async function round(tree) {
  const runner = await import(pathToFileURL(path.join(tree, 'scripts/cellbox-runner.mjs')).href);
  const box = await runner.startCellbox({ CELLBOX_LONG_POLLS_PER_CLIENT: '1000000' });
  try {
    for (let i = 0; i < WARM_CELLS; i++) await runner.cellboxRun(box.url, CELL);
    await runner.sleep(1000);
    const ms = [];
    let failed = 0;
    const c0 = busyTicks();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (performance.now() - t0 < SECONDS * 1000) {
        const r = await runner.cellboxRun(box.url, CELL);
        if (r.ok) ms.push(r.ms);
        else failed++;
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    const cells = ms.length + failed;
    return { cellsPerSecond: cells / seconds, p50: median(ms), cpuMsPerCell: ((busyTicks() - c0) / TICKS) * 1000 / cells, failed };
  } finally {
    await box.stop();
  }
}

async function main() {
  const trees = process.argv.slice(2).map((t) => path.resolve(t));
  if (trees.length !== 2) {
    console.error('usage: npm run compare -- <treeA> <treeB>   (two built checkouts of Cellbox)');
    process.exit(2);
  }
  trees.forEach(checkTree);
  const results = trees.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [1, 0] : [0, 1];
    for (const i of order) {
      log(`round ${r + 1} of ${ROUNDS}: ${trees[i]}…`);
      results[i].push(await round(trees[i]));
    }
  }
  const fmt = (xs, key, digits = 1) => xs.map((x) => x[key].toFixed(digits)).join(' / ');
  const cell = process.env.COMPARE_CODE === undefined && process.env.COMPARE_LANGUAGE === undefined ? 'trivial Python cells' : `${CELL.language} cells ${JSON.stringify(CELL.code)}`;
  console.log(`${CLIENTS} clients, ${cell} back to back, ${SECONDS} s a round, ${ROUNDS} rounds a side, alternated\n`);
  console.log('| tree | cells/s | p50 (ms) | machine CPU per cell (ms) | failed |');
  console.log('|---|---|---|---|---|');
  trees.forEach((t, i) => {
    const xs = results[i];
    console.log(`| ${t} | ${fmt(xs, 'cellsPerSecond')} | ${fmt(xs, 'p50')} | ${fmt(xs, 'cpuMsPerCell')} | ${xs.reduce((a, x) => a + x.failed, 0)} |`);
  });
}

main().catch((e) => {
  console.error(`[compare] ${e.message}`);
  process.exit(1);
});
