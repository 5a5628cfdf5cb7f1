// One warm worker: a cell process that has said `ready` and waits for exactly one cell. Parses its
// event pipe, decodes its stdout/stderr, pins its working directory, and dies with its cell.
import fs from 'node:fs';
import os from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import type { WorkerEvent } from '../workers/protocol';
import { CELL_DIR } from '../workers/protocol';
import type { CellGroup } from './cgroup';

export interface WorkerExit { code: number | null; signal: NodeJS.Signals | null }

export interface WorkerHandlers {
  /** A parsed event from fd 3, or null for a line that was not a valid event (the cell may write anything there). */
  event(e: WorkerEvent | null, bytes: number): void;
  /** Text the cell's processes wrote to fd 1 or 2. */
  output(name: 'stdout' | 'stderr', text: string): void;
}

/**
 * A cell's options for its worker (workers/protocol.ts, 6): `interact` and `linked` each compact
 * JSON text or null; `outputBytes` the cell's output limit (absent: not said).
 */
export interface CellOptions { interact: string | null; linked: string | null; outputBytes?: number }

const NO_OPTIONS: CellOptions = { interact: null, linked: null };

/** Lines on the event pipe longer than this are cut off: the output cap catches the cell long before. */
const MAX_EVENT_LINE = 16 * 1024 * 1024;

/**
 * A started worker's process, however it was made: its own bwrap sandbox (sandbox.ts) or a
 * process forked by a language's fork server (forkserver.ts).
 */
export interface WorkerProcess {
  stdin: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream;
  /** The event pipe, fd 3 inside. */
  events: NodeJS.ReadableStream;
  /** Resolves when every process of the cell is gone. */
  exited: Promise<WorkerExit>;
  /** Host pid of a process in the cell's mount namespace, whose `/proc/<pid>/root` shows its files. */
  rootPid: Promise<number>;
  /**
   * At `ready`, `rootPid` is the worker's only process (a forked cell: only the fork server's
   * start-up has run in it), so it joins its control group without a walk of its tree.
   */
  alone?: boolean;
  kill(): void;
  /** SIGINT to the cell's process, where the process can be reached by a handle that is its alone (a fork server's pidfd). */
  interrupt?(): void;
}

export class Worker {
  readonly language: string;
  version = '';
  /** The worker said at `ready` that a SIGINT ends its cell with a traceback (workers/protocol.ts). */
  interruptible = false;
  /** The worker said at `ready` that it reads the cell's options, a line of JSON, before its code (workers/protocol.ts). */
  takesOptions = false;
  /** Resolves when the worker said `ready`; rejects if it died first. */
  readonly ready: Promise<void>;
  /** Resolves when the sandbox is gone. */
  readonly exited: Promise<WorkerExit>;
  /**
   * Resolves when releaseDir() is called: whoever took the worker is done with it. A worker that
   * never became ready pinned nothing and is released at its exit.
   */
  readonly released: Promise<void>;
  private markReleased!: () => void;
  /** The cell's working directory through a descriptor pinned before the cell ran: `/proc/self/fd/N`. */
  cellDir: string | null = null;
  /** The last bytes of stderr, for telling a crash apart from a limit. */
  stderrTail = '';
  private readonly group: CellGroup | null;
  private oomKilled = false;
  private dirFd: number | null = null;
  private handlers: WorkerHandlers | null = null;
  private readonly proc: WorkerProcess;
  private killed = false;
  /** Made at a low CPU priority (sandbox.ts SPARE_NICE), not yet raised. */
  private niced: boolean;
  /** Held in the group of spares (CellGroup.holdSpare()), not yet moved into its own. */
  private inSpares = false;

