// Starts a real Cellbox (web server and device as separate processes, like `npm start`) on a
// free port with a temporary data directory, and offers small HTTP helpers to drive it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Message } from '../../protocol/messages';

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether a process with this pid is still there (a zombie counts until it is reaped). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until `ok()` holds, looking every 100 ms; throws, naming `what`, after `ms`. */
export async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Runs one of Cellbox's server scripts (`dist/device.mjs`, `scripts/web.mjs`, relative to the
 * project) with `env` until it exits: its status and its output, stdout and stderr together.
 * Killed after 20 s: a start that should have been refused was not.
 */
export async function runUntilExit(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const [script, ...rest] = args;
  const p = spawn(process.execPath, [path.join(root, script), ...rest], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  p.stdout!.on('data', (d) => (output += d));
  p.stderr!.on('data', (d) => (output += d));
  const killer = setTimeout(() => p.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
  clearTimeout(killer);
  return { code, output };
}

export interface Cellbox {
  url: string;
  port: number;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  device: ChildProcess;
  web: ChildProcess;
  logs: string[];
  startDevice(): Promise<void>;
  killDevice(signal?: NodeJS.Signals): Promise<void>;
  startWeb(): Promise<void>;
  killWeb(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

function pipeLogs(p: ChildProcess, logs: string[], tag: string): void {
  for (const s of [p.stdout, p.stderr]) s?.on('data', (d: Buffer) => logs.push(`[${tag}] ${d.toString()}`));
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number, logs: string[]): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms. Logs:\n${logs.join('').slice(-4000)}`);
}

function exited(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((r) => p.once('exit', () => r()));
}

/** The languages the set-up script makes sure of; tests may rely on all of them. */
const EXPECTED_LANGUAGES = ['python', 'javascript', 'bash'];
/**
 * What a test's Cellbox offers unless the test asks for more (CELLBOX_LANGUAGES): the others
 * (Sage, R, Octave …) take seconds of CPU to warm, which every one of the suite's servers
 * would pay on two cores.
 */
const TEST_LANGUAGES = EXPECTED_LANGUAGES.join(',');

export interface StartOptions {
  /** Descriptors of ours the device inherits, by its number for them: what a careless supervisor leaves open. */
  deviceInherits?: Record<number, number>;
}

export type Stdio = Array<'pipe' | 'ignore' | 'inherit' | number>;

/** A child's stdio: `base` (pipes for 0-2, logged, by default), then `inherits` at their numbers. */
export function stdioWith(inherits: Record<number, number> = {}, base: Stdio = ['pipe', 'pipe', 'pipe']): Stdio {
  const stdio = [...base];
  for (const [theirs, ours] of Object.entries(inherits)) {
    while (stdio.length < Number(theirs)) stdio.push('ignore');
    stdio[Number(theirs)] = ours;
  }
  return stdio;
}

/**
 * Starts web server and device; resolves when both answer and every expected language is
 * warm. (The device offers each language once its first worker is ready, one by one: a slow
 * machine may offer bash well before python.)
 */
export async function startCellbox(extraEnv: Record<string, string> = {}, options: StartOptions = {}): Promise<Cellbox> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-test-'));
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), CELLBOX_DATA_DIR: dataDir, NEXT_TELEMETRY_DISABLED: '1', CELLBOX_LANGUAGES: TEST_LANGUAGES, ...extraEnv };
  const expected = EXPECTED_LANGUAGES.filter((l) => env.CELLBOX_LANGUAGES!.split(',').includes(l));
  const logs: string[] = [];
  const url = `http://127.0.0.1:${port}`;
  const box = {
    url,
    port,
    dataDir,
    env,
    logs,
    device: null as unknown as ChildProcess,
    web: null as unknown as ChildProcess,
    startWeb() {
      box.web = spawn(process.execPath, [path.join(root, 'scripts/web.mjs'), '-p', String(port), '-H', '127.0.0.1'], { cwd: root, env });
      pipeLogs(box.web, logs, 'web');
      return waitFor(async () => (await fetch(`${url}/api/v1/languages`)).ok, 'web server start', 60_000, logs);
    },
    async killWeb(signal: NodeJS.Signals = 'SIGKILL') {
      box.web.kill(signal);
      await exited(box.web);
    },
    async startDevice() {
      box.device = spawn(process.execPath, ['--enable-source-maps', path.join(root, 'dist/device.mjs')], { cwd: root, env, stdio: stdioWith(options.deviceInherits) });
      pipeLogs(box.device, logs, 'device');
      const startedAfter = Date.now();
      await waitFor(async () => {
        const h = await (await fetch(`${url}/healthz`)).json();
        const langs = (await (await fetch(`${url}/api/v1/languages`)).json()) as { name: string; version: string }[];
        const ready = new Set(langs.filter((l) => l.version).map((l) => l.name));
        return h.device.alive && h.device.pid === box.device.pid && expected.every((l) => ready.has(l)) && Date.now() > startedAfter;
      }, 'device start', 60_000, logs);
    },
    async killDevice(signal: NodeJS.Signals = 'SIGKILL') {
      box.device.kill(signal);
      await exited(box.device);
    },
    async stop() {
      for (const p of [box.device, box.web]) if (p && p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
      await Promise.all([box.device, box.web].filter(Boolean).map((p) => Promise.race([exited(p), new Promise((r) => setTimeout(r, 8000))])));
      for (const p of [box.device, box.web]) if (p && p.exitCode === null) p.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await box.startWeb();
    await box.startDevice();
  } catch (e) {
    // The test's afterAll has no box to stop: without this, a server that failed to start
    // stayed running (and busy) under the rest of the suite.
    await box.stop();
    throw e;
  }
  return box;
}

export interface Reply { status: number; body: any; headers: Headers }

async function reply(res: Response): Promise<Reply> {
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // leave as text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/**
 * Waits until `box` offers every one of `names` (`GET /api/v1/languages` gives it a version: its
 * pool is warm; Sage's fork server takes seconds to import sage.all on a slow machine) and
 * returns the listing, or throws after a minute with the end of its logs.
 */
export async function untilOffered(box: Cellbox, names: string[]): Promise<{ name: string; version: string; file_extension: string; codemirror_mode: string }[]> {
  for (let i = 0; i < 600; i++) {
    const listed = (await get(`${box.url}/api/v1/languages`)).body;
    if (names.every((n) => listed.some((l: { name: string; version: string }) => l.name === n && l.version))) return listed;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not all of ${names.join(', ')} were offered within a minute:\n${box.logs.join('').slice(-3000)}`);
}

export async function post(url: string, body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }): Promise<Reply> {
  const payload = typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
  return reply(await fetch(url, { method: 'POST', headers, body: payload }));
}

export async function get(url: string): Promise<Reply> {
  return reply(await fetch(url));
}

/** Follows a cell's long-poll to its end, from message `from` on; returns the messages past it. */
export async function messagesUntilDone(base: string, id: string, onBatch?: (batch: Message[], at: number) => void, from = 0): Promise<Message[]> {
  const all: Message[] = [];
  let after = from;
  for (let i = 0; i < 1000; i++) {
    const r = await get(`${base}/api/v1/cells/${id}/messages?after=${after}&wait=25`);
    if (r.status !== 200) throw new Error(`messages answered ${r.status}: ${JSON.stringify(r.body)}`);
    onBatch?.(r.body.messages, Date.now());
    all.push(...r.body.messages);
    after = r.body.next;
    if (r.body.done) return all;
  }
  throw new Error('the cell never finished');
}

/** Queues `code`, interrupts it once it has printed "started", and returns its id and all its messages. */
export async function stopWhenStarted(base: string, code: string, language = 'python'): Promise<{ id: string; ms: Message[] }> {
  const created = await post(`${base}/api/v1/cells`, { code, language });
  if (created.status !== 201) throw new Error(`POST /cells answered ${created.status}: ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  let printed = '';
  let after = 0;
  while (!printed.includes('started')) {
    const r = await get(`${base}/api/v1/cells/${id}/messages?after=${after}&wait=10`);
    if (r.body.done) throw new Error(`the cell ended before it was stopped: ${JSON.stringify(r.body.messages)}`);
    printed += stdout(r.body.messages);
    after = r.body.next;
  }
  const interrupted = await post(`${base}/api/v1/cells/${id}/interrupt`, '');
  if (interrupted.status !== 202) throw new Error(`the interrupt answered ${interrupted.status}: ${JSON.stringify(interrupted.body)}`);
  return { id, ms: await messagesUntilDone(base, id) };
}

/** Runs code through POST /cells and the long-poll; returns its messages. */
export async function run(base: string, code: string, language = 'python', extra: Record<string, unknown> = {}): Promise<Message[]> {
  const r = await post(`${base}/api/v1/cells`, { code, language, ...extra });
  if (r.status !== 201) throw new Error(`POST /cells answered ${r.status}: ${JSON.stringify(r.body)}`);
  return messagesUntilDone(base, r.body.id);
}

export function types(ms: Message[]): string[] {
  return ms.map((m) => m.header.msg_type);
}

export function stdout(ms: Message[]): string {
  return ms.filter((m) => m.header.msg_type === 'stream' && (m.content as any).name === 'stdout').map((m) => (m.content as any).text).join('');
}

export function stderr(ms: Message[]): string {
  return ms.filter((m) => m.header.msg_type === 'stream' && (m.content as any).name === 'stderr').map((m) => (m.content as any).text).join('');
}

export function errorOf(ms: Message[]): { ename: string; evalue: string; traceback: string[] } | undefined {
  return ms.find((m) => m.header.msg_type === 'error')?.content as any;
}

export function replyOf(ms: Message[]): { status: string } {
  return ms.find((m) => m.header.msg_type === 'execute_reply')!.content as any;
}
