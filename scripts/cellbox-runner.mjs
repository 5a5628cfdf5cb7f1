// Shared by the bench and the load test: a Cellbox started on a free port with a temporary data
// directory, one cell's round trip over the HTTP API, and percentiles.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), min: s[0], max: s[s.length - 1] };
}

const SIGNALS = ['SIGTERM', 'SIGINT'];
/** How long the web server and the device get to stop before they are killed. */
const STOP_GRACE_MS = 5000;

export async function startCellbox(extraEnv = {}) {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-bench-'));
  const env = { ...process.env, PORT: String(port), CELLBOX_DATA_DIR: dataDir, NEXT_TELEMETRY_DISABLED: '1', CELLBOX_QUEUE_LIMIT: '100000', CELLBOX_CELLS_PER_MINUTE: '0', ...extraEnv };
  const url = `http://127.0.0.1:${port}`;
  const web = spawn(process.execPath, [path.join(root, 'scripts/web.mjs'), '-p', String(port), '-H', '127.0.0.1'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const device = spawn(process.execPath, [path.join(root, 'dist/device.mjs')], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  // A caller that ends without stop() (an uncaught error in a probe, say) must not leave this
  // Cellbox running: its warm sandboxes would skew every measurement made after it.
  const orphaned = () => {
    for (const p of [web, device]) if (p.exitCode === null) p.kill('SIGTERM');
  };
  process.once('exit', orphaned);
  // The one way down, for stop(), a signal and a failed start: SIGTERM to both, up to
  // STOP_GRACE_MS for them to go, SIGKILL to whatever is left, then the data directory removed.
  const shutdown = async () => {
    const running = [web, device].filter((p) => p.exitCode === null && p.signalCode === null);
    const exits = running.map((p) => new Promise((r) => p.once('exit', r)));
    for (const p of running) p.kill('SIGTERM');
    await Promise.race([Promise.all(exits), sleep(STOP_GRACE_MS)]);
    for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  // A SIGTERM or SIGINT sent to this process alone ends it without 'exit': stop the Cellbox,
  // then end as the signal would have (its listener is gone by then, so a second one ends this
  // process at once).
  const signalled = async (signal) => {
    await shutdown();
    process.kill(process.pid, signal);
  };
  const release = () => {
    process.off('exit', orphaned);
    for (const s of SIGNALS) process.off(s, signalled);
  };
  for (const s of SIGNALS) process.once(s, signalled);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const langs = await (await fetch(`${url}/api/v1/languages`)).json();
      const ready = new Set(langs.filter((l) => l.version).map((l) => l.name));
      if (ready.has('python') && ready.has('javascript')) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      release();
      await shutdown();
      throw new Error('Cellbox did not start within two minutes');
    }
    await sleep(200);
  }
  return {
    url,
    web,
    device,
    dataDir,
    async stop() {
      release();
      await shutdown();
    },
  };
}

/**
 * The measuring client: node:http over kept-alive connections, asking for gzip as a browser
 * does. Node's fetch (undici) cost its caller 4-6 ms more per cell round trip on the 2-core VM
 * this was written on (a light Python cell every 300 ms, 60 a side, three rounds, alternating:
 * p50 12.8-15.3 ms against 16.9-21.3), CPU taken on the machine the server is measured on;
 * a browser's fetch is native code in a process of its own. Resolves with the status and the
 * parsed JSON body (null when the body is not JSON).
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
export function request(url, { method = 'GET', headers = {}, json } = {}) {
  const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
  const all = { 'Accept-Encoding': 'gzip', ...headers, ...(body ? { 'Content-Type': 'application/json', 'Content-Length': String(body.length) } : {}) };
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: all, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        try {
          let raw = Buffer.concat(chunks);
          if (res.headers['content-encoding'] === 'gzip') raw = zlib.gunzipSync(raw);
          let parsed = null;
          if (/json/.test(res.headers['content-type'] ?? '')) parsed = JSON.parse(raw.toString('utf8'));
          resolve({ status: res.statusCode, headers: res.headers, body: parsed });
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A cell's first messages, by position. */
const OPENING = ['status', 'execute_input'];

/**
 * How long the POST waits for a cell's first messages, as the browser's cell client does
 * (embed/client.ts): a quick cell's reply then comes in the POST's own answer.
 */
const CREATE_WAIT_SECONDS = 1;

/** POST a cell, follow its long-poll to execute_reply; the time from POST to that reply. */
export async function cellboxRun(url, cell) {
  const t0 = performance.now();
  const res = await request(`${url}/api/v1/cells?wait=${CREATE_WAIT_SECONDS}`, { method: 'POST', json: cell });
  if (res.status !== 201) return { ok: false, status: res.status, ms: performance.now() - t0 };
  const { id } = res.body;
  let after = 0;
  let sawPng = false;
  let first = res.body.answer;
  for (;;) {
    const a = first ?? (await request(`${url}/api/v1/cells/${id}/messages?after=${after}&wait=25`)).body;
    first = undefined;
    for (const m of a.messages) {
      // Every message counts: one missing (numbered from 1, busy and the input first) fails the cell.
      const expected = OPENING[after] ?? m.header.msg_type;
      if (m.seq !== after + 1 || m.header.msg_type !== expected) return { ok: false, broken: `message ${after + 1} missing: got ${m.seq} ${m.header.msg_type}`, ms: performance.now() - t0, id };
      after = m.seq;
      if (m.header.msg_type === 'display_data' && m.content.data?.['image/png']) sawPng = true;
      if (m.header.msg_type === 'execute_reply') {
        const ms = performance.now() - t0;
        return { ok: m.content.status === 'ok', ms, sawPng, id };
      }
    }
    after = a.next;
    if (a.done) return { ok: false, ms: performance.now() - t0, id };
  }
}

