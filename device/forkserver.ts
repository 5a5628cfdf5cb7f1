// A language's fork server: one sandbox holding a zygote that has done the language's heavy
// imports once, and forks a fresh, isolated process per cell (workers/python/forkserver.py
// makes its namespaces, limits and capabilities; the protocol is described there). The device
// reaches each cell's pipes through /proc/<zygote>/fd/<n>, so no other cell ever holds them.
// Its sandbox is started by the spawner, like any other: fd 3 is the zygote's reply pipe.
import fs from 'node:fs';
import { adoptPipes, HelperWorkers, helperWorker, keepTail, parseReply, readLines, type WorkerReply } from './handoff';
import type { WorkerExit, WorkerProcess } from './worker';

type Reply = { type: 'ready'; version: string; stdlib?: string[]; forker: number } | WorkerReply;

export class ForkServer {
  /** Resolves when the zygote has preloaded and takes forks; rejects if it died first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<WorkerExit>;
  version = '';
  /** The modules of the runtime's standard library, when the zygote says them. */
  stdlib: ReadonlySet<string> = new Set();
  /** The zygote's host pid: the device opens the cells' pipes through its /proc/<pid>/fd. */
  private readonly hostPid: Promise<number>;
  /** The forker's host pid: the cells are its children. */
  private readonly forkerPid: Promise<number>;
  private readonly cells = new HelperWorkers();
  private alive = true;

  /** `proc` is the fork server's sandbox, started with its `--fork-server` argv (sandbox.ts). */
  constructor(
    readonly language: string,
    private readonly proc: WorkerProcess,
    private readonly log: (level: 'info' | 'warn' | 'error', msg: string) => void,
  ) {
    proc.stdin.on('error', () => {});
    this.exited = proc.exited;
    let markReady: () => void;
    let fail: (e: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      fail = reject;
    });
    this.ready.catch(() => {});
    let zygoteStarted!: (forker: number) => void;
    const started = new Promise<number>((resolve) => (zygoteStarted = resolve));
    // bwrap's first process in the sandbox is its own init; the zygote, its only child, is
    // surely there once it has said `ready`, and so is the forker it named.
    this.hostPid = started.then(() => proc.rootPid).then(onlyChild);
    this.hostPid.catch(() => {});
    this.forkerPid = started.then(async (forker) => hostPidOf(await this.hostPid, forker, 'the forker', 'the zygote'));
    this.forkerPid.catch(() => {});
    readLines(proc.events, (line) => {
      const reply = parseReply<Reply>(line, `${language} fork server`, log);
      if (!reply) return;
      if (reply.type === 'ready') {
        this.version = reply.version;
        this.stdlib = new Set(reply.stdlib ?? []);
        if (!Number.isInteger(reply.forker)) {
          fail(new Error(`the ${language} fork server named no forker in its ready message`));
          return;
        }
        zygoteStarted(reply.forker);
        this.forkerPid.then(() => markReady(), fail);
        return;
      }
      if (reply.type === 'fork_failed') this.log('error', `the ${language} fork server could not fork a cell: ${reply.message}`);
      this.cells.handle(reply, (message) => new Error(`fork failed: ${message}`));
    });
    const stderrTail = keepTail(proc.stderr);
    proc.stdout.resume();
    this.exited.then(({ code, signal }) => {
      this.alive = false;
      const why = `the ${language} fork server exited (${signal ?? `status ${code}`}): ${stderrTail().trim().slice(-2000)}`;
      fail(new Error(why));
      // Its cells died with it (each holds PDEATHSIG on its parent).
      this.cells.lost(why);
    });
  }

  get running(): boolean {
    return this.alive;
  }

  /** A fresh cell process; its streams carry data once the zygote has forked it and the device opened its pipes. */
  fork(): WorkerProcess {
    const { id, forked, exited } = this.cells.add();
    const started = this.ready.then(() => {
      this.send(`fork ${id}`);
      return forked;
    });
    // The fork server never became ready: this cell will not start.
    started.catch((e: Error) => this.cells.drop(id, e));

    const pipes = adoptPipes(
      started.then(async ({ fds }) => ({ holder: await this.hostPid, fds })),
      3,
      () => this.send(`opened ${id}`),
    );
    const rootPid = started.then(async ({ pid }) => hostPidOf(await this.forkerPid, pid, 'the cell process', "the fork server's forker"));
    // Read only once the cell said `ready`: a cell the fork server took down with it before
    // then must not crash the device with an unhandled rejection (seen at every shutdown).
    rootPid.catch(() => {});
    // Alone at `ready`: a forked cell has run only the fork server's start-up (kernel.py's
    // run_forked_cell: its isolation, the flusher thread), never a process of its own.
    return helperWorker(pipes, exited, rootPid, () => {
      if (this.cells.has(id)) this.send(`kill ${id}`);
    }, true, () => {
      if (this.cells.has(id)) this.send(`interrupt ${id}`);
    });
  }

  kill(): void {
    this.proc.kill();
  }

  private send(command: string): void {
    if (this.alive) this.proc.stdin.write(`${command}\n`);
  }
}

/** The host pid of the one child of `pid` (bwrap's init in the sandbox has the zygote only). */
function onlyChild(pid: number): number {
  const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  if (children.length !== 1) throw new Error(`expected one process under the sandbox's init, found ${children.length}`);
  return Number(children[0]);
}

/**
 * The host pid of the child of `parent` that the sandbox's PID namespace numbers `inner`. The
 * kernel lists children oldest first, and the one asked for is nearly always the newest (the
 * forker's other children are the spares made before it): newest first, one status read where
 * a pool's every spare was read.
 */
function hostPidOf(parent: number, inner: number, what: string, parentName: string): number {
  for (const child of fs.readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim().split(/\s+/).reverse()) {
    let status: string;
    try {
      status = fs.readFileSync(`/proc/${child}/status`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const nspid = /^NSpid:\s+(.+)$/m.exec(status)?.[1].trim().split(/\s+/).map(Number);
    if (nspid && nspid[1] === inner) return Number(child);
  }
  throw new Error(`${what} (${inner}) is not among the children of ${parentName}`);
}
