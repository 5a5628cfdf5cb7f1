// The cell queue: queued → running → done, each step one atomic UPDATE, so the web app and
// the device never both act on a cell.
import type { Header } from '../protocol/messages';
import type { CellStatus } from '../protocol/api';
import type { InteractValues } from '../protocol/interact';
import type { Db } from './db';

export interface CellRow {
  id: string;
  language: string;
  code: string;
  timeoutMs: number;
  status: CellStatus;
  header: Header;
  created: number;
  started: number | null;
  finished: number | null;
  outcome: 'ok' | 'error' | null;
  finalSeq: number | null;
  interrupt: boolean;
  /** How many times a device took it from the queue, this time included (a clean stop's give-back does not count). */
  attempts: number;
  /** The values of its interacts (protocol/interact.ts) as compact JSON text, or null. */
  interact: string | null;
  /** The code of the linked cells it runs first (protocol/linked.ts), a compact JSON list, or null. */
  linked: string | null;
}

interface RawRow {
  id: string; language: string; code: string; timeout_ms: number; status: CellStatus; header: string;
  created: number; started: number | null; finished: number | null; outcome: 'ok' | 'error' | null;
  final_seq: number | null; interrupt: number; attempts: number; interact: string | null; linked: string | null;
}

function fromRaw(r: RawRow): CellRow {
  return {
    id: r.id, language: r.language, code: r.code, timeoutMs: r.timeout_ms, status: r.status,
    header: JSON.parse(r.header), created: r.created, started: r.started, finished: r.finished,
    outcome: r.outcome, finalSeq: r.final_seq, interrupt: r.interrupt === 1, attempts: r.attempts,
    interact: r.interact, linked: r.linked,
  };
}

export type CellQueue = ReturnType<typeof createCellQueue>;