  /**
   * `group`, when the device has control groups, holds the cell's processes from before its
   * code arrives, so that its memory limit counts them all together.
   */
  constructor(language: string, proc: WorkerProcess, group: CellGroup | null = null, niced = false) {
    this.language = language;
    this.proc = proc;
    this.niced = niced;
    this.group = group;
    // A spare being made waits in the group of spares, at the least CPU share, until a cell
    // takes it or waits for it (hurry()) or it is ready (then idle in its own group).
    if (niced && proc.alone && group) {
      proc.rootPid.then(
        (pid) => {
          if (!this.niced) return;
          try {
            group.holdSpare(pid);
            this.inSpares = true;
          } catch {
            // Left where it was born: only its priority is at stake, and `ready` confines it.
          }
        },
        () => {},
      );
    }
    this.released = new Promise((resolve) => (this.markReleased = resolve));
    this.exited = proc.exited;
    let markReady: () => void;
    let fail: (e: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      fail = reject;
    });
    this.ready.catch(() => {});
    let isReady = false;
    const earlyStderr: string[] = [];
    this.readEvents((e, bytes) => {
      if (isReady) return this.handlers?.event(e, bytes);
      if (e?.type !== 'ready') return;
      this.version = typeof e.version === 'string' ? e.version : '';
      this.interruptible = e.interrupt === true;
      this.takesOptions = e.options === true;
      proc.rootPid
        .then((pid) => {
          // The worker waits for its code now: nothing runs that the group would miss. A worker
          // that cannot be confined never gets a cell.
          if (proc.alone) group?.adoptAlone(pid);
          else group?.adopt(pid);
          this.inSpares = false;
          // Only our worker has run in the sandbox so far, so this path is the real tmpfs.
          this.dirFd = fs.openSync(`/proc/${pid}/root${CELL_DIR}`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
          this.cellDir = `/proc/self/fd/${this.dirFd}`;
          isReady = true;
          markReady();
        })
        .catch((err) => {
          // Not confined, or its directory not pinned: it never gets a cell, and must not linger.
          this.kill();
          fail(err);
        });
    });
    for (const name of ['stdout', 'stderr'] as const) {
      const decoder = new StringDecoder('utf8');
      const take = (text: string) => {
        if (!text) return;
        if (name === 'stderr') this.stderrTail = (this.stderrTail + text).slice(-4096);
        if (isReady) this.handlers?.output(name, text);
        else earlyStderr.push(text);
      };
      proc[name].on('data', (chunk: Buffer) => take(decoder.write(chunk)));
      // The decoder holds back the start of a character until its last byte comes: a cell whose
      // last write ends inside one (binary, or text cut short) would lose those bytes, and with
      // them what it last wrote. At the end of the pipe they are shown, as U+FFFD, as invalid
      // bytes in the middle are. Before `exited`, which waits for the pipes to be drained.
      proc[name].on('end', () => take(decoder.end()));
      proc[name].on('error', () => {});
    }
    this.exited.then(({ code, signal }) => {
      // The pinned directory outlives the sandbox on purpose: the cell's files are collected
      // after it is dead. Whoever took the worker releases it.
      if (isReady) return;
      fail(new Error(`worker for ${language} exited before it was ready (${signal ?? `status ${code}`}): ${earlyStderr.join('').trim().slice(-2000)}`));
      this.releaseDir();
    });
  }

  private readEvents(onLine: (e: WorkerEvent | null, bytes: number) => void): void {
    const pipe = this.proc.events;
    const decoder = new StringDecoder('utf8');
    // The line so far, without a newline in it. Only new text is searched for one: searching
    // the whole line again on every read made a line that never ends cost the square of its
    // length (a cell writing one took 20 s of a loaded machine to reach MAX_EVENT_LINE).
    let partial = '';
    pipe.on('data', (chunk: Buffer) => {
      const text = decoder.write(chunk);
      let start = 0;
      let nl: number;
      while ((nl = text.indexOf('\n', start)) >= 0) {
        const line = partial + text.slice(start, nl);
        partial = '';
        start = nl + 1;
        // Charged in UTF-8 bytes, as it is stored: a line of 300,000 CJK characters is 900,000.
        onLine(parseEvent(line), Buffer.byteLength(line));
      }
      partial += text.slice(start);
      if (partial.length > MAX_EVENT_LINE) {
        onLine(null, Buffer.byteLength(partial));
        partial = '';
      }
    });
    pipe.on('error', () => {});
  }

