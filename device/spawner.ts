// The spawner (device/spawner.py): a small helper process that starts every sandbox, a fork
// server's too, so that the device never forks. Forking the device, a Node process of 100 MB or
// more, blocked its event loop some 10 ms per sandbox on a VM: a pool's refill, started while a
// cell ran, held back that cell's output. The spawner holds each sandbox's pipes; the device
// opens its ends through /proc (handoff.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adoptPipes, HelperWorkers, helperWorker, keepTail, parseReply, readLines, type WorkerReply } from './handoff';
import { sandboxChildPid } from './sandbox';
import type { WorkerProcess } from './worker';

type Reply = { type: 'ready' } | WorkerReply;

/** How long the spawner may take to end its sandboxes when the device stops. */
const STOP_GRACE_MS = 2000;

/** The Python the spawner runs on: the system's, which the workers need anyway. */
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** device/spawner.py, beside this file or, from dist/, in the project's device/ folder. */
export const SPAWNER_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'device', 'spawner.py');

export class Spawner {
  private readonly proc: ChildProcess;
  private readonly sandboxes = new HelperWorkers();
  private alive = true;
  /** Stopped by the device: no failure to report. */
  private stopped = false;

  constructor(private readonly log: (level: 'info' | 'warn' | 'error', msg: string) => void) {
    // Its environment gives it PATH, to find bwrap and setpriv; each sandbox gets an empty one.
    this.proc = spawn(PYTHON, ['-I', SPAWNER_SCRIPT], { stdio: ['pipe', 'ignore', 'pipe', 'pipe'] });
    this.proc.once('error', () => {});
    this.proc.stdin!.on('error', () => {});
    readLines(this.proc.stdio[3] as NodeJS.ReadableStream, (line) => {
      const reply = parseReply<Reply>(line, 'the sandbox spawner', log);
      if (reply && reply.type !== 'ready') this.sandboxes.handle(reply, (message) => new Error(`could not start the sandbox: ${message}`));
    });
    const stderrTail = keepTail(this.proc.stderr!);
    this.proc.once('close', (code, signal) => {
      this.alive = false;
      const why = `the sandbox spawner exited (${signal ?? `status ${code}`}): ${stderrTail().trim().slice(-2000)}`;
      if (!this.stopped) this.log('error', why);
      // Its sandboxes died with it (bwrap's --die-with-parent).
      this.sandboxes.lost(why);
    });
  }

  get running(): boolean {
    return this.alive;
  }

  /** A sandbox started with `argv`; fds 3 and 4 inside are its event pipe and bwrap's --info-fd. */
  spawn(argv: string[]): WorkerProcess {
    const { id, forked, exited } = this.sandboxes.add();
    this.send(`spawn ${id} ${JSON.stringify(argv)}`);
    const holder = this.proc.pid!;
    // Outputs: stdout, stderr, the event pipe, bwrap's info.
    const pipes = adoptPipes(forked.then(({ fds }) => ({ holder, fds })), 4, () => this.send(`opened ${id}`));
    return helperWorker(pipes, exited, sandboxChildPid(pipes.outputs[3]), () => {
      if (this.sandboxes.has(id)) this.send(`kill ${id}`);
    }, false, () => {
      if (this.sandboxes.has(id)) this.send(`interrupt ${id}`);
    });
  }

  /**
   * Ends the spawner and its sandboxes: at the end of its stdin it kills them, waits for each
   * bwrap to end and kills what they left behind (spawner.py). SIGKILL after STOP_GRACE_MS.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (!this.alive) return;
    const closed = new Promise<void>((resolve) => this.proc.once('close', () => resolve()));
    this.proc.stdin!.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), STOP_GRACE_MS);
    await closed;
    clearTimeout(timer);
  }

  private send(command: string): void {
    if (this.alive) this.proc.stdin!.write(`${command}\n`);
  }
}
