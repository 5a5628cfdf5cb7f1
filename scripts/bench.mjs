#!/usr/bin/env node
// npm run bench: starts Cellbox on a free port and measures what a user and an operator feel:
// the round trip of single cells (Python, a matplotlib plot, JavaScript, a trivial cell of each
// other language the server offers), sustained throughput
// under many clients, the web server's CPU with 1,000 idle long-polls, and the memory of a warm
// worker. The same cells then run against Jupyter Server on loopback, with a fresh kernel per
// cell and with one warm kernel, and every ratio is printed. One table on stdout, JSON in
// bench/results/. Environment: BENCH_QUICK=1 for a short run; BENCH_SECONDS for the sustained run.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { cellboxRun, freePort, request, root, sleep, startCellbox, stats } from './cellbox-runner.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
// The paced rows hold the targets a person meets: enough cells that their p50 holds from run to run.
const N = QUICK ? { trivial: 40, plot: 8, plotPaced: 5, js: 20, paced: 10, language: 8, jupyterFresh: 5, jupyterWarm: 40 } : { trivial: 150, plot: 20, plotPaced: 20, js: 60, paced: 30, language: 10, jupyterFresh: 15, jupyterWarm: 200 };
const SUSTAINED_SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 8 : 30));
const SUSTAINED_CLIENTS = 64;
const IDLE_POLLS = 1000;

const CELLS = {
  trivial: { language: 'python', code: 'print(1+1)' },
  plot: { language: 'python', code: 'import matplotlib.pyplot as plt\nplt.plot([1, 3, 2, 4])' },
  js: { language: 'javascript', code: 'console.log(1+1)' },
};

/**
 * A trivial cell of each other language, for a row each (p50), when the server offers it. One
 * every second, a person's pace: a pool of one R or Octave worker takes a moment to refill, and
 * cells sent back to back would measure that instead.
 */
const LANGUAGE_CELLS = {
  bash: 'echo $((1 + 1))',
  sage: 'print(1 + 1)',
  r: 'cat(1 + 1, "\\n")',
  octave: 'disp(1 + 1)',
  c: '#include <stdio.h>\nint main(void) { printf("%d\\n", 1 + 1); return 0; }',
  fortran: 'print "(i0)", 1 + 1\nend',
  gp: 'print(1 + 1)',
  gap: 'Print(1 + 1, "\\n");',
  singular: 'print(1 + 1);',
  maxima: 'print(1 + 1)$',
  html: '<p>1 + 1 = 2</p>',
};
const LANGUAGE_PACE_MS = 1000;
/** GAP takes some 1.2 s to start: at one a second its pool of one would not be ready again. */
const LANGUAGE_PACE_MS_OF = { gap: 1600 };
/**
 * Warm-up cells dropped before a language's row: its pool is warm by then, so one is enough;
 * eleven languages at three each would take the run past five minutes.
 */
const LANGUAGE_WARMUP = 1;
/**
 * The trivial Python and JavaScript rows run back to back, each cell right after the last, so
 * each also meets the work of replacing the worker the last one used. A second row for each at
 * a quick person's pace, one cell every PACE_MS, shows a cell on its own.
 */
const PACE_MS = 300;

const log = (...a) => console.error('[bench]', ...a);

/** /proc counts CPU time in USER_HZ, 100 a second on Linux whatever the kernel's own tick. */
const USER_HZ = 100;

/**
 * A process's parent and CPU time so far in ms (user + system): its own, and that of its
 * ended children it has waited for (cutime + cstime, theirs included); null once it is gone.
 */
function processStat(pid) {
  let stat;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the command, which is in parentheses and may hold spaces: see proc(5).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ms = (...at) => (at.reduce((n, i) => n + Number(fields[i]), 0) * 1000) / USER_HZ;
  return { ppid: Number(fields[1]), ownMs: ms(11, 12), reapedMs: ms(13, 14) };
}

