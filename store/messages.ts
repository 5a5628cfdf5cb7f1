// The message log: each cell's Jupyter messages in `seq` order, appended in batches and read
// back as JSON text (spliced, never re-serialised) for long-polls.
import type { CellStatus } from '../protocol/api';
import type { UnsequencedMessage } from '../protocol/messages';
import type { Db } from './db';

/** A long-poll's read of one cell: its messages past `after` and where its log ends. */
export interface CellRead {
  /** Each message as JSON text, with `seq` first. */
  json: string[];
  /** The seq of the last message returned, or `after` when none. */
  next: number;
  /** The seq of the cell's last message once it is done; null while it is queued or running. */
  finalSeq: number | null;
  /** The cell's row status: `running` from the device's claim, before its worker is there. */
  status: CellStatus;
}

export type MessageLog = ReturnType<typeof createMessageLog>;

export function createMessageLog(db: Db) {
  const lastSeq = db.prepare(`SELECT COALESCE(MAX(seq), 0) FROM messages WHERE cell_id = ?`).pluck();
  const insert = db.prepare(`INSERT INTO messages (cell_id, seq, body) VALUES (?, ?, ?)`);
  // The cell's row and its messages past `after` in one statement, one read of the database: a
  // long-poll reads on every wake-up, each right after the device's commit, when SQLite has
  // dropped this connection's page cache, and the cell row comes with the same pages re-read
  // once. The messages come in seq order from their index (no sort: the cell is one row).
  const cellAfter = db.prepare(
    `SELECT c.final_seq, c.status, m.seq, m.body FROM cells c LEFT JOIN messages m ON m.cell_id = c.id AND m.seq > ?
     WHERE c.id = ? ORDER BY m.seq LIMIT ?`).raw();
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

    /** The cell's messages past `afterSeq` (up to `limit`) and its final seq; undefined if there is no such cell. */
    readCell(cellId: string, afterSeq: number, limit: number): CellRead | undefined {
      if (!(limit >= 1)) throw new RangeError(`readCell needs a limit of at least 1, not ${limit}`);
      const rows = cellAfter.all(afterSeq, cellId, limit) as [number | null, CellStatus, number | null, string | null][];
      if (rows.length === 0) return undefined;
      const [finalSeq, status] = rows[0];
      if (rows[0][2] === null) return { json: [], next: afterSeq, finalSeq, status }; // the LEFT JOIN's row of none
      const json = rows.map(([, , seq, body]) => `{"seq":${seq},${body!.slice(1)}`);
      return { json, next: rows[rows.length - 1][2]!, finalSeq, status };
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