export function createCellQueue(db: Db) {
  const insert = db.prepare(
    `INSERT INTO cells (id, language, code, timeout_ms, status, header, created, interact, linked) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)`,
  );
  const byId = db.prepare(`SELECT * FROM cells WHERE id = ?`);
  const queuedCount = db.prepare(`SELECT COUNT(*) AS n FROM cells WHERE status = 'queued'`).pluck();
  const hasQueued = db.prepare(`SELECT 1 FROM cells WHERE status = 'queued' LIMIT 1`).pluck();
  const claim = db.prepare(
    `UPDATE cells SET status = 'running', started = ?, attempts = attempts + 1
     WHERE seq = (SELECT seq FROM cells WHERE status = 'queued' ORDER BY seq LIMIT 1) AND status = 'queued'
     RETURNING *`,
  );
  const finish = db.prepare(
    `UPDATE cells SET status = 'done', finished = ?, outcome = ?, final_seq = ? WHERE id = ? AND status != 'done'`,
  );
  // Taken out of the queue as if claimed; the caller marks it done in the same transaction.
  const cancelQueued = db.prepare(
    `UPDATE cells SET status = 'running', started = ?, interrupt = 1 WHERE id = ? AND status = 'queued' RETURNING *`,
  );
  const requeue = db.prepare(`UPDATE cells SET status = 'queued', started = NULL WHERE id = ? AND status = 'running'`);
  const giveBack = db.prepare(`UPDATE cells SET status = 'queued', started = NULL, attempts = MAX(attempts - 1, 0) WHERE id = ? AND status = 'running'`);
  // Only a cell not flagged yet: of two interrupts that both read it unflagged (from two web
  // processes, each before the other's write), the second changes nothing and says so.
  const flagInterrupt = db.prepare(`UPDATE cells SET interrupt = 1 WHERE id = ? AND status = 'running' AND interrupt = 0`);
  const interrupted = db.prepare(`SELECT id FROM cells WHERE status = 'running' AND interrupt = 1`).pluck();
  const running = db.prepare(`SELECT * FROM cells WHERE status = 'running' ORDER BY seq`);
  const oldDone = db.prepare(`SELECT id FROM cells WHERE status = 'done' AND finished < ?`).pluck();
  const deleteCell = db.prepare(`DELETE FROM cells WHERE id = ?`);
  const deleteMessages = db.prepare(`DELETE FROM messages WHERE cell_id = ?`);
  const counts = db.prepare(`SELECT status, COUNT(*) AS n FROM cells GROUP BY status`);

  return {
    enqueue(cell: { id: string; language: string; code: string; timeoutMs: number; header: Header; interact?: InteractValues | null; linked?: string[] | null }, now = Date.now()): void {
      const interact = cell.interact == null ? null : JSON.stringify(cell.interact);
      const linked = cell.linked == null ? null : JSON.stringify(cell.linked);
      insert.run(cell.id, cell.language, cell.code, cell.timeoutMs, JSON.stringify(cell.header), now, interact, linked);
    },

    get(id: string): CellRow | null {
      const r = byId.get(id) as RawRow | undefined;
      return r ? fromRaw(r) : null;
    },

    queuedCount(): number {
      return queuedCount.get() as number;
    },

    /**
     * Takes the oldest queued cell, atomically: two claimers never get the same cell. Looks with
     * a read first: the device asks at every change to the database, its own writes included,
     * and an UPDATE takes the write lock even when it matches nothing, so an insert of the web
     * server's that met it waited in SQLite's busy handler (a millisecond at the least).
     */
    claimNext(now = Date.now()): CellRow | null {
      if (hasQueued.get() === undefined) return null;
      const r = claim.get(now) as RawRow | undefined;
      return r ? fromRaw(r) : null;
    },

    /** Marks a cell done; the caller writes its closing messages in the same transaction. */
    markDone(id: string, outcome: 'ok' | 'error', finalSeq: number, now = Date.now()): boolean {
      return finish.run(now, outcome, finalSeq, id).changes === 1;
    },

    /** Puts a running cell that never started back in the queue, at its old place (its seq); its take counts as an attempt. */
    requeue(id: string): boolean {
      return requeue.run(id).changes === 1;
    },

    /**
     * The same, for a cell the device itself hands back unstarted as it stops cleanly: that take
     * was no attempt (the cell did nothing to the device), so it is not counted.
     */
    giveBack(id: string): boolean {
      return giveBack.run(id).changes === 1;
    },

    /**
     * Asks to stop a cell. A queued cell is taken out of the queue here (the caller writes its
     * closing messages); a running one is flagged for the device, which owns its sandbox.
     */
    requestInterrupt(id: string, now = Date.now()): 'cancelled' | 'flagged' | 'flagged already' | 'finished' | 'unknown' {
      const cancelled = cancelQueued.get(now, id) as RawRow | undefined;
      if (cancelled) return 'cancelled';
      if (flagInterrupt.run(id).changes === 1) return 'flagged';
      const r = byId.get(id) as RawRow | undefined;
      if (!r) return 'unknown';
      return r.status === 'running' && r.interrupt === 1 ? 'flagged already' : 'finished';
    },

    interruptRequested(): string[] {
      return interrupted.all() as string[];
    },

    running(): CellRow[] {
      return (running.all() as RawRow[]).map(fromRaw);
    },

    counts(): Record<CellStatus, number> {
      const out: Record<CellStatus, number> = { queued: 0, running: 0, done: 0 };
      for (const r of counts.all() as { status: CellStatus; n: number }[]) out[r.status] = r.n;
      return out;
    },

    /** Deletes cells finished before `cutoff` with their messages; returns their ids (for the filestore). */
    deleteFinishedBefore(cutoff: number): string[] {
      return db.transaction(() => {
        const ids = oldDone.all(cutoff) as string[];
        for (const id of ids) {
          deleteMessages.run(id);
          deleteCell.run(id);
        }
        return ids;
      }).immediate();
    },
  };
}