/**
 * CPU seconds (user + system) used so far by a process and all its live descendants; with
 * `reaped`, also every descendant that has ended and been waited for (each process's
 * cutime/cstime: its waited-for children's, and theirs in turn), so a cell's process counts
 * after the forker has reaped it.
 */
function treeCpuSeconds(pid, { reaped = false } = {}) {
  // One pass over /proc: each process's CPU time and its children.
  const cpu = new Map();
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = processStat(entry);
    if (!stat) continue; // gone meanwhile
    cpu.set(Number(entry), (reaped ? stat.ownMs + stat.reapedMs : stat.ownMs) / 1000);
    if (!children.has(stat.ppid)) children.set(stat.ppid, []);
    children.get(stat.ppid).push(Number(entry));
  }
  const sum = (p) => (cpu.get(p) ?? 0) + (children.get(p) ?? []).reduce((n, c) => n + sum(c), 0);
  return sum(pid);
}

/** Unique memory (USS: private clean + private dirty) of one process, in MiB. */
function ussMiB(pid) {
  const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return (kb('Private_Clean') + kb('Private_Dirty')) / 1024;
}

// --- Cellbox ---------------------------------------------------------------------------------

async function sequential(url, cell, n, check = () => true, paceMs = 0, warmup = 3) {
  const times = [];
  let failed = 0;
  for (let i = 0; i < n + warmup; i++) {
    if (paceMs && i > 0) await sleep(paceMs);
    const r = await cellboxRun(url, cell);
    if (i < warmup) continue;
    if (r.ok && check(r)) times.push(r.ms);
    else failed++;
  }
  return { ...stats(times), failed };
}

/** The machine's busy CPU time so far, in ms: every core, user and kernel (steal, the hypervisor's, left out). */
function machineBusyMs() {
  const [user, nice, system, , , irq, softirq] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq) * 1000) / USER_HZ;
}

/**
 * Waits until the machine is quiet: two half-seconds in a row with less than a fifth of one
 * core busy (an idle Cellbox uses some 1-3%), or 90 s. Returns the seconds it waited.
 */
async function quiet() {
  const started = Date.now();
  let calm = 0;
  while (calm < 2 && Date.now() - started < 90_000) {
    const before = machineBusyMs();
    await sleep(500);
    calm = machineBusyMs() - before < 100 ? calm + 1 : 0;
  }
  if (calm < 2) log('the machine did not quiet down in 90 s: the rows measure whatever else runs too');
  return (Date.now() - started) / 1000;
}

/** One process's own CPU time so far (user + system, its children left out), in ms; 0 once it is gone. */
const processCpuMs = (pid) => processStat(pid)?.ownMs ?? 0;

