// Batches the messages of all running cells into one transaction every few milliseconds, and
// merges consecutive stream chunks: a cell printing in a tight loop costs one write, not thousands.
import type { StreamContent, UnsequencedMessage } from '../protocol/messages';
import type { Store } from '../store/store';

/** How long a message may wait for its batch; short enough that streaming looks live. */
const FLUSH_MS = 2;
/** A batch this long is written at once. */
const MAX_BATCH = 512;

export class MessageWriter {
  private pending = new Map<string, UnsequencedMessage[]>();
  private count = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly store: Store) {}

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
    if (++this.count >= MAX_BATCH) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.size === 0) return;
    const batch = [...this.pending].map(([cellId, messages]) => ({ cellId, messages }));
    this.pending = new Map();
    this.count = 0;
    this.store.messages.appendBatch(batch);
  }

  /** Writes what is pending, then the cell's closing messages with its `done` state, in order. */
  finish(cellId: string, outcome: 'ok' | 'error', closing: UnsequencedMessage[]): void {
    this.flush();
    this.store.finishCell(cellId, outcome, closing);
  }
}
