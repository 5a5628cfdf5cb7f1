// The device's heartbeat: how the web app knows a device is alive to run queued cells, and what
// its warm pools hold (for /metrics), as of its last beat.
import type { Db } from './db';

/** One warm pool of the device (device/pool.ts), by its name: a language's, or its light one's (`python+light`). */
export interface PoolState {
  pool: string;
  language: string;
  /** Warm workers it keeps, by the config. */
  target: number;
  /** Ready now, waiting for a cell. */
  warm: number;
  /** Being started. */
  starting: number;
  /** Cells waiting for one of its workers. */
  waiting: number;
  /** Starts that failed in a row (0 once one succeeds): past a few, the pool retries slowly. */
  failures: number;
}

export interface DeviceBeat { pid: number; started: number; heartbeat: number; pools: PoolState[] | null }

export type Heartbeat = ReturnType<typeof createHeartbeat>;

export function createHeartbeat(db: Db) {
  const beat = db.prepare(
    `INSERT INTO device (id, pid, started, heartbeat, pools) VALUES (1, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET pid = excluded.pid, started = excluded.started, heartbeat = excluded.heartbeat, pools = excluded.pools`,
  );
  const read = db.prepare(`SELECT pid, started, heartbeat, pools FROM device WHERE id = 1`);
  return {
    beat(pid: number, started: number, now = Date.now(), pools: PoolState[] | null = null): void {
      beat.run(pid, started, now, pools ? JSON.stringify(pools) : null);
    },
    read(): DeviceBeat | null {
      const row = read.get() as (Omit<DeviceBeat, 'pools'> & { pools: string | null }) | undefined;
      if (!row) return null;
      return { ...row, pools: row.pools ? (JSON.parse(row.pools) as PoolState[]) : null };
    },
  };
}
