// A language's fork server: one sandbox holding a zygote that has done the language's heavy
// imports once, and forks a fresh, isolated process per cell (workers/python/forkserver.py
// makes its namespaces, limits and capabilities; the protocol is described there). The device
// reaches each cell's pipes through /proc/<zygote>/fd/<n>, so no other cell ever holds them.
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { adoptPipes, readLines } from './handoff';
import { spawnSandbox, type ForkServerOptions, type SandboxSpec } from './sandbox';
import type { WorkerExit, WorkerProcess } from './worker';

type Reply =
  | { type: 'ready'; version: string; stdlib?: string[] }
  | { type: 'forked'; id: string; pid: number; fds: [number, number, number, number] }
  | { type: 'exit'; id: string; status: number }
  | { type: 'fork_failed'; id: string; message: string };

interface Pending {
  resolve(p: { pid: number; fds: number[] }): void;
  reject(e: Error): void;
  exit(status: number): void;
}

export class ForkServer {
  /** Resolves when the zygote has preloaded and takes forks; rejects if it died first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<WorkerExit>;
  version = '';
  /** The modules of the runtime's standard library, when the zygote says them. */
  stdlib: ReadonlySet<string> = new Set();
  private readonly proc;
  private readonly hostPid: Promise<number>;
  private readonly cells = new Map<string, Pending>();
  private nextId = 1;
  private alive = true;
  private stderrTail = '';

  constructor(
    readonly language: string,
    spec: SandboxSpec,
    options: ForkServerOptions,
    private readonly log: (level: 'info' | 'warn' | 'error', msg: string) => void,
  ) {
    const { proc, childPid } = spawnSandbox(spec, options);
    this.proc = proc;
    proc.once('error', () => {});
    proc.stdin!.on('error', () => {});
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    let markReady: () => void;
    let fail: (e: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      fail = reject;
    });
    this.ready.catch(() => {});
    let zygoteStarted!: () => void;
    // bwrap's first process in the sandbox is its own init; the zygote, its only child, is
    // surely there once it has said `ready`.
    this.hostPid = new Promise<void>((resolve) => (zygoteStarted = resolve)).then(() => childPid).then(onlyChild);
    this.hostPid.catch(() => {});
    readLines(proc.stdio[3] as NodeJS.ReadableStream, (line) => {
      let reply: Reply;
      try {
        reply = JSON.parse(line);
      } catch {
        return this.log('error', `${language} fork server said something unreadable: ${line.slice(0, 200)}`);
      }
      if (reply.type === 'ready') {
        this.version = reply.version;
        this.stdlib = new Set(reply.stdlib ?? []);
        zygoteStarted();
        this.hostPid.then(() => markReady(), fail);
      } else if (reply.type === 'forked') this.cells.get(reply.id)?.resolve({ pid: reply.pid, fds: reply.fds });
      else if (reply.type === 'fork_failed') {
        this.log('error', `the ${language} fork server could not fork a cell: ${reply.message}`);
        this.cells.get(reply.id)?.reject(new Error(`fork failed: ${reply.message}`));
        this.cells.delete(reply.id);
      }
      else if (reply.type === 'exit') {
        this.cells.get(reply.id)?.exit(reply.status);
        this.cells.delete(reply.id);
      }
    });
    const decoder = new StringDecoder('utf8');
    proc.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + decoder.write(chunk)).slice(-4096);
    });
    proc.stdout!.resume();
    this.exited.then(({ code, signal }) => {
      this.alive = false;
      const why = `the ${language} fork server exited (${signal ?? `status ${code}`}): ${this.stderrTail.trim().slice(-2000)}`;
      fail(new Error(why));
      // Its cells died with it (each holds PDEATHSIG on its parent).
      for (const cell of this.cells.values()) {
        cell.reject(new Error(why));
        cell.exit(128 + 9);
      }
      this.cells.clear();
    });
  }

  get running(): boolean {
    return this.alive;
  }

  /** A fresh cell process; its streams carry data once the zygote has forked it and the device opened its pipes. */
  fork(): WorkerProcess {
    const id = String(this.nextId++);
    let exitStatus!: (e: WorkerExit) => void;
    const exited = new Promise<WorkerExit>((resolve) => (exitStatus = resolve));
    const forked = new Promise<{ pid: number; fds: number[] }>((resolve, reject) => {
      this.cells.set(id, { resolve, reject, exit: (status) => exitStatus({ code: status, signal: null }) });
    });
    forked.catch(() => exitStatus({ code: null, signal: null }));
    const started = this.ready.then(() => {
      this.send(`fork ${id}`);
      return forked;
    });
    started.catch(() => exitStatus({ code: null, signal: null }));

    const { stdin, outputs: [stdout, stderr, events], drained } = adoptPipes(
      started.then(async ({ fds }) => ({ holder: await this.hostPid, fds })),
      3,
      () => this.send(`opened ${id}`),
    );
    const rootPid = started.then(async ({ pid }) => hostPidOf(await this.hostPid, pid));
    // Read only once the cell said `ready`: a cell the fork server took down with it before
    // then must not crash the device with an unhandled rejection (seen at every shutdown).
    rootPid.catch(() => {});
    return {
      stdin,
      stdout,
      stderr,
      events,
      // Gone when the zygote saw it exit and its pipes are drained: no output is left behind.
      exited: Promise.all([exited, drained]).then(([e]) => e),
      rootPid,
      kill: () => {
        if (this.cells.has(id)) this.send(`kill ${id}`);
      },
    };
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }

  private send(command: string): void {
    if (this.alive) this.proc.stdin!.write(`${command}\n`);
  }
}

/** The host pid of the one child of `pid` (bwrap's init in the sandbox has the zygote only). */
function onlyChild(pid: number): number {
  const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  if (children.length !== 1) throw new Error(`expected one process under the sandbox's init, found ${children.length}`);
  return Number(children[0]);
}

/** The host pid of the zygote's child that the sandbox's PID namespace numbers `inner`. */
function hostPidOf(zygote: number, inner: number): number {
  for (const child of fs.readFileSync(`/proc/${zygote}/task/${zygote}/children`, 'utf8').trim().split(/\s+/)) {
    let status: string;
    try {
      status = fs.readFileSync(`/proc/${child}/status`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const nspid = /^NSpid:\s+(.+)$/m.exec(status)?.[1].trim().split(/\s+/).map(Number);
    if (nspid && nspid[1] === inner) return Number(child);
  }
  throw new Error(`the cell process ${inner} is not among the fork server's children`);
}
