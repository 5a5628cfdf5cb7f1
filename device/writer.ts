// Batches the messages of all running cells into one transaction every FLUSH_MS, and merges
// consecutive stream chunks: a cell printing in a tight loop costs one write, not thousands.
import type { StreamContent, UnsequencedMessage } from '../protocol/messages';
import type { CellEnd, Store } from '../store/store';

/**
 * How long a message may wait for its batch: short enough that streaming looks live (a person
 * sees no 20 ms), long enough that a short cell's messages and its neighbours' share a
 * transaction. Each transaction is a commit, a ring of the web server's doorbell, and a wake-up
 * and read for each long-poll on its cells. A cell's end is written at once (finish()), with
 * whatever waits: no round trip waits for this. Under 4 clients sending trivial cells: 3.25
 * transactions per cell at 2 ms, 2.4 at 20.
 */
const FLUSH_MS = 20;
/** A batch this long is written at once. */
const MAX_BATCH = 512;

/** Waits before writing again while the database is locked, doubling up to the last. */
const BUSY_RETRY_MS = [50, 100, 200, 400, 800, 1000];

/**
 * Failures that pass: another process holds the database (busy, locked), or the disk is full
 * or failing for now. Keeping the batch and trying again loses nothing.
 */
function isPassing(e: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED|FULL|IOERR)/.test((e as { code?: string }).code ?? '');
}

export class MessageWriter {
  private pending = new Map<string, UnsequencedMessage[]>();
  private finished: CellEnd[] = [];
  private count = 0;
  private timer: NodeJS.Timeout | null = null;
  private busyRetries = 0;

  constructor(
    private readonly store: Store,
    private readonly log: (level: 'info' | 'warn' | 'error', msg: string) => void = () => {},
  ) {}

  push(cellId: string, m: UnsequencedMessage): void {
    let list = this.pending.get(cellId);
    if (!list) this.pending.set(cellId, (list = []));
    const last = list[list.length - 1];
    if (m.header.msg_type === 'stream' && last?.header.msg_type === 'stream') {
      const a = last.content as StreamContent;
      const b = m.content as StreamContent;
      if (a.name === b.name) {
        a.text += b.text;
        return;
      }
    }
    list.push(m);
    if (++this.count >= MAX_BATCH && !this.busyRetries) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  /**
   * Writes what is pending in one transaction. While another process holds the database
   * (longer than its busy timeout) or the disk is full, nothing is lost: the batch waits in
   * memory (bounded: running cells are few and each one's output is capped) and is tried again.
   */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.size === 0 && this.finished.length === 0) return;
    // Taken out before the write: the write wakes this process's own listeners synchronously
    // (the device claims the next cell from inside it and pushes that cell's opening messages),
    // and what they push belongs to the next batch, not to this one's leftovers.
    const pending = this.pending;
    const finished = this.finished;
    const count = this.count;
    this.pending = new Map();
    this.finished = [];
    this.count = 0;
    try {
      this.store.writeBatch([...pending].map(([cellId, messages]) => ({ cellId, messages })), finished);
    } catch (e) {
      this.putBack(pending, finished, count);
      if (!isPassing(e)) throw e;
      if (this.timer) clearTimeout(this.timer);
      const wait = BUSY_RETRY_MS[Math.min(this.busyRetries++, BUSY_RETRY_MS.length - 1)];
      if (this.busyRetries === 1 || this.busyRetries % 20 === 0) this.log('warn', `the database cannot take writes now (${(e as { code?: string }).code}: ${(e as Error).message}); ${this.count} messages wait, trying again in ${wait} ms`);
      this.timer = setTimeout(() => this.flush(), wait);
      return;
    }
    if (this.busyRetries) this.log('info', `the database takes writes again, after ${this.busyRetries} tries`);
    this.busyRetries = 0;
  }

  /** A batch that could not be written goes back in front of whatever was pushed since. */
  private putBack(pending: Map<string, UnsequencedMessage[]>, finished: CellEnd[], count: number): void {
    for (const [cellId, later] of this.pending) {
      const earlier = pending.get(cellId);
      if (earlier) earlier.push(...later);
      else pending.set(cellId, later);
    }
    this.pending = pending;
    this.finished = finished.concat(this.finished);
    this.count = count + this.count;
  }

  /** Writes what is pending, then the cell's closing messages with its `done` state, in order. */
  finish(cellId: string, outcome: 'ok' | 'error', closing: UnsequencedMessage[]): void {
    this.finished.push({ cellId, outcome, closing });
    if (!this.busyRetries) this.flush();
  }

  /** Messages or endings not yet written (the database was busy). */
  get waiting(): number {
    return this.count + this.finished.length;
  }
}
