// GET /healthz: liveness of the database and the device (its heartbeat).
import { json, route } from '../_lib/respond';
import { server } from '../_lib/server';

export const dynamic = 'force-dynamic';

/** A device silent longer than this is taken for dead. */
const HEARTBEAT_STALE_MS = 10_000;

export const GET = route(() => {
  const s = server();
  const beat = s.store.heartbeat.read();
  const age = beat ? Date.now() - beat.heartbeat : null;
  const deviceAlive = age !== null && age < HEARTBEAT_STALE_MS;
  const counts = s.store.cells.counts();
  const body = {
    status: deviceAlive ? 'ok' : 'degraded',
    database: 'ok',
    device: { alive: deviceAlive, pid: beat?.pid ?? null, heartbeat_age_ms: age },
    cells: { queued: counts.queued, running: counts.running },
  };
  return json(body, deviceAlive ? 200 : 503);
});