/** This process's CPU time so far, in ms: the bench's own clients. */
function ownCpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function sustained(url, webPid, devicePid) {
  const until = performance.now() + SUSTAINED_SECONDS * 1000;
  const times = [];
  let sent = 0;
  let rejected = 0;
  let failed = 0;
  const accepted = new Set();
  const finished = new Set();
  const t0 = performance.now();
  const busy0 = machineBusyMs();
  const own0 = ownCpuMs();
  const web0 = processCpuMs(webPid);
  const device0 = processCpuMs(devicePid);
  const deviceTree0 = treeCpuSeconds(devicePid, { reaped: true }) * 1000;
  await Promise.all(Array.from({ length: SUSTAINED_CLIENTS }, async () => {
    while (performance.now() < until) {
      sent++;
      const r = await cellboxRun(url, CELLS.trivial).catch(() => ({ ok: false, ms: 0 }));
      if (r.status === 503 || r.status === 429) {
        rejected++;
        await sleep(50);
        continue;
      }
      if (r.id) accepted.add(r.id);
      if (r.ok) {
        finished.add(r.id);
        times.push(r.ms);
      } else failed++;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  // What a cell costs the machine, the bench's 64 clients left out: steadier from run to run
  // than the rate, which also moves with everything else the VM's host does.
  const cpuPerCell = (machineBusyMs() - busy0 - (ownCpuMs() - own0)) / finished.size;
  // Where it goes: the web server's and the device's own processes; the sandboxes (the device's
  // descendants, live or reaped: bwrap, fork servers, cells, their inits and namespace makers);
  // and the rest, most of it the kernel's own threads (a network namespace is freed by one).
  const webPerCell = (processCpuMs(webPid) - web0) / finished.size;
  const devicePerCell = (processCpuMs(devicePid) - device0) / finished.size;
  const sandboxesPerCell = (treeCpuSeconds(devicePid, { reaped: true }) * 1000 - deviceTree0) / finished.size - devicePerCell;
  const split = { web: webPerCell, device: devicePerCell, sandboxes: sandboxesPerCell, rest: cpuPerCell - webPerCell - devicePerCell - sandboxesPerCell };
  // Lost: accepted by the server, never finished with its final messages.
  let lost = 0;
  for (const id of accepted) {
    if (finished.has(id)) continue;
    const c = await (await fetch(`${url}/api/v1/cells/${id}`)).json();
    if (c.status !== 'done') lost++;
  }
  return { seconds, sent, finished: finished.size, rejected, failed, lost, perSecond: finished.size / seconds, cpuPerCell, cpuSplit: split, ...stats(times) };
}

async function idleLongPolls(url, webPid) {
  // A cell that says nothing until its 30 s wall time stops it: long-polls on it wait.
  const cellStarted = performance.now();
  const res = await fetch(`${url}/api/v1/cells`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: 'import time\nprint("start", flush=True)\ntime.sleep(60)', timeout: 30 }) });
  if (res.status !== 201) throw new Error(`the idle cell was refused: ${res.status} ${await res.text()}`);
  const { id } = await res.json();
  let after = 0;
  while (after < 3) after = (await (await fetch(`${url}/api/v1/cells/${id}/messages?after=${after}&wait=10`)).json()).next;
  const controller = new AbortController();
  const polls = [];
  const sent = performance.now();
  for (let i = 0; i < IDLE_POLLS; i++) {
    polls.push(fetch(`${url}/api/v1/cells/${id}/messages?after=${after}&wait=30`, { signal: controller.signal }).catch(() => {}));
  }
  // Measure only once the web server holds every poll: routing a thousand requests through
  // Next.js takes seconds of CPU on two cores, which a fixed pause would count as idle cost.
  const settleBy = performance.now() + 60_000;
  while (performance.now() < settleBy) {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    if (Number(/^cellbox_longpolls_waiting (\d+)/m.exec(metrics)?.[1] ?? 0) >= IDLE_POLLS) break;
    await sleep(250);
  }
  await sleep(1000); // the last requests' own bookkeeping after they began to wait
  const settleSeconds = (performance.now() - sent) / 1000;
  // The window must end before the polls' 30 s wait and the cell's wall time do, or it would
  // count their answers.
  const seconds = Math.min(10, Math.floor(28 - (performance.now() - cellStarted) / 1000));
  if (seconds < 3) throw new Error(`the web server took ${settleSeconds.toFixed(1)} s to take ${IDLE_POLLS} long-polls: no quiet window is left to measure`);
  const cpu0 = treeCpuSeconds(webPid);
  await sleep(seconds * 1000);
  const cpu = treeCpuSeconds(webPid) - cpu0;
  controller.abort();
  await Promise.all(polls);
  await fetch(`${url}/api/v1/cells/${id}/interrupt`, { method: 'POST' });
  return { polls: IDLE_POLLS, seconds, settleSeconds, cpuPercentOfOneCore: (cpu / seconds) * 100 };
}

/**
 * warmWorkerMemory(), again while a process it listed ends before its memory is read: the pools
 * are still settling (a spare taken, a short-lived child of a zygote gone).
 */
async function settledWorkerMemory() {
  for (let tries = 1; ; tries++) {
    try {
      return warmWorkerMemory();
    } catch (e) {
      if (!['ESRCH', 'ENOENT'].includes(e.code) || tries >= 20) throw e;
      await sleep(250);
    }
  }
}

/** Every process on the machine: pid, parent and command line. */
function processes() {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' }).trim().split('\n').map((l) => {
    const [pid, ppid, ...args] = l.trim().split(/\s+/);
    return { pid: Number(pid), ppid: Number(ppid), args: args.join(' ') };
  });
}

