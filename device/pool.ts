// Warm pools: per language, sandboxes started ahead of time that have said `ready`, so a cell
// never waits for a runtime to start. A worker serves one cell and is never reused; the pool
// refills in the background, and backs off when a language's workers keep failing to start.
import type { PoolState } from '../store/heartbeat';
import type { Worker } from './worker';

export interface PoolLog {
  (level: 'info' | 'warn' | 'error', msg: string): void;
}

interface LanguagePool {
  target: number;
  warm: Worker[];
  /** The workers being started. */
  starting: Set<Worker>;
  failures: number;
  waiters: Array<{ resolve: (w: Worker) => void; reject: (e: Error) => void }>;
  retryTimer: NodeJS.Timeout | null;
}

/** After this many failed starts in a row, a language's pool stops retrying fast. */
const MAX_FAST_FAILURES = 3;
const RETRY_MS = 5000;

/**
 * How long after its cell is over a taken worker's replacement is started while a spare is
 * still warm. The cell's last messages are written then, but the web server's answer with them
 * and the client's next request come in the next milliseconds, and making a spare (the fork
 * server's fork, the namespace maker, the control group) took the CPU from them. Side by side,
 * a light cell every 150 ms, five rounds: p50 11.6 ms on average against 12.2; back to back,
 * 19-23 against 19-33, three rounds.
 */
export const REFILL_DELAY_MS = 20;

export class Pool {
  private readonly pools = new Map<string, LanguagePool>();
  private closed = false;

  constructor(
    private readonly start: (language: string) => Worker,
    private readonly log: PoolLog,
  ) {}

  /** Sets how many warm workers a language keeps, and starts filling. */
  add(language: string, target: number): void {
    this.pools.set(language, { target, warm: [], starting: new Set(), failures: 0, waiters: [], retryTimer: null });
    this.fill(language);
  }

  /**
   * A ready worker for one cell: a warm one at once, or the next to become ready. Either way
   * at the normal CPU priority: spares may be made at a low one (Worker.hurry()), so that making
   * them never slows a running cell; a cell that must wait for one has it, and every other
   * worker of this pool being made, raised at once. A cell stopped while it waits (`signal`)
   * leaves the line at once, rejected with the signal's reason; the worker being made for it
   * goes to the next cell, or to the warm ones.
   */
  take(language: string, signal?: AbortSignal): Promise<Worker> {
    const p = this.pools.get(language);
    if (!p) return Promise.reject(new Error(`no pool for ${language}`));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const w = p.warm.shift();
    w?.hurry();
    // Making a worker does synchronous work (its control group's files; a fork server's own
    // sandbox when one must start again, spawned by the device), so a replacement is started in
    // a later turn of the event loop, once the taker has handed the worker its code or written
    // the cell's last messages.
    const fillSoon = () => setImmediate(() => this.fill(language));
    if (w && p.warm.length > 0) {
      // A spare is still warm: make the replacement once this cell is over, its last messages
      // written and answered, so that starting it never competes with the cell for the CPU. (At
      // its worker's exit was too soon: the cell's files and last messages came after, and the
      // web server's answer with them, each slowed by the fork server making the replacement.)
      w.released.then(() => setTimeout(() => this.fill(language), REFILL_DELAY_MS).unref());
      return Promise.resolve(w);
    }
    if (w) {
      fillSoon();
      return Promise.resolve(w);
    }
    const result = new Promise<Worker>((resolve, reject) => {
      const leave = () => {
        const i = p.waiters.indexOf(waiter);
        if (i < 0) return;
        p.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      const waiter = {
        resolve: (w: Worker) => {
          signal?.removeEventListener('abort', leave);
          resolve(w);
        },
        reject: (e: Error) => {
          signal?.removeEventListener('abort', leave);
          reject(e);
        },
      };
      p.waiters.push(waiter);
      signal?.addEventListener('abort', leave, { once: true });
    });
    this.fill(language);
    for (const starting of p.starting) starting.hurry();
    return result;
  }

  warmCount(language: string): number {
    return this.pools.get(language)?.warm.length ?? 0;
  }

  /** What each pool holds now, for the heartbeat (and so /metrics); `languageOf` names a pool's language. */
  states(languageOf: (pool: string) => string): PoolState[] {
    return [...this.pools].map(([pool, p]) => ({
      pool,
      language: languageOf(pool),
      target: p.target,
      warm: p.warm.length,
      starting: p.starting.size,
      waiting: p.waiters.length,
      failures: p.failures,
    }));
  }

  /** Waits until every pool has its warm workers (or has failed); for start-up and tests. */
  async settled(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const busy = [...this.pools.values()].some((p) => p.starting.size > 0 || (p.warm.length < p.target && p.failures < MAX_FAST_FAILURES));
      if (!busy) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.closed = true;
    for (const p of this.pools.values()) {
      if (p.retryTimer) clearTimeout(p.retryTimer);
      for (const w of p.warm.splice(0)) this.discard(w);
      for (const waiter of p.waiters.splice(0)) waiter.reject(new Error('the device is shutting down'));
    }
  }

  private fill(language: string): void {
    const p = this.pools.get(language)!;
    if (this.closed || p.retryTimer) return;
    // Waiting cells count as demand on top of the warm target.
    while (p.warm.length + p.starting.size < p.target + p.waiters.length) {
      let worker: Worker;
      try {
        worker = this.start(language);
      } catch (e) {
        this.failed(language, e as Error);
        return;
      }
      p.starting.add(worker);
      // A cell waits already: this one is for it, at the normal priority from the start.
      if (p.waiters.length > 0) worker.hurry();
      worker.ready.then(
        () => {
          p.starting.delete(worker);
          p.failures = 0;
          if (this.closed) return this.discard(worker);
          // Raised already: at its start if a cell waited then, or by take() when one came.
          const waiter = p.waiters.shift();
          if (waiter) return waiter.resolve(worker);
          p.warm.push(worker);
          // A warm worker that dies before use is replaced.
          worker.exited.then(() => {
            const i = p.warm.indexOf(worker);
            if (i >= 0) {
              p.warm.splice(i, 1);
              worker.releaseDir();
              this.log('warn', `a warm ${language} worker died before use; starting another`);
              this.fill(language);
            }
          });
        },
        (err: Error) => {
          p.starting.delete(worker);
          // Shutting down takes starting workers with it: that is no failure to report.
          if (!this.closed) this.failed(language, err);
        },
      );
    }
  }

  private failed(language: string, err: Error): void {
    const p = this.pools.get(language)!;
    p.failures++;
    this.log('error', `could not start a ${language} worker: ${err.message}`);
    if (p.failures >= MAX_FAST_FAILURES) {
      // Tell waiting cells now rather than let them hang; keep trying slowly.
      for (const waiter of p.waiters.splice(0)) waiter.reject(err);
      if (!this.closed) {
        p.retryTimer = setTimeout(() => {
          p.retryTimer = null;
          this.fill(language);
        }, RETRY_MS);
        p.retryTimer.unref();
      }
    } else {
      this.fill(language);
    }
  }

  private discard(w: Worker): void {
    w.kill();
    w.releaseDir();
  }
}
