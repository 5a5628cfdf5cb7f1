// What every hostile-program test checks after its attack, and how it looks at the host from
// outside the sandbox. See test/hostile/: one file per attack.
import fs from 'node:fs';
import { expect } from 'vitest';
import type { Message } from '../../protocol/messages';
import { CELL_ERRORS } from '../../protocol/errors';
import { errorOf, get, post, replyOf, run, stderr, stdout, types, type Cellbox } from './cellbox';

export type Language = 'python' | 'bash' | 'javascript';

/** A trivial cell per language and what it prints. */
const TRIVIAL: Record<Language, string> = {
  python: 'print(6 * 7)',
  bash: 'echo $((6 * 7))',
  javascript: 'console.log(6 * 7)',
};

/** POSTs a cell with a time limit of its own (seconds) and follows it to its end. */
export function runFor(box: Cellbox, code: string, language: Language, timeout: number): Promise<Message[]> {
  return run(box.url, code, language, { timeout });
}

/**
 * The JSON a probe cell printed as its report. A cell that printed none fails the test with
 * what it did say: its error, its stderr and its messages' types, not a bare JSON SyntaxError.
 */
export function reportOf(ms: Message[]): any {
  const out = stdout(ms);
  try {
    return JSON.parse(out);
  } catch {
    const e = errorOf(ms);
    throw new Error(`the cell printed no JSON report: ${e ? `${e.ename}: ${e.evalue}\n${e.traceback.join('\n')}` : 'no error'}\nstdout: ${out.slice(0, 2000)}\nstderr: ${stderr(ms).slice(0, 2000)}\nmessages: ${types(ms).join(', ')}`);
  }
}

/** Runs a cell that must succeed; returns its stdout, or fails the test with the cell's error. */
export async function ok(box: Cellbox, code: string, language: Language = 'python'): Promise<string> {
  const ms = await run(box.url, code, language);
  const e = errorOf(ms);
  if (e) throw new Error(`the ${language} cell failed: ${e.ename}: ${e.evalue}\n${e.traceback.join('\n')}\nstdout: ${stdout(ms)}`);
  return stdout(ms);
}

/**
 * The cell was stopped (or failed) and says so the Jupyter way: one `error` with this ename
 * (and an evalue matching `evalue`) before an `execute_reply` with status error, and
 * `status: idle` last.
 */
export function expectStopped(ms: Message[], ename: string, evalue?: RegExp): void {
  const error = errorOf(ms);
  expect(error, `no error message; got ${JSON.stringify(types(ms))}`).toBeDefined();
  expect(error!.ename).toBe(ename);
  if (evalue) expect(error!.evalue).toMatch(evalue);
  expect(replyOf(ms).status).toBe('error');
  const t = types(ms);
  expect(t.filter((x) => x === 'error')).toHaveLength(1);
  expect(t.indexOf('error')).toBeLessThan(t.indexOf('execute_reply'));
  expect(t.slice(-2)).toEqual(['execute_reply', 'status']);
  expect((ms[ms.length - 1].content as { execution_state: string }).execution_state).toBe('idle');
}

/** Every ename the sandbox itself may stop a cell with. */
export const SANDBOX_ENAMES: string[] = Object.values(CELL_ERRORS);

/** GET /healthz answers 200 with the device alive, and nothing is left running. */
export async function expectHealthy(box: Cellbox): Promise<void> {
  const h = await get(`${box.url}/healthz`);
  expect(h.status).toBe(200);
  expect(h.body).toMatchObject({ status: 'ok', database: 'ok', device: { alive: true, pid: box.device.pid } });
}

/** The next cell of each language runs normally, and the server is healthy. */
export async function expectRecovered(box: Cellbox, languages: Language[]): Promise<void> {
  await Promise.all(
    languages.map(async (language) => {
      const ms = await run(box.url, TRIVIAL[language], language);
      expect(errorOf(ms), `the next ${language} cell failed`).toBeUndefined();
      expect(replyOf(ms).status).toBe('ok');
      expect(stdout(ms)).toBe('42\n');
    }),
  );
  await expectHealthy(box);
}

/** A host process as the host's /proc shows it. */
export interface HostProcess { pid: number; state: string; comm: string; cmdline: string }

/**
 * Host processes, other than zombies (already dead, waiting to be reaped), whose command line
 * or name contains `marker`. Read from the host's /proc, so a process the sandbox hid from
 * itself is still seen.
 */
export function hostProcesses(marker: string): HostProcess[] {
  const found: HostProcess[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      if (cmdline.includes(marker) || comm.includes(marker)) found.push({ pid: Number(name), state, comm, cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * Waits until no host process carries `marker`, and returns what is still there after
 * `withinMs` (empty when all are gone). Killing a sandbox is asynchronous in the kernel: the
 * last processes may take a moment to die after the cell's final messages are written.
 */
export async function survivors(marker: string, withinMs = 5000): Promise<HostProcess[]> {
  const until = Date.now() + withinMs;
  for (;;) {
    const left = hostProcesses(marker);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until a host process carries `marker` (the attack is under way); throws if none shows up. */
export async function appears(marker: string, withinMs = 10_000): Promise<HostProcess[]> {
  const until = Date.now() + withinMs;
  for (;;) {
    const found = hostProcesses(marker);
    if (found.length > 0) return found;
    if (Date.now() > until) throw new Error(`no host process with ${marker} appeared within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A marker unique to this run, safe in code of every language and in a process name (15 bytes). */
export function marker(tag: string): string {
  return `cbx${tag}${Math.random().toString(36).slice(2, 8)}`.slice(0, 15);
}

/** Submits a cell and returns its id without waiting. */
export async function submit(box: Cellbox, code: string, language: Language, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await post(`${box.url}/api/v1/cells`, { code, language, ...extra });
  if (r.status !== 201) throw new Error(`POST /cells answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.id as string;
}