function warmWorkerMemory() {
  // Python cells fork from a fork server (zygote), through its forker, a copy of it that forks
  // every cell. A warm cell is two processes of its own: the cell's process waiting for code
  // and its PID namespace's init (nsmaker), both sharing their pages with the zygote and the
  // forker until written: count what is unique to them.
  const rows = processes();
  const python = rows.filter((r) => /^\/usr\/bin\/python3 -I \S*kernel\.py/.test(r.args));
  const isPython = new Set(python.map((r) => r.pid));
  const hasChild = (pid) => python.some((c) => c.ppid === pid);
  const nsPid = (pid) => {
    try {
      return /^NSpid:(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1].trim().split(/\s+/).map(Number);
    } catch {
      return [];
    }
  };
  const pidNs = (pid) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/ns/pid`);
    } catch {
      return undefined;
    }
  };
  // Each cell's PID namespace's first process (nsmaker), read once for all cells.
  const inits = rows.filter((p) => nsPid(p.pid)[2] === 1);
  // Two zygotes: the full one preloads numpy and the rest, the light one nothing.
  const zygotes = python.filter((r) => !isPython.has(r.ppid) && hasChild(r.pid));
  const of = (zygote) => {
    if (!zygote) return { zygote: false, workers: 0, ussMiB: NaN, forkServerUssMiB: NaN };
    // No forker yet: the zygote is still importing. (Its other child of that depth, the short-lived
    // one that learns a cell's pages, has no child of its own.)
    const forker = python.find((r) => r.ppid === zygote.pid && nsPid(r.pid).length === 2 && hasChild(r.pid));
    if (!forker) return { zygote: true, workers: 0, ussMiB: NaN, forkServerUssMiB: NaN };
    const cells = python.filter((r) => r.ppid === forker.pid && nsPid(r.pid).length === 3).map((r) => {
      const ns = pidNs(r.pid);
      const init = ns === undefined ? undefined : inits.find((p) => pidNs(p.pid) === ns);
      return ussMiB(r.pid) + (init ? ussMiB(init.pid) : 0);
    });
    cells.sort((a, b) => a - b);
    return { zygote: true, workers: cells.length, ussMiB: cells.length ? cells[Math.floor(cells.length / 2)] : NaN, forkServerUssMiB: ussMiB(zygote.pid) + ussMiB(forker.pid) };
  };
  return {
    full: of(zygotes.find((z) => /"preload":"[^"]/.test(z.args))),
    light: of(zygotes.find((z) => /"preload":""/.test(z.args))),
  };
}

// --- Jupyter Server --------------------------------------------------------------------------

async function startJupyter() {
  const probe = spawn('/usr/bin/python3', ['-c', 'import jupyter_server, ipykernel'], { stdio: 'ignore' });
  const code = await new Promise((r) => probe.on('exit', r));
  if (code !== 0) return null;
  const port = await freePort();
  const token = crypto.randomBytes(16).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-bench-jupyter-'));
  const proc = spawn('/usr/bin/python3', ['-m', 'jupyter_server', `--port=${port}`, '--ip=127.0.0.1', '--no-browser', `--ServerApp.token=${token}`, `--ServerApp.root_dir=${dir}`, ...(process.getuid?.() === 0 ? ['--allow-root'] : [])], {
    env: { ...process.env, JUPYTER_RUNTIME_DIR: path.join(dir, 'runtime'), JUPYTER_CONFIG_DIR: path.join(dir, 'config'), JUPYTER_DATA_DIR: path.join(dir, 'data'), MPLCONFIGDIR: path.join(dir, 'mpl') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const headers = { Authorization: `token ${token}` };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/api/status`, { headers })).ok) break;
    } catch {
      // starting
    }
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`Jupyter Server did not start:\n${stderr}`);
    await sleep(200);
  }
  return {
    url,
    headers,
    token,
    async stop() {
      proc.kill('SIGTERM');
      await sleep(1000);
      if (proc.exitCode === null) proc.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One kernel over the Jupyter websocket: send execute_request, await the reply. */
async function openKernel(j) {
  // The same client as Cellbox's cells (cellbox-runner.mjs), for a fair fresh-kernel row.
  const k = (await request(`${j.url}/api/kernels`, { method: 'POST', headers: j.headers, json: { name: 'python3' } })).body;
  const ws = new WebSocket(`${j.url.replace('http', 'ws')}/api/kernels/${k.id}/channels?token=${j.token}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const waiting = new Map();
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString());
    const w = waiting.get(m.parent_header?.msg_id);
    if (!w) return;
    if (m.msg_type === 'display_data' && m.content.data?.['image/png']) w.png = true;
    if (m.msg_type === 'execute_reply') w.reply = m.content.status;
    if (m.msg_type === 'status' && m.content.execution_state === 'idle') w.idle = true;
    if (m.msg_type === 'kernel_info_reply') w.resolve({ ok: true });
    // Done when both the reply (shell) and idle (iopub) came, in whichever order they did.
    if (w.reply && w.idle) w.resolve({ ok: w.reply === 'ok', sawPng: w.png });
  });
  const send = (msgType, content, channel = 'shell') => {
    const msgId = crypto.randomUUID();
    const msg = { header: { msg_id: msgId, msg_type: msgType, username: 'bench', session: crypto.randomUUID(), date: new Date().toISOString(), version: '5.3' }, parent_header: {}, metadata: {}, content, channel, buffers: [] };
    return new Promise((resolve) => {
      waiting.set(msgId, { resolve });
      ws.send(JSON.stringify(msg));
    });
  };
  // Ready when it answers kernel_info (as a frontend waits before running anything).
  for (;;) {
    const r = await Promise.race([send('kernel_info_request', {}), sleep(500).then(() => null)]);
    if (r) break;
  }
  return {
    run: (code) => send('execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true }),
    async close() {
      ws.close();
      await fetch(`${j.url}/api/kernels/${k.id}`, { method: 'DELETE', headers: j.headers });
    },
  };
}

/** A fresh kernel per cell, as isolated as Cellbox's cells: start, run, shut down. */
async function jupyterFresh(j, cell, n, check = () => true) {
  const times = [];
  let failed = 0;
  for (let i = 0; i < n + 1; i++) {
    const t0 = performance.now();
    const k = await openKernel(j);
    const r = await k.run(cell.code);
    const ms = performance.now() - t0;
    await k.close();
    if (i === 0) continue;
    if (r.ok && check(r)) times.push(ms);
    else failed++;
  }
  return { ...stats(times), failed };
}

/** One warm kernel reused for every cell (no isolation between cells). */
async function jupyterWarm(j, cell, n, check = () => true) {
  const k = await openKernel(j);
  const times = [];
  let failed = 0;
  for (let i = 0; i < n + 3; i++) {
    const t0 = performance.now();
    const r = await k.run(cell.code);
    const ms = performance.now() - t0;
    if (i < 3) continue;
    if (r.ok && check(r)) times.push(ms);
    else failed++;
  }
  await k.close();
  return { ...stats(times), failed };
}

/**
 * Whether the server offers a language, waiting for its first worker (Sage's fork server takes
 * seconds). A language whose runtime is missing is never listed: the wait ends after 30 s.
 */
async function offered(url, language) {
  const until = Date.now() + 30_000;
  for (;;) {
    const langs = await (await fetch(`${url}/api/v1/languages`)).json();
    if (langs.some((l) => l.name === language && l.version)) return true;
    if (Date.now() > until) return false;
    await sleep(200);
  }
}

// --- the run ---------------------------------------------------------------------------------

function machine() {
  const cpus = os.cpus();
  let debian = '';
  try {
    debian = fs.readFileSync('/etc/debian_version', 'utf8').trim();
  } catch {
    // not Debian
  }
  return { cpu: cpus[0]?.model ?? 'unknown', cores: os.availableParallelism(), memoryGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version, debian };
}

/**
 * The machine's pace, measured the same way at the start and at the end of a run: a process
 * started and ended (/bin/true: what every cell's isolation is made of, and what this VM's
 * paging makes dear) and a fixed loop of plain JavaScript, medians. Rows of one run against
 * another's mean little when these moved: the same commit's back-to-back rows differ by 10% or
 * more between runs here.
 */
function pace() {
  const median = (xs) => stats(xs).p50;
  const timed = (f) => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };
  const processMs = median(Array.from({ length: 60 }, () => timed(() => spawnSync('/bin/true'))));
  const loopMs = median(Array.from({ length: 7 }, () => timed(() => {
    let x = 0;
    for (let i = 0; i < 2e6; i++) x = (x + i * i) % 1000003;
    if (x < 0) throw new Error('never');
  })));
  return { processMs, loopMs };
}

/** Pids of the web servers and devices of Cellbox instances on this machine other than `ours`. */
function otherCellboxes(ours) {
  return processes().filter((p) => /(dist\/device\.mjs|scripts\/web\.mjs)/.test(p.args) && !ours.includes(p.pid)).map((p) => p.pid);
}

const fmt = (v, digits = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—');

async function main() {
  const started = Date.now();
  const results = { date: new Date().toISOString(), machine: machine(), quick: QUICK, cellbox: {}, jupyter: null };
  log('the machine\'s pace…');
  results.pace = { start: pace(), end: null };
  log('starting Cellbox…');
  // Every client of the bench comes from one address: the per-address cap on long-polls (100
  // by default) would refuse 900 of the 1,000 idle ones with 429.
  const box = await startCellbox({ CELLBOX_LONG_POLLS_PER_CLIENT: String(IDLE_POLLS * 2) });
  // Another instance's warm workers share the CPU and the memory rows' process list.
  results.otherCellboxes = otherCellboxes([box.web.pid, box.device.pid]);
  if (results.otherCellboxes.length) log(`another Cellbox is running on this machine (pids ${results.otherCellboxes.join(', ')}): stop it for a clean run`);
  try {
    // The pools filled: Python is offered once its first pool (the light one, often) is warm,
    // and the full zygote's imports take seconds more while the other languages warm too.
    let memory = await settledWorkerMemory();
    const starting = (z) => !z.zygote || z.workers === 0;
    for (const until = Date.now() + 60_000; (starting(memory.full) || starting(memory.light)) && Date.now() < until;) {
      await sleep(500);
      memory = await settledWorkerMemory();
    }
    await sleep(1000); // and the rest of each pool
    results.cellbox.memory = await settledWorkerMemory();
    // The other languages' pools warm meanwhile (Sage's zygote imports for seconds, R and Octave
    // start): a row measured then measured them too. The first back-to-back row of two runs of
    // one commit came out 19.4 and 32.1 ms before this wait.
    results.settleSeconds = await quiet();
    log('trivial Python cells…');
    results.cellbox.trivial = await sequential(box.url, CELLS.trivial, N.trivial);
    log('matplotlib cells…');
    results.cellbox.plot = await sequential(box.url, CELLS.plot, N.plot, (r) => r.sawPng);
    log('JavaScript cells…');
    results.cellbox.js = await sequential(box.url, CELLS.js, N.js);
    log(`trivial Python cells, plots and JavaScript cells, one every ${PACE_MS} ms…`);
    results.cellbox.trivialPaced = await sequential(box.url, CELLS.trivial, N.paced, () => true, PACE_MS);
    results.cellbox.plotPaced = await sequential(box.url, CELLS.plot, N.plotPaced, (r) => r.sawPng, PACE_MS);
    results.cellbox.jsPaced = await sequential(box.url, CELLS.js, N.paced, () => true, PACE_MS);
    results.cellbox.languages = {};
    for (const [language, code] of Object.entries(LANGUAGE_CELLS)) {
      if (!(await offered(box.url, language))) {
        log(`${language} is not offered here (its runtime is not installed): no row`);
        continue;
      }
      log(`${language} cells, one a second…`);
      results.cellbox.languages[language] = await sequential(box.url, { language, code }, N.language, () => true, LANGUAGE_PACE_MS_OF[language] ?? LANGUAGE_PACE_MS, LANGUAGE_WARMUP);
    }
    log(`sustained load, ${SUSTAINED_CLIENTS} clients, ${SUSTAINED_SECONDS} s…`);
    results.cellbox.sustained = await sustained(box.url, box.web.pid, box.device.pid);
    log(`${IDLE_POLLS} idle long-polls…`);
    results.cellbox.idle = await idleLongPolls(box.url, box.web.pid);
  } finally {
    await box.stop();
  }

  log('starting Jupyter Server…');
  const j = await startJupyter();
  if (!j) {
    log('Jupyter Server is not installed (apt-get install -y python3-jupyter-server python3-ipykernel): no comparison.');
  } else {
    try {
      results.jupyter = {};
      log('Jupyter, a fresh kernel per cell…');
      results.jupyter.freshTrivial = await jupyterFresh(j, CELLS.trivial, N.jupyterFresh);
      results.jupyter.freshPlot = await jupyterFresh(j, { code: '%matplotlib inline\n' + CELLS.plot.code }, N.jupyterFresh, (r) => r.sawPng);
      log('Jupyter, one warm kernel…');
      results.jupyter.warmTrivial = await jupyterWarm(j, CELLS.trivial, N.jupyterWarm);
      results.jupyter.warmPlot = await jupyterWarm(j, { code: '%matplotlib inline\n' + CELLS.plot.code }, Math.min(N.jupyterWarm, N.plot), (r) => r.sawPng);
    } finally {
      await j.stop();
    }
  }
  results.pace.end = pace();
  results.seconds = (Date.now() - started) / 1000;

  const c = results.cellbox;
  const jr = results.jupyter;
  const ratio = (a, b) => (jr && Number.isFinite(a) && Number.isFinite(b) ? `${(b / a).toFixed(1)}×` : '—');
  const rows = [
    ['measure', 'Cellbox', 'target', 'Jupyter fresh kernel', 'ratio', 'Jupyter warm kernel', 'ratio'],
    ['trivial Python cell p50 (ms)', fmt(c.trivial.p50), '≤ 10', fmt(jr?.freshTrivial.p50), ratio(c.trivial.p50, jr?.freshTrivial.p50), fmt(jr?.warmTrivial.p50), ratio(c.trivial.p50, jr?.warmTrivial.p50)],
    ['trivial Python cell p99 (ms)', fmt(c.trivial.p99), '≤ 30', fmt(jr?.freshTrivial.p99), ratio(c.trivial.p99, jr?.freshTrivial.p99), fmt(jr?.warmTrivial.p99), ratio(c.trivial.p99, jr?.warmTrivial.p99)],
    ['matplotlib plot p50 (ms)', fmt(c.plot.p50), '≤ 100', fmt(jr?.freshPlot.p50), ratio(c.plot.p50, jr?.freshPlot.p50), fmt(jr?.warmPlot.p50), ratio(c.plot.p50, jr?.warmPlot.p50)],
    ['JavaScript cell p50 (ms)', fmt(c.js.p50), '≤ 20', '', '', '', ''],
    [`trivial Python / JavaScript cell, one every ${PACE_MS} ms: p50 / p99 (ms)`, `${fmt(c.trivialPaced.p50)} / ${fmt(c.trivialPaced.p99)}, ${fmt(c.jsPaced.p50)} / ${fmt(c.jsPaced.p99)}`, '≤ 10 / ≤ 30, ≤ 20', '', '', '', ''],
    [`matplotlib plot, one every ${PACE_MS} ms: p50 (ms)`, fmt(c.plotPaced.p50), '≤ 100', '', '', '', ''],
    ...Object.entries(c.languages).map(([language, r]) => [`trivial ${language} cell p50 (ms)`, fmt(r.p50), '', '', '', '', '']),
    [`sustained, ${SUSTAINED_CLIENTS} clients (cells/s)`, fmt(c.sustained.perSecond), '≥ 500', '', '', '', ''],
    ['sustained p99 (ms)', fmt(c.sustained.p99), '≤ 1000', '', '', '', ''],
    ['sustained: machine CPU per cell, the bench\'s clients left out (ms)', fmt(c.sustained.cpuPerCell), `≤ ${fmt((1000 * results.machine.cores) / 500)} (500 cells/s)`, '', '', '', ''],
    ['sustained: of which web server / device / sandboxes / the rest, the kernel\'s threads most of it (ms)', `${fmt(c.sustained.cpuSplit.web)} / ${fmt(c.sustained.cpuSplit.device)} / ${fmt(c.sustained.cpuSplit.sandboxes)} / ${fmt(c.sustained.cpuSplit.rest)}`, '', '', '', '', ''],
    ['sustained: sent / finished / rejected / failed / lost', `${c.sustained.sent} / ${c.sustained.finished} / ${c.sustained.rejected} / ${c.sustained.failed} / ${c.sustained.lost}`, 'failed, lost 0', '', '', '', ''],
    [`${IDLE_POLLS} idle long-polls, web CPU (% of a core)`, fmt(c.idle.cpuPercentOfOneCore), '≤ 5', '', '', '', ''],
    ['warm Python worker memory, USS (MiB): light / full zygote', `${fmt(c.memory.light.ussMiB)} / ${fmt(c.memory.full.ussMiB)}`, '≤ 15', '', '', '', ''],
    ['Python fork servers (zygote and forker, shared by their cells), USS (MiB): light / full', `${fmt(c.memory.light.forkServerUssMiB)} / ${fmt(c.memory.full.forkServerUssMiB)}`, '', '', '', '', ''],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => '| ' + r.map((v, i) => String(v).padEnd(widths[i])).join(' | ') + ' |';
  const m = results.machine;
  console.log(`\nCellbox bench, ${results.date}${QUICK ? ' (quick)' : ''}`);
  console.log(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}, Debian ${m.debian}, Node ${m.node}`);
  const p = results.pace;
  console.log(`pace (start / end): a process started and ended ${fmt(p.start.processMs, 2)} / ${fmt(p.end.processMs, 2)} ms, a fixed JavaScript loop ${fmt(p.start.loopMs)} / ${fmt(p.end.loopMs)} ms`);
  if (results.otherCellboxes.length) console.log(`another Cellbox was running on this machine (pids ${results.otherCellboxes.join(', ')}): the rows are not clean`);
  console.log('');
  console.log(line(rows[0]));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows.slice(1)) console.log(line(r));
  console.log('\nratio: how many times longer Jupyter took than Cellbox for the same cell (higher is better for Cellbox).');
  const languageFailures = Object.values(c.languages).reduce((n, r) => n + r.failed, 0);
  console.log(`failed cells: Cellbox ${c.trivial.failed + c.plot.failed + c.js.failed + c.trivialPaced.failed + c.plotPaced.failed + c.jsPaced.failed + languageFailures + c.sustained.failed}${jr ? `, Jupyter ${jr.freshTrivial.failed + jr.freshPlot.failed + jr.warmTrivial.failed + jr.warmPlot.failed}` : ''}; run took ${fmt(results.seconds, 0)} s, ${fmt(results.settleSeconds)} s of it waiting for the machine to quiet down after the start`);
  const dir = path.join(root, 'bench/results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${results.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2));
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(results, null, 2));
  console.log(`JSON: ${path.relative(root, file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
