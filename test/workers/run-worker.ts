// Test helper: runs one language worker outside the sandbox on one cell and collects what it sends.
import { spawn, type StdioOptions } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import type { WorkerEvent } from '../../workers/protocol';

export type Language = 'python' | 'node' | 'bash' | 'r' | 'octave' | 'c' | 'fortran' | 'gp' | 'html' | 'singular' | 'gap' | 'maxima';

const WORKERS_DIR = fileURLToPath(new URL('../../workers/', import.meta.url));

/** The command lines the device uses inside the sandbox, with the workers' real paths. */
export const WORKER_COMMANDS: Record<Language, string[]> = {
  python: ['/usr/bin/python3', '-I', path.join(WORKERS_DIR, 'python/kernel.py')],
  node: ['/usr/bin/node', path.join(WORKERS_DIR, 'node/kernel.cjs')],
  bash: ['/usr/bin/bash', path.join(WORKERS_DIR, 'bash/kernel.sh')],
  r: ['/usr/bin/bash', path.join(WORKERS_DIR, 'r/kernel.sh')],
  octave: ['/usr/bin/bash', path.join(WORKERS_DIR, 'octave/kernel.sh')],
  c: ['/usr/bin/bash', path.join(WORKERS_DIR, 'compiled/kernel.sh'), 'c'],
  fortran: ['/usr/bin/bash', path.join(WORKERS_DIR, 'compiled/kernel.sh'), 'fortran'],
  gp: ['/usr/bin/bash', path.join(WORKERS_DIR, 'gp/kernel.sh'), '384'],
  singular: ['/usr/bin/bash', path.join(WORKERS_DIR, 'singular/kernel.sh')],
  gap: ['/usr/bin/bash', path.join(WORKERS_DIR, 'gap/kernel.sh'), '512'],
  maxima: ['/usr/bin/bash', path.join(WORKERS_DIR, 'maxima/kernel.sh')],
  html: ['/usr/bin/python3', '-I', '-S', path.join(WORKERS_DIR, 'html/kernel.py')],
};

/** Something the worker sent, with when it arrived (ms since the code was written). */
export interface Arrival<T> { at: number; value: T }

export interface WorkerRun {
  events: WorkerEvent[];
  /** The events with their arrival times, relative to the end of the cell's code on stdin. */
  timeline: Arrival<WorkerEvent>[];
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** What the cell's working directory holds once the worker has exited. */
  files: string[];
  /**
   * The bytes of each file directly in that directory when `done` came: the device ends the
   * worker then, and collects what the files hold (a runtime's exit flushes nothing for it).
   */
  fileBytesAtDone: Record<string, Buffer>;
  /** Lines on the event pipe that were not JSON. */
  badLines: string[];
  timedOut: boolean;
  /** The worker process's state (from /proc/<pid>/stat) when its event pipe ended; 'gone' if reaped. */
  stateAtEventsEnd: string;
}

export interface RunOptions {
  /** Descriptors from 4 up, to check that the worker closes what it inherits. */
  extraStdio?: ('pipe' | 'ignore' | number)[];
  timeoutMs?: number;
  /** More environment, as a registry entry's `env` gives it. */
  env?: Record<string, string>;
  /** The values of the cell's interacts, sent as the device sends them to a worker that takes options. */
  interact?: unknown;
  /** The code of the linked cells before it, sent as the device sends it. */
  linked?: string[];
  /**
   * Stop the cell once its stdout holds this text, as the device does: SIGINT to every process
   * of the worker's process group (the worker is started as the leader of a group of its own).
   */
  interruptOn?: string;
}

