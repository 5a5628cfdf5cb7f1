// One change watcher per process: looks at SQLite's cheap `PRAGMA data_version` (which moves
// when another connection commits) when the other process rings the doorbell (bell.ts), and
// polls it only while someone is waiting: every `intervalMs` while no bell connects the
// processes, once a second as a safety net while one does. It wakes exactly the waiters whose
// cells got new messages, or, for a waiter that asks, whose cells changed status: a device's
// claim of a queued cell (and its hand-back) writes no message. Per-request polling from many
// long-polls would cost a core.
import type { Db } from './db';
import type { MessageLog } from './messages';

export type Watcher = ReturnType<typeof createWatcher>;

/** How often a watcher still polls while the bell carries the wake-ups. */
const SAFETY_POLL_MS = 1000;

export function createWatcher(db: Db, log: MessageLog, intervalMs: number) {
  const dataVersion = db.prepare('PRAGMA data_version').pluck();
  const cellWaiters = new Map<string, Set<() => void>>();
  /** Cells whose waiters want a change of status too, with the status the watcher last saw. */
  const statusWaiters = new Map<string, { status: string | null; wakers: Set<() => void> }>();
  const statusesOf = db.prepare(`SELECT id, status FROM cells WHERE id IN (SELECT value FROM json_each(?))`);
  const changeListeners = new Set<() => void>();
  let lastVersion = dataVersion.get() as number;
  let lastMessageId = log.maxId();
  let timer: NodeJS.Timeout | null = null;
  let rung = () => false;

  function waiting(): boolean {
    return cellWaiters.size > 0 || statusWaiters.size > 0 || changeListeners.size > 0;
  }

  /** The status of each of `ids` that exists: one indexed read for them all. */
  function statuses(ids: readonly string[]): Map<string, string> {
    const rows = statusesOf.all(JSON.stringify(ids)) as { id: string; status: string }[];
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  function schedule(): void {
    if (waiting() && !timer) {
      // Catch up first: what was committed while nobody waited is not news to a new waiter.
      lastVersion = dataVersion.get() as number;
      lastMessageId = log.maxId();
      arm();
    } else if (!waiting() && timer) {
      clearTimeout(timer);
      timer = null;
    }
  }

  function arm(): void {
    const armed = setTimeout(() => {
      // `timer` stays set while the poll runs: a waiter it wakes that leaves must not find the
      // watcher idle, or schedule() would catch up past a commit made since the poll read the
      // version (that commit's waiters then slept until their timeout) and start a second timer.
      tick();
      if (timer !== armed) return; // stopped (nobody waits) or re-armed meanwhile
      timer = null;
      if (waiting()) arm();
    }, rung() ? SAFETY_POLL_MS : intervalMs);
    timer = armed;
    armed.unref();
  }

  function tick(): void {
    if (!db.open) return; // closed while a poll was due
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
    if (statusWaiters.size > 0) {
      // Only while someone waits for a status: one read per change of the database.
      const now = statuses([...statusWaiters.keys()]);
      for (const [id, w] of [...statusWaiters]) {
        const status = now.get(id) ?? null;
        if (status === w.status) continue;
        w.status = status;
        for (const wake of [...w.wakers]) wake();
      }
    }
    for (const l of [...changeListeners]) l();
  }

  /**
   * Calls `wake` each time any of `cellIds` gets new messages, until the returned unsubscribe
   * is called. A long-poll keeps one for its whole wait, and so reads once per wake-up: with a
   * one-shot wait (waitForCells, until 5 December) it had to subscribe again before each read,
   * and read again after it. `statusToo`: the cells whose change of status (queued, running,
   * done) wakes it as well, counted from the status at this call.
   */
  function watchCells(cellIds: readonly string[], wake: () => void, statusToo: readonly string[] = []): () => void {
    for (const id of cellIds) {
      let set = cellWaiters.get(id);
      if (!set) cellWaiters.set(id, (set = new Set()));
      set.add(wake);
    }
    schedule();
    // After schedule(): a commit after its catch-up moves the version, so the next check
    // compares with the status read here, which that commit is not in, or is in already.
    const fresh = statusToo.filter((id) => !statusWaiters.has(id));
    const now = fresh.length ? statuses(fresh) : new Map<string, string>();
    for (const id of statusToo) {
      let w = statusWaiters.get(id);
      if (!w) statusWaiters.set(id, (w = { status: now.get(id) ?? null, wakers: new Set() }));
      w.wakers.add(wake);
    }
    return () => {
      for (const id of cellIds) {
        const set = cellWaiters.get(id);
        set?.delete(wake);
        if (set?.size === 0) cellWaiters.delete(id);
      }
      for (const id of statusToo) {
        const w = statusWaiters.get(id);
        w?.wakers.delete(wake);
        if (w?.wakers.size === 0) statusWaiters.delete(id);
      }
      schedule();
    };
  }

  return {
    check,

    /** The other process rang: look at the database now. */
    poke(): void {
      if (waiting()) tick();
    },

    /**
     * Whether rings carry the wake-ups now (then polling slows to a safety net); called again
     * when that changes, so the next poll comes at the right interval.
     */
    useBell(connected: () => boolean): void {
      rung = connected;
      if (timer) {
        clearTimeout(timer);
        arm();
      }
    },

    watchCells,

    /** Calls `listener` whenever another connection commits anything; returns the unsubscribe. */
    onChange(listener: () => void): () => void {
      changeListeners.add(listener);
      schedule();
      return () => {
        changeListeners.delete(listener);
        schedule();
      };
    },

    /** Stops polling for good: the database is closing. */
    close(): void {
      cellWaiters.clear();
      statusWaiters.clear();
      changeListeners.clear();
      schedule();
    },

    waiterCount(): number {
      let n = 0;
      for (const s of cellWaiters.values()) n += s.size;
      return n;
    },
  };
}
