// The spawner (device/spawner.py): a small helper process that starts the sandboxes of the
// languages without a fork server, so that the device never forks. Forking the device, a Node
// process of 100 MB or more, blocked its event loop some 10 ms per sandbox on a VM: a pool's
// refill, started while a cell ran, held back that cell's output. The spawner holds each
// sandbox's pipes; the device opens its ends through /proc (handoff.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StringDecoder } from 'node:string_decoder';
import { adoptPipes, readLines } from './handoff';
import type { WorkerExit, WorkerProcess } from './worker';

type Reply =
  | { type: 'ready' }
  | { type: 'forked'; id: string; pid: number; fds: number[] }
  | { type: 'exit'; id: string; status: number }
  | { type: 'fork_failed'; id: string; message: string };

interface Pending {
  resolve(fds: number[]): void;
  reject(e: Error): void;
  exit(status: number): void;
}

/** The Python the spawner runs on: the system's, which the workers need anyway. */
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** device/spawner.py, beside this file or, from dist/, in the project's device/ folder. */
export const SPAWNER_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'device', 'spawner.py');

export class Spawner {
  private readonly proc: ChildProcess;
  private readonly sandboxes = new Map<string, Pending>();
  private nextId = 1;
  private alive = true;
  /** Killed by the device, as it stops: no failure to report. */
  private stopped = false;
  private stderrTail = '';

  constructor(private readonly log: (level: 'info' | 'warn' | 'error', msg: string) => void) {
    // Its environment gives it PATH, to find bwrap and setpriv; each sandbox gets an empty one.
    this.proc = spawn(PYTHON, ['-I', SPAWNER_SCRIPT], { stdio: ['pipe', 'ignore', 'pipe', 'pipe'] });
    this.proc.once('error', () => {});
    this.proc.stdin!.on('error', () => {});
    readLines(this.proc.stdio[3] as NodeJS.ReadableStream, (line) => this.reply(line));
    const decoder = new StringDecoder('utf8');
    this.proc.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + decoder.write(chunk)).slice(-4096);
    });
    this.proc.once('close', (code, signal) => {
      this.alive = false;
      const why = `the sandbox spawner exited (${signal ?? `status ${code}`}): ${this.stderrTail.trim().slice(-2000)}`;
      if (!this.stopped) this.log('error', why);
      // Its sandboxes died with it (bwrap's --die-with-parent).
      for (const sandbox of this.sandboxes.values()) {
        sandbox.reject(new Error(why));
        sandbox.exit(128 + 9);
      }
      this.sandboxes.clear();
    });
  }

  get running(): boolean {
    return this.alive;
  }

  /** A sandbox started with `argv`; fds 3 and 4 inside are its event pipe and bwrap's --info-fd. */
  spawn(argv: string[]): WorkerProcess {
    const id = String(this.nextId++);
    let exitStatus!: (e: WorkerExit) => void;
    const exited = new Promise<WorkerExit>((resolve) => (exitStatus = resolve));
    const forked = new Promise<number[]>((resolve, reject) => {
      this.sandboxes.set(id, { resolve, reject, exit: (status) => exitStatus({ code: status, signal: null }) });
    });
    forked.catch(() => exitStatus({ code: null, signal: null }));
    this.send(`spawn ${id} ${JSON.stringify(argv)}`);
    const holder = this.proc.pid!;
    const { stdin, outputs: [stdout, stderr, events, info], drained } = adoptPipes(
      forked.then((fds) => ({ holder, fds })),
      4,
      () => this.send(`opened ${id}`),
    );
    return {
      stdin,
      stdout,
      stderr,
      events,
      // Gone when the spawner saw it exit and its pipes are drained: no output is left behind.
      exited: Promise.all([exited, drained]).then(([e]) => e),
      rootPid: childPid(info),
      kill: () => {
        if (this.sandboxes.has(id)) this.send(`kill ${id}`);
      },
    };
  }

  kill(): void {
    this.stopped = true;
    this.proc.kill('SIGKILL');
  }

  private reply(line: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(line);
    } catch {
      return this.log('error', `the sandbox spawner said something unreadable: ${line.slice(0, 200)}`);
    }
    if (reply.type === 'forked') this.sandboxes.get(reply.id)?.resolve(reply.fds);
    else if (reply.type === 'fork_failed') {
      this.sandboxes.get(reply.id)?.reject(new Error(`could not start the sandbox: ${reply.message}`));
      this.sandboxes.delete(reply.id);
    } else if (reply.type === 'exit') {
      this.sandboxes.get(reply.id)?.exit(reply.status);
      this.sandboxes.delete(reply.id);
    }
  }

  private send(command: string): void {
    if (this.alive) this.proc.stdin!.write(`${command}\n`);
  }
}

/** The host pid of the sandbox's first process, from bwrap's --info-fd JSON. */
function childPid(info: NodeJS.ReadableStream): Promise<number> {
  const pid = new Promise<number>((resolve, reject) => {
    let text = '';
    info.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const m = /"child-pid":\s*(\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    info.on('end', () => reject(new Error('the sandbox exited before it started')));
  });
  pid.catch(() => {});
  return pid;
}
