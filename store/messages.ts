// The message log: each cell's Jupyter messages in `seq` order, appended in batches and read
// back as JSON text (spliced, never re-serialised) for long-polls.
import type { UnsequencedMessage } from '../protocol/messages';
import type { Db } from './db';

export interface ReadResult {
  /** Each message as JSON text, with `seq` first. */
  json: string[];
  /** The seq of the last message returned, or `after` when none. */
  next: number;
}

export type MessageLog = ReturnType<typeof createMessageLog>;

export function createMessageLog(db: Db) {
  const lastSeq = db.prepare(`SELECT COALESCE(MAX(seq), 0) FROM messages WHERE cell_id = ?`).pluck();
  const insert = db.prepare(`INSERT INTO messages (cell_id, seq, body) VALUES (?, ?, ?)`);
  const after = db.prepare(`SELECT seq, body FROM messages WHERE cell_id = ? AND seq > ? ORDER BY seq LIMIT ?`).raw();
  const maxId = db.prepare(`SELECT COALESCE(MAX(id), 0) FROM messages`).pluck();
  const cellsSince = db.prepare(`SELECT DISTINCT cell_id FROM messages WHERE id > ?`).pluck();

  /** Appends messages to a cell, giving them the next seqs; returns the last seq. Call inside a transaction when batching (see Store.writeBatch). */
  function append(cellId: string, messages: readonly UnsequencedMessage[]): number {
    let seq = lastSeq.get(cellId) as number;
    for (const m of messages) insert.run(cellId, ++seq, JSON.stringify(m));
    return seq;
  }

  return {
    append,

    readAfter(cellId: string, afterSeq: number, limit: number): ReadResult {
      const rows = after.all(cellId, afterSeq, limit) as [number, string][];
      const json = rows.map(([seq, body]) => `{"seq":${seq},${body.slice(1)}`);
      return { json, next: rows.length ? rows[rows.length - 1][0] : afterSeq };
    },

    lastSeq(cellId: string): number {
      return lastSeq.get(cellId) as number;
    },

    maxId(): number {
      return maxId.get() as number;
    },

    cellsWithMessagesAfter(id: number): string[] {
      return cellsSince.all(id) as string[];
    },
  };
}
