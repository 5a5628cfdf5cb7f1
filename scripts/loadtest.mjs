#!/usr/bin/env node
// npm run loadtest: offers Cellbox about ten times the cells it can run (open loop: a new cell
// every 1/RATE s, whatever happened to the others) and checks that it holds: admitted cells
// finish with a bounded round trip, refused ones are told so at once, and the counts add up:
// sent = finished + refused, none lost. Environment: LOADTEST_RATE (cells/s, default 200),
// LOADTEST_SECONDS (default 20), LOADTEST_QUEUE_LIMIT (default 200). Not part of npm test.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cellboxRun, root, sleep, startCellbox, stats } from './cellbox-runner.mjs';

const RATE = Number(process.env.LOADTEST_RATE ?? 200);
const SECONDS = Number(process.env.LOADTEST_SECONDS ?? 20);
const QUEUE_LIMIT = Number(process.env.LOADTEST_QUEUE_LIMIT ?? 200);
const DRAIN_MS = 180_000;

const log = (...a) => console.error('[loadtest]', ...a);

async function main() {
  log(`starting Cellbox (queue limit ${QUEUE_LIMIT})…`);
  // Many clients are simulated from one address: per-address limits are off for this run.
  const box = await startCellbox({ CELLBOX_QUEUE_LIMIT: String(QUEUE_LIMIT), CELLBOX_LONG_POLLS_PER_CLIENT: '1000000' });
  const results = { date: new Date().toISOString(), cores: os.availableParallelism(), rate: RATE, seconds: SECONDS, queueLimit: QUEUE_LIMIT };
  try {
    await sleep(3000);
    log(`offering ${RATE} cells/s for ${SECONDS} s…`);
    const admitted = [];
    const refused = [];
    const refusedBy = {};
    const failures = [];
    const runs = [];
    const t0 = performance.now();
    let sent = 0;
    while (performance.now() - t0 < SECONDS * 1000) {
      const due = t0 + (sent * 1000) / RATE;
      const now = performance.now();
      if (due > now) await sleep(Math.max(0, due - now));
      sent++;
      runs.push(
        cellboxRun(box.url, { language: 'python', code: 'print(1+1)' }).then(
          (r) => {
            if (r.ok) admitted.push(r.ms);
            else if (r.status === 503 || r.status === 429) {
              refused.push(r.ms);
              refusedBy[r.status] = (refusedBy[r.status] ?? 0) + 1;
            } else failures.push(r.broken ?? r.status ?? 'cell error');
          },
          (e) => failures.push(e.message),
        ),
      );
    }
    const offeredSeconds = (performance.now() - t0) / 1000;
    log(`sent ${sent}; waiting for admitted cells to finish…`);
    await Promise.race([Promise.all(runs), sleep(DRAIN_MS)]);
    const totalSeconds = (performance.now() - t0) / 1000;
    const health = await (await fetch(`${box.url}/healthz`)).json();
    const lost = sent - admitted.length - refused.length - failures.length;
    Object.assign(results, {
      sent,
      offeredPerSecond: sent / offeredSeconds,
      finished: admitted.length,
      refused: refused.length,
      refusedBy,
      failed: failures.length,
      failures: failures.slice(0, 10),
      lost,
      stuck: health.cells,
      finishedPerSecond: admitted.length / totalSeconds,
      admitted: stats(admitted),
      refusal: stats(refused),
    });
  } finally {
    await box.stop();
  }

  const r = results;
  const f = (v) => (Number.isFinite(v) ? v.toFixed(1) : '—');
  console.log(`\nCellbox load test, ${r.date}: ${r.cores} cores, ${r.rate} cells/s offered for ${r.seconds} s, queue limit ${r.queueLimit}\n`);
  console.log(`| measure | value |\n|---|---|`);
  console.log(`| sent | ${r.sent} (${f(r.offeredPerSecond)}/s) |`);
  console.log(`| finished | ${r.finished} (${f(r.finishedPerSecond)}/s over the whole run) |`);
  console.log(`| refused at once | ${r.refused} (${Object.entries(r.refusedBy).map(([s, n]) => `${n} × ${s}`).join(', ') || 'none'}) |`);
  console.log(`| failed otherwise | ${r.failed} |`);
  console.log(`| lost (no answer) | ${r.lost} |`);
  console.log(`| left queued / running | ${r.stuck.queued} / ${r.stuck.running} |`);
  console.log(`| admitted round trip p50 / p99 / max (ms) | ${f(r.admitted.p50)} / ${f(r.admitted.p99)} / ${f(r.admitted.max)} |`);
  console.log(`| refusal answer p50 / p99 (ms) | ${f(r.refusal.p50)} / ${f(r.refusal.p99)} |`);
  console.log(`\ncounts add up: sent ${r.sent} = finished ${r.finished} + refused ${r.refused} + failed ${r.failed} + lost ${r.lost}: ${r.sent === r.finished + r.refused + r.failed + r.lost ? 'yes' : 'NO'}`);
  const dir = path.join(root, 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `loadtest-${r.date.replace(/[:.]/g, '-')}.json`), JSON.stringify(r, null, 2));
  if (r.lost > 0 || r.failed > 0 || r.stuck.queued > 0 || r.stuck.running > 0) process.exit(1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
