// The device's heartbeat: how the web app knows a device is alive to run queued cells.
import type { Db } from './db';

export interface DeviceBeat { pid: number; started: number; heartbeat: number }

export type Heartbeat = ReturnType<typeof createHeartbeat>;

export function createHeartbeat(db: Db) {
  const beat = db.prepare(
    `INSERT INTO device (id, pid, started, heartbeat) VALUES (1, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET pid = excluded.pid, started = excluded.started, heartbeat = excluded.heartbeat`,
  );
  const read = db.prepare(`SELECT pid, started, heartbeat FROM device WHERE id = 1`);
  return {
    beat(pid: number, started: number, now = Date.now()): void {
      beat.run(pid, started, now);
    },
    read(): DeviceBeat | null {
      return (read.get() as DeviceBeat | undefined) ?? null;
    },
  };
}
