// One change watcher per process: polls SQLite's cheap `PRAGMA data_version` (which moves when
// another connection commits) only while someone is waiting, and wakes exactly the waiters
// whose cells got new messages. Per-request polling from many long-polls would cost a core.
import type { Db } from './db';
import type { MessageLog } from './messages';

export type Watcher = ReturnType<typeof createWatcher>;

export function createWatcher(db: Db, log: MessageLog, intervalMs: number) {
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const cellWaiters = new Map<string, Set<() => void>>();
  const changeListeners = new Set<() => void>();
  let lastVersion = dataVersion.get() as number;
  let lastMessageId = log.maxId();
  let timer: NodeJS.Timeout | null = null;

  function waiting(): boolean {
    return cellWaiters.size > 0 || changeListeners.size > 0;
  }

  function schedule(): void {
    if (waiting() && !timer) {
      // Catch up first: what was committed while nobody waited is not news to a new waiter.
      lastVersion = dataVersion.get() as number;
      lastMessageId = log.maxId();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    } else if (!waiting() && timer) {
      clearInterval(timer);
      timer = null;
    }
  }

  function tick(): void {
    const v = dataVersion.get() as number;
    if (v === lastVersion) return;
    lastVersion = v;
    check();
  }

  /** Wakes waiters for any messages appended since the last check; the process's own writers call it directly. */
  function check(): void {
    if (cellWaiters.size > 0) {
      const top = log.maxId();
      if (top !== lastMessageId) {
        for (const cellId of log.cellsWithMessagesAfter(lastMessageId)) {
          const set = cellWaiters.get(cellId);
          if (set) for (const wake of [...set]) wake();
        }
        lastMessageId = top;
      }
    }
    for (const l of [...changeListeners]) l();
  }

  return {
    check,

    /** Resolves when any of `cellIds` gets a new message, after `timeoutMs`, or on abort. */
    waitForCells(cellIds: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
      return new Promise((resolve) => {
        if (signal?.aborted || timeoutMs <= 0) return resolve();
        const done = () => {
          clearTimeout(t);
          signal?.removeEventListener('abort', done);
          for (const id of cellIds) {
            const set = cellWaiters.get(id);
            set?.delete(done);
            if (set?.size === 0) cellWaiters.delete(id);
          }
          schedule();
          resolve();
        };
        const t = setTimeout(done, timeoutMs);
        signal?.addEventListener('abort', done, { once: true });
        for (const id of cellIds) {
          let set = cellWaiters.get(id);
          if (!set) cellWaiters.set(id, (set = new Set()));
          set.add(done);
        }
        schedule();
      });
    },

    /** Calls `listener` whenever another connection commits anything; returns the unsubscribe. */
    onChange(listener: () => void): () => void {
      changeListeners.add(listener);
      schedule();
      return () => {
        changeListeners.delete(listener);
        schedule();
      };
    },

    waiterCount(): number {
      let n = 0;
      for (const s of cellWaiters.values()) n += s.size;
      return n;
    },
  };
}