  /**
   * Whether the kernel has stopped a process of the cell for the memory of them all, by now: a
   * process it stopped is dead before its parent learns of it, so a worker's report of that
   * death comes after the count. Read from the control group (none: never).
   */
  sawOomKill(): boolean {
    if (!this.oomKilled && this.group) this.oomKilled = this.group.oomKills() > 0;
    return this.oomKilled;
  }

  /**
   * Hands the worker its cell: the handlers get everything from now on, then the code goes in,
   * after the cell's options for a worker that takes them: `interact`, the values of the cell's
   * interacts, and `linked`, the code of the linked cells it runs first, each compact JSON as
   * the store keeps it (no newline in it), or null, and `outputBytes`, the cell's output limit,
   * for a worker to choose the smaller of two ways to show something that would not fit. On stdin with the code, from the device
   * alone: not in the environment, which the server's must never reach, nor in a file the cell
   * would find among its own. A worker that takes no options gets the code alone; the web app
   * takes `linked` only for the languages whose worker runs it (protocol/linked.ts).
   */
  run(code: string, handlers: WorkerHandlers, options: CellOptions = NO_OPTIONS): void {
    this.handlers = handlers;
    const stdin = this.proc.stdin;
    stdin.on('error', () => {}); // the cell may close stdin early; the outcome shows elsewhere
    const line = `{"interact":${options.interact ?? 'null'},"linked":${options.linked ?? 'null'},"outputBytes":${options.outputBytes ?? 'null'}}`;
    // A byte-order mark before the code (a file Notepad saved, pasted or posted as it is) is no
    // part of the program: Bash, GP, GAP and Maxima failed on a first line they could not read,
    // and Singular ran nothing, without an error. Dropped here, once, for every worker.
    const program = code.startsWith('\ufeff') ? code.slice(1) : code;
    stdin.end(this.takesOptions ? `${line}\n${program}` : program);
  }

  /**
   * Back to the normal CPU priority, for a spare made at a low one (`niced`): a cell has taken
   * it, or waits for it. A priority is each thread's own: the process's first thread first, then
   * every other one it has (the Python worker starts its output flusher before `ready`); one
   * started after the first was raised inherits the normal priority, as its children do. Before
   * the cell's code is written when it was ready: its host pid is known then, and this runs first.
   */
  hurry(): void {
    if (!this.niced) return;
    this.niced = false;
    this.proc.rootPid.then(
      (pid) => {
        try {
          // Into its own CPU group first, when it waits in the group of spares (not yet ready).
          if (this.inSpares) this.group?.hurry(pid);
          this.inSpares = false;
          os.setPriority(pid, 0);
          for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
            if (Number(task) !== pid) os.setPriority(Number(task), 0);
          }
        } catch {
          // Gone already (or a thread of it): nothing left to hurry.
        }
      },
      () => {},
    );
  }

  /**
   * Asks the cell to stop as its language's own interrupt would (SIGINT), where its worker can
   * end it so and its process can be signalled; false where not (then only kill() stops it).
   */
  interrupt(): boolean {
    if (!this.interruptible || !this.proc.interrupt || this.killed) return false;
    this.proc.interrupt();
    return true;
  }

  /** Kills every process of the cell: its PID namespace dies with its first process. */
  kill(): void {
    if (this.killed) return;
    this.killed = true;
    this.proc.kill();
  }

  /** The device is done with the worker: its cell's last messages are written. */
  releaseDir(): void {
    this.markReleased();
    if (this.dirFd !== null) {
      fs.closeSync(this.dirFd);
      this.dirFd = null;
      this.cellDir = null;
    }
  }
}

const EVENT_TYPES = new Set(['ready', 'stream', 'display_data', 'update_display_data', 'execute_result', 'clear_output', 'error', 'done']);

function parseEvent(line: string): WorkerEvent | null {
  try {
    const e = JSON.parse(line);
    return e && typeof e === 'object' && EVENT_TYPES.has(e.type) ? (e as WorkerEvent) : null;
  } catch {
    return null;
  }
}
