// The store: one SQLite connection per process with the queue, the message log, the language
// table, the heartbeat and the snippets, plus the few transactions that span them.
import { nanoid } from 'nanoid';
import { closingMessages, createExecuteRequest, openingMessages } from '../protocol/create';
import type { InteractValues } from '../protocol/interact';
import type { ErrorContent, UnsequencedMessage } from '../protocol/messages';
import { createBell, type BellRole } from './bell';
import { createCellQueue, type CellRow } from './cells';
import { openDatabase } from './db';
import { createHeartbeat } from './heartbeat';
import { createLanguageTable } from './languages';
import { createMessageLog } from './messages';
import { createSnippetTable } from './snippets';
import { createWatcher } from './watch';

/** A cell that ended: its closing messages and outcome. */
export interface CellEnd { cellId: string; outcome: 'ok' | 'error'; closing: readonly UnsequencedMessage[] }

export type Store = ReturnType<typeof openStore>;

export function openStore(file: string, opts: { watchIntervalMs: number; bell?: BellRole }) {
  const db = openDatabase(file);
  const cells = createCellQueue(db);
  const messages = createMessageLog(db);
  const watcher = createWatcher(db, messages, opts.watchIntervalMs);
  const bell = opts.bell ? createBell(file, opts.bell, () => watcher.poke(), () => watcher.useBell(() => bell!.connected())) : null;
  /** After a commit the other process should see at once. */
  const ring = () => bell?.ring();

  // Read-then-write transactions begin IMMEDIATE: a deferred one that read before another
  // process wrote could not upgrade to a write and would fail at once, without waiting.
  const finishTx = db.transaction((cellId: string, outcome: 'ok' | 'error', closing: readonly UnsequencedMessage[]) => {
    const finalSeq = messages.append(cellId, closing);
    cells.markDone(cellId, outcome, finalSeq);
  });
  const writeTx = db.transaction((batch: ReadonlyArray<{ cellId: string; messages: readonly UnsequencedMessage[] }>, finished: ReadonlyArray<CellEnd>) => {
    for (const b of batch) messages.append(b.cellId, b.messages);
    for (const f of finished) finishTx(f.cellId, f.outcome, f.closing);
  });

  return {
    db,
    cells,
    messages,
    watcher,
    languages: createLanguageTable(db),
    heartbeat: createHeartbeat(db),
    snippets: createSnippetTable(db),

    /**
     * Queues a cell; its execute_request header is every later message's parent. `interact`:
     * the values of its interacts, when a page runs it again as its controls move. `linked`: the
     * code of the linked cells before it on its page, run first.
     */
    createCell(code: string, language: string, timeoutMs: number, interact: InteractValues | null = null, linked: string[] | null = null): { id: string; msgId: string } {
      const id = nanoid(12);
      const request = createExecuteRequest(code);
      cells.enqueue({ id, language, code, timeoutMs, header: request.header, interact, linked });
      ring();
      return { id, msgId: request.header.msg_id };
    },

    /**
     * The device takes the oldest queued cell (cells.claimNext). A claim writes no message, but
     * the cell's readers who wait for its state to move (queued to starting) are woken by it:
     * so it rings, as a message does.
     */
    claimCell(): CellRow | null {
      const cell = cells.claimNext();
      if (cell) ring();
      return cell;
    },

    /** A cell taken and never started goes back to the queue (cells.requeue, or uncounted: cells.giveBack); rings, as a claim does. */
    requeueCell(cellId: string, counted: boolean): boolean {
      const back = counted ? cells.requeue(cellId) : cells.giveBack(cellId);
      if (back) ring();
      return back;
    },

    /** Writes a cell's last messages and marks it done, in one transaction, then wakes its waiters. */
    finishCell(cellId: string, outcome: 'ok' | 'error', closing: UnsequencedMessage[]): void {
      finishTx.immediate(cellId, outcome, closing);
      ring();
      watcher.check();
    },

    /**
     * The device's writes of a few milliseconds in one transaction: messages of running cells,
     * then the cells that ended, each with its closing messages and `done` state.
     */
    writeBatch(batch: ReadonlyArray<{ cellId: string; messages: readonly UnsequencedMessage[] }>, finished: ReadonlyArray<CellEnd>): void {
      writeTx.immediate(batch, finished);
      ring();
      if (finished.length) watcher.check();
    },

    /**
     * Stops a cell. Returns false for an unknown id. A queued cell is finished here with an
     * `Interrupted` error; a running one is flagged and the device stops it.
     */
    interrupt(cellId: string): boolean {
      // A read first: a done cell (a page's Stop that came late, a client asking again and again)
      // and an unknown id change nothing, and a running cell already flagged needs no second
      // flag. Each took the write lock before, queued behind the device's writes (up to the
      // busy timeout while another process held it), for nothing. So a cell costs one write of
      // an interrupt at most, however often it is asked for.
      const before = cells.get(cellId);
      if (!before) return false;
      if (before.status === 'done' || (before.status === 'running' && before.interrupt)) return true;
      const result = db.transaction(() => {
        const r = cells.requestInterrupt(cellId);
        if (r === 'cancelled') {
          const cell = cells.get(cellId)!;
          const error: ErrorContent = { ename: 'Interrupted', evalue: 'The cell was stopped before it started.', traceback: [] };
          const finalSeq = messages.append(cellId, [...openingMessages(cell.header, cell.code), ...closingMessages(cell.header, error)]);
          cells.markDone(cellId, 'error', finalSeq);
        }
        return r;
      }).immediate();
      // Only what changed the cell is news to the device.
      if (result === 'cancelled' || result === 'flagged') ring();
      if (result === 'cancelled') watcher.check();
      return result !== 'unknown';
    },

    close(): void {
      bell?.close();
      watcher.close();
      db.close();
    },
  };
}
