// Batches the messages of all running cells into one transaction every FLUSH_MS, and merges
// consecutive stream chunks: a cell printing in a tight loop costs one write, not thousands.
import { createMessage } from '../protocol/create';
import type { Header, StreamContent, UnsequencedMessage } from '../protocol/messages';
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
  private failure = '';

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
      if (!isPassing(e)) {
        this.salvage(pending, finished, e);
        return;
      }
      this.putBack(pending, finished, count);
      this.retryLater(e);
      return;
    }
    if (this.busyRetries) this.log('info', `the database takes writes again, after ${this.busyRetries} tries`);
    this.busyRetries = 0;
  }

  /** The database is busy or full for now: what was put back is tried again after a wait. */
  private retryLater(e: unknown): void {
    if (this.timer) clearTimeout(this.timer);
    this.failure = `${(e as { code?: string }).code}: ${(e as Error).message}`;
    const wait = BUSY_RETRY_MS[Math.min(this.busyRetries++, BUSY_RETRY_MS.length - 1)];
    if (this.busyRetries === 1 || this.busyRetries % 20 === 0) this.log('warn', `the database cannot take writes now (${(e as { code?: string }).code}: ${(e as Error).message}); ${this.count} messages wait, trying again in ${wait} ms`);
    this.timer = setTimeout(() => this.flush(), wait);
  }

  /**
   * A batch failed for a reason that does not pass: something in it can never be written (a
   * message JSON cannot serialise, nested too deep for the stack). Put back, it would fail every
   * later write, and every running cell's with it. Instead each cell is written on its own, its
   * unwritable messages replaced by a note on its stderr that says so; a cell that still cannot
   * be written loses its messages (logged) but still ends. Nothing of it is tried again.
   */
  private salvage(pending: Map<string, UnsequencedMessage[]>, finished: CellEnd[], e: unknown): void {
    this.log('error', `a batch of messages could not be written (${(e as Error).message}); writing each cell's alone`);
    const cells = new Set([...pending.keys(), ...finished.map((f) => f.cellId)]);
    let passing: unknown = null;
    for (const cellId of cells) {
      const messages = writable(cellId, pending.get(cellId) ?? [], this.log);
      const ends = finished.filter((f) => f.cellId === cellId).map((f) => ({ ...f, closing: writable(cellId, f.closing, this.log) }));
      if (passing) {
        // The database went busy or full meanwhile: the rest waits for it, as any batch does.
        this.keep(cellId, messages, ends);
        continue;
      }
      try {
        this.store.writeBatch([{ cellId, messages }], ends);
      } catch (err) {
        if (isPassing(err)) {
          passing = err;
          this.keep(cellId, messages, ends);
          continue;
        }
        this.log('error', `the ${messages.length} messages of cell ${cellId} could not be written and are dropped: ${(err as Error).message}`);
        try {
          if (ends.length) this.store.writeBatch([], ends);
        } catch (last) {
          this.log('error', `cell ${cellId} could not be ended: ${(last as Error).message}`);
        }
      }
    }
    if (passing) this.retryLater(passing);
    else this.busyRetries = 0;
  }

  /** Puts one cell's messages and end back in front of what was pushed since, to be tried again. */
  private keep(cellId: string, messages: UnsequencedMessage[], ends: CellEnd[]): void {
    this.putBack(new Map(messages.length ? [[cellId, messages]] : []), ends, messages.length);
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

  /** The cells with messages or an ending not yet written. */
  unwritten(): string[] {
    return [...new Set([...this.pending.keys(), ...this.finished.map((f) => f.cellId)])];
  }

  /** Why the last write failed, while it is tried again (`SQLITE_FULL: database or disk is full`). */
  get lastFailure(): string {
    return this.failure;
  }
}

/**
 * `messages`, each one JSON cannot serialise replaced by a stderr note saying it was dropped.
 * Only on a failed batch: serialising every message twice would cost every cell.
 */
function writable(cellId: string, messages: readonly UnsequencedMessage[], log: (level: 'error', msg: string) => void): UnsequencedMessage[] {
  return messages.map((m) => {
    try {
      JSON.stringify(m);
      return m;
    } catch (e) {
      log('error', `a ${m.header.msg_type} message of cell ${cellId} cannot be stored and is dropped: ${(e as Error).message}`);
      const text = `A ${m.header.msg_type} message of this cell could not be stored (${(e as Error).message}) and was dropped.\n`;
      return createMessage('stream', { name: 'stderr', text }, m.parent_header as Header);
    }
  });
}