/** Start the worker in a fresh temp dir, wait for `ready`, send the code, collect until exit. */
export async function runWorker(language: Language, code: string, options: RunOptions = {}): Promise<WorkerRun> {
  const cwd = mkdtempSync(path.join(tmpdir(), `cellbox-${language}-`));
  // The sandbox gives each worker a /tmp of its own; here a folder stands in for it, or runtimes'
  // scratch files (Octave's folder for the cell's script) would pile up in the host's /tmp.
  const scratch = mkdtempSync(path.join(tmpdir(), `cellbox-${language}-tmp-`));
  const [command, ...args] = WORKER_COMMANDS[language];
  // A small, fixed environment like the sandbox's: the host's (pyenv shims, NODE_OPTIONS from
  // the test runner) must not leak into the worker.
  const env: Record<string, string> = { PATH: '/usr/bin:/bin', HOME: cwd, LANG: 'C.UTF-8', TMPDIR: scratch, ...options.env };
  const stdio: StdioOptions = ['pipe', 'pipe', 'pipe', 'pipe', ...(options.extraStdio ?? [])];
  const child = spawn(command, args, { cwd, env: env as NodeJS.ProcessEnv, stdio, detached: options.interruptOn !== undefined });
  let interrupted = false;
  const run: WorkerRun = {
    events: [], timeline: [], stdout: '', stderr: '', exitCode: null, signal: null,
    files: [], fileBytesAtDone: {}, badLines: [], timedOut: false, stateAtEventsEnd: '',
  };
  let sentAt = 0;
  const stdin = child.stdin as Writable;
  stdin.on('error', () => {}); // a worker that dies early closes its stdin: the run shows why
  (child.stdout as Readable).setEncoding('utf8').on('data', (text: string) => {
    run.stdout += text;
    if (options.interruptOn !== undefined && !interrupted && run.stdout.includes(options.interruptOn)) {
      interrupted = true;
      // A moment later, so that the command after the text has started.
      setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGINT');
        } catch {
          // it ended already: the run shows how
        }
      }, 300);
    }
  });
  (child.stderr as Readable).setEncoding('utf8').on('data', (text: string) => { run.stderr += text; });

  let pending = '';
  (child.stdio[3] as Readable).setEncoding('utf8').on('data', (text: string) => {
    const at = performance.now() - sentAt;
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      let event: WorkerEvent;
      try {
        event = JSON.parse(line) as WorkerEvent;
      } catch {
        run.badLines.push(line);
        continue;
      }
      run.events.push(event);
      run.timeline.push({ at, value: event });
      if (event.type === 'done') {
        for (const entry of readdirSync(cwd, { withFileTypes: true })) {
          if (entry.isFile()) run.fileBytesAtDone[entry.name] = readFileSync(path.join(cwd, entry.name));
        }
      }
      // The protocol: code goes in only once the worker is warm.
      if (event.type === 'ready' && run.events.length === 1) {
        sentAt = performance.now();
        // As the device does (device/worker.ts run()): the cell's options first, where the worker takes them.
        stdin.end(event.options ? `${JSON.stringify({ interact: options.interact ?? null, linked: options.linked ?? null })}\n${code}` : code);
      }
    }
  });

  (child.stdio[3] as Readable).on('end', () => {
    try {
      run.stateAtEventsEnd = /\) (\S)/.exec(readFileSync(`/proc/${child.pid}/stat`, 'utf8'))![1];
    } catch {
      run.stateAtEventsEnd = 'gone';
    }
  });

  const timer = setTimeout(() => {
    run.timedOut = true;
    if (options.interruptOn !== undefined) {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // and what the cell left running in its group
      } catch {
        // gone
      }
    } else {
      child.kill('SIGKILL');
    }
  }, options.timeoutMs ?? 20_000);
  try {
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (exitCode, signal) => {
        run.exitCode = exitCode;
        run.signal = signal;
        resolve();
      });
    });
  } finally {
    clearTimeout(timer);
  }
  if (pending) run.badLines.push(pending);
  run.files = readdirSync(cwd);
  rmSync(cwd, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
  return run;
}

/** All the text of one output stream sent as `stream` events. */
export function streamText(run: WorkerRun, name: 'stdout' | 'stderr'): string {
  return run.events.flatMap((e) => (e.type === 'stream' && e.name === name ? [e.text] : [])).join('');
}

/** The events of one type, narrowed. */
export function eventsOf<T extends WorkerEvent['type']>(run: WorkerRun, type: T): Extract<WorkerEvent, { type: T }>[] {
  return run.events.filter((e): e is Extract<WorkerEvent, { type: T }> => e.type === type);
}

/** The last event, which must be `done` for a worker that finished the cell. */
export function lastEvent(run: WorkerRun): WorkerEvent | undefined {
  return run.events.at(-1);
}

/** Three paths in a fresh folder outside any cell's, for a cell that opens files of its own; the folder goes after `use`. */
export async function withScratchFiles<T>(use: (files: string[]) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cellbox-scratch-'));
  try {
    return await use([1, 2, 3].map((i) => path.join(dir, `f${i}.txt`)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
