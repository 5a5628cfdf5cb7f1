#!/usr/bin/env node
// What the page does to show long streams, in Chromium: an embedded cell prints many lines one
// at a time (plain, flushed each, coloured, a `\r` progress bar), and for each run the time
// from its first message to the last change of its output, and the main thread's long tasks
// (over 50 ms) meanwhile. Given more than one embed script (builds to compare: copy
// public/embed.js aside before a change), their runs alternate, case by case, so that the
// machine's load falls on each alike; medians are printed per script and case.
//
// Usage: node scripts/render-bench.mjs <cellbox url> <embed.js> [<embed.js> ...]
// (RUNS=5 by default; CASES=lines,paced for some of the cases). The Cellbox server is any running one (npm start, scripts/serve.mjs).
/* global document, window, MutationObserver */
import fs from 'node:fs';
import http from 'node:http';
import { chromium } from 'playwright-core';

const [server, ...embeds] = process.argv.slice(2);
if (!server || !embeds.length) {
  console.error('usage: node scripts/render-bench.mjs <cellbox url> <embed.js> [<embed.js> ...]');
  process.exit(2);
}
const RUNS = Number(process.env.RUNS ?? 5);
const ALL_CASES = {
  lines: 'for i in range(10000):\n    print(f"line {i}: some output")',
  flushed: 'for i in range(3000):\n    print(f"line {i}: some output", flush=True)',
  colours: 'for i in range(5000):\n    print(f"\\x1b[3{i % 7 + 1}mline {i}\\x1b[0m: some output")',
  // Lines a few milliseconds apart, as a long computation's progress: a message every 20 ms or so.
  paced: 'import time\nfor i in range(8000):\n    print(f"line {i}: some output")\n    if i % 4 == 0: time.sleep(0.002)',
  progress: 'import sys\nfor i in range(5000):\n    sys.stdout.write(f"\\r{i / 50:.1f}% " + "#" * (i // 100))\n    sys.stdout.flush()\nprint()',
};
const CASES = Object.fromEntries(Object.entries(ALL_CASES).filter(([id]) => !process.env.CASES || process.env.CASES.split(',').includes(id)));
const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const scripts = embeds.map((f) => fs.readFileSync(f));
const host = http.createServer((req, res) => {
  const m = /^\/(\d+)\/(embed\.js)?/.exec(req.url ?? '');
  if (!m) return res.writeHead(404).end();
  if (m[2]) return res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(scripts[Number(m[1])]);
  const cells = Object.entries(CASES).map(([id, code]) => `<pre data-cellbox id="${id}">${escape(code)}</pre>`).join('\n');
  res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<!doctype html><meta charset="utf-8"><script src="embed.js" data-server="${server}" defer></script><body>${cells}`);
});
await new Promise((r) => host.listen(0, '127.0.0.1', r));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });

async function once(script, id) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${host.address().port}/${script}/`);
  await page.waitForFunction((id) => document.querySelector(`cellbox-cell:has(+ #${id})`)?.shadowRoot?.querySelector('.cb-run'), id);
  await page.evaluate((id) => {
    const m = { messages: 0, first: 0, lastShown: 0, long: [], done: 0 };
    window.__bench = m;
    new PerformanceObserver((l) => m.long.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
    const cell = document.querySelector(`cellbox-cell:has(+ #${id})`);
    cell.addEventListener('cellbox:output', () => {
      m.messages++;
      m.first ||= performance.now();
    });
    cell.addEventListener('cellbox:done', () => (m.done = performance.now()));
    const output = cell.shadowRoot.querySelector('.cb-output');
    new MutationObserver(() => (m.lastShown = performance.now())).observe(output, { subtree: true, childList: true, characterData: true });
    cell.shadowRoot.querySelector('.cb-run').click();
  }, id);
  await page.waitForFunction(() => window.__bench.done, null, { timeout: 120_000, polling: 200 });
  await page.waitForTimeout(300);
  const m = await page.evaluate(() => window.__bench);
  await context.close();
  return { messages: m.messages, shownMs: m.lastShown - m.first, longMs: m.long.reduce((a, b) => a + b, 0), maxLongMs: Math.max(0, ...m.long) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const id of Object.keys(CASES)) {
  const runs = embeds.map(() => []);
  for (let i = 0; i < RUNS; i++) for (const [s] of embeds.entries()) runs[s].push(await once(s, id));
  for (const [s, file] of embeds.entries()) {
    const r = runs[s];
    rows.push({ case: id, script: file, messages: median(r.map((x) => x.messages)), 'first to shown (ms)': Math.round(median(r.map((x) => x.shownMs))), 'long tasks (ms)': Math.round(median(r.map((x) => x.longMs))), 'longest task (ms)': Math.round(median(r.map((x) => x.maxLongMs))) });
  }
}
console.table(rows);
await browser.close();
host.close();
