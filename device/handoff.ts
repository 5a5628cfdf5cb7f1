// Pipes a helper process holds for a worker, handed to the device: a fork server's zygote
// (forkserver.ts) or the spawner (spawner.ts) makes them, and the device opens its ends through
// /proc/<helper>/fd/<n>, so that no other process ever holds them once the helper drops its
// copies. Shared by both, with the device's side of their protocol: the line reader of their
// control pipes and the workers they make.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import type { WorkerExit, WorkerProcess } from './worker';

/** What a helper says it made: its pid, and its descriptors for our ends, stdin's first. */
export interface Handed {
  holder: number;
  fds: number[];
}

export interface AdoptedPipes {
  stdin: PassThrough;
  /** One per descriptor after stdin's, in order. */
  outputs: PassThrough[];
  /** Resolves once every output has ended: nothing the worker wrote is left unread. */
  drained: Promise<unknown>;
}

/**
 * Streams for the stdin and the `outputCount` pipes after it that `handed` names, live once
 * the device has opened them. `opened` is called then (or when opening failed), for the helper
 * to close its copies: the worker sees end of file on stdin when the device closes its end.
 * If `handed` rejects, the outputs end at once.
 */
export function adoptPipes(handed: Promise<Handed>, outputCount: number, opened: () => void): AdoptedPipes {
  const stdin = new PassThrough();
  const outputs = Array.from({ length: outputCount }, () => new PassThrough());
  handed
    .then(({ holder, fds }) => {
      try {
        const open = (fd: number, flags: number) => fs.openSync(`/proc/${holder}/fd/${fd}`, flags | fs.constants.O_NONBLOCK);
        return [open(fds[0], fs.constants.O_WRONLY), ...fds.slice(1, outputCount + 1).map((fd) => open(fd, fs.constants.O_RDONLY))];
      } finally {
        opened();
      }
    })
    .then(
      ([inFd, ...outFds]) => {
        const input = new net.Socket({ fd: inFd, readable: false, writable: true });
        input.on('error', () => {});
        stdin.pipe(input);
        outFds.forEach((fd, i) => {
          const pipe = new net.Socket({ fd, readable: true, writable: false });
          pipe.on('error', () => outputs[i].end());
          pipe.pipe(outputs[i]);
        });
      },
      () => {
        for (const s of outputs) s.end();
      },
    );
  const drained = Promise.all(outputs.map((s) => finished(s).catch(() => {})));
  return { stdin, outputs, drained };
}

/**
 * A worker as the device runs it, from the pipes a helper holds for it (its outputs stdout,
 * stderr and the event pipe, in that order): gone once the helper saw it exit and its pipes
 * are drained, so no output is left behind.
 */
export function helperWorker(pipes: AdoptedPipes, exited: Promise<WorkerExit>, rootPid: Promise<number>, kill: () => void, alone = false, interrupt?: () => void): WorkerProcess {
  const [stdout, stderr, events] = pipes.outputs;
  return { stdin: pipes.stdin, stdout, stderr, events, exited: Promise.all([exited, pipes.drained]).then(([e]) => e), rootPid, kill, alone, interrupt };
}

/** Calls `onLine` for each line of a helper's control pipe. */
export function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (partial + decoder.write(chunk)).split('\n');
    partial = lines.pop()!;
    for (const line of lines) onLine(line);
  });
  stream.on('error', () => {});
}

/** What a helper makes for the device: its pid (as the helper sees it) and its pipes' descriptors. */
export interface Made {
  pid: number;
  fds: number[];
}

/** A helper's reply about one of its workers (a zygote's cells, the spawner's sandboxes). */
export type WorkerReply =
  | { type: 'forked'; id: string; pid: number; fds: number[] }
  /**
   * `status` is 128 + N for a worker killed by signal N. A helper that can tell that from an
   * exit with that status (a fork server: its cells are its children) says `signal`, N or null;
   * one that cannot (the spawner: bwrap reports its child's signal N as 128 + N) leaves it out.
   */
  | { type: 'exit'; id: string; status: number; signal?: number | null }
  | { type: 'fork_failed'; id: string; message: string };

/**
 * The workers a helper makes and runs for the device, by the id the device gave each: the
 * helper's `forked` reply hands a worker over, `fork_failed` or `exit` ends it, and when the
 * helper itself dies, they all die with it.
 */
export class HelperWorkers {
  private readonly pending = new Map<string, { made(m: Made): void; failed(e: Error): void; exit(status: number, signal?: number | null): void }>();
  private nextId = 1;

  /** A new worker: its id, the helper's `forked` reply for it, and its end (status null if it never started). */
  add(): { id: string; forked: Promise<Made>; exited: Promise<WorkerExit> } {
    const id = String(this.nextId++);
    let exitStatus!: (e: WorkerExit) => void;
    const exited = new Promise<WorkerExit>((resolve) => (exitStatus = resolve));
    const forked = new Promise<Made>((resolve, reject) => {
      this.pending.set(id, { made: resolve, failed: reject, exit: (status, signal) => exitStatus(workerExit(status, signal)) });
    });
    forked.catch(() => exitStatus({ code: null, signal: null }));
    return { id, forked, exited };
  }

  /** Whether the worker may still be running (the helper has not said it ended). */
  has(id: string): boolean {
    return this.pending.has(id);
  }

  /** The worker will not start: `error` is why. */
  drop(id: string, error: Error): void {
    this.pending.get(id)?.failed(error);
    this.pending.delete(id);
  }

  /** Takes the helper's reply about a worker; `failure` makes the error of a `fork_failed`. */
  handle(reply: WorkerReply, failure: (message: string) => Error): void {
    if (reply.type === 'forked') this.pending.get(reply.id)?.made({ pid: reply.pid, fds: reply.fds });
    else if (reply.type === 'fork_failed') this.drop(reply.id, failure(reply.message));
    else {
      this.pending.get(reply.id)?.exit(reply.status, reply.signal);
      this.pending.delete(reply.id);
    }
  }

  /** The helper is gone, and its workers with it: `why` says how. */
  lost(why: string): void {
    for (const worker of this.pending.values()) {
      worker.failed(new Error(why));
      worker.exit(128 + 9, 9);
    }
    this.pending.clear();
  }
}

/**
 * A worker's end as a helper reported it: killed by a signal (its name), or its exit status.
 * 128 + N is read as signal N only from a helper that does not say which it was.
 */
function workerExit(status: number, signal: number | null | undefined): WorkerExit {
  const number = signal === undefined ? (status > 128 ? status - 128 : null) : signal;
  if (number === null) return { code: status, signal: null };
  const name = Object.entries(os.constants.signals).find(([, n]) => n === number)?.[0];
  // A signal Node has no name for (a real-time one) keeps its number in the status.
  return name ? { code: null, signal: name as NodeJS.Signals } : { code: 128 + number, signal: null };
}

/** A helper's reply line as JSON, or null (logged) if it is not JSON. */
export function parseReply<T>(line: string, who: string, log: (level: 'error', msg: string) => void): T | null {
  try {
    return JSON.parse(line) as T;
  } catch {
    log('error', `${who} said something unreadable: ${line.slice(0, 200)}`);
    return null;
  }
}

/** Keeps the last 4 KiB a helper wrote to `stream` (its stderr), for the message of its death. */
export function keepTail(stream: NodeJS.ReadableStream): () => string {
  const decoder = new StringDecoder('utf8');
  let tail = '';
  stream.on('data', (chunk: Buffer) => {
    tail = (tail + decoder.write(chunk)).slice(-4096);
  });
  return () => tail;
}
