// GET /healthz: liveness of the database and the device (its heartbeat).
import { databasePath } from '../../store/config';
import { diskState, type DiskState } from '../../store/disk';
import { json, preflight, route } from '../_lib/respond';
import { server } from '../_lib/server';

export const dynamic = 'force-dynamic';

/** A device silent longer than this is taken for dead. */
const HEARTBEAT_STALE_MS = 10_000;

export const GET = route(() => {
  const s = server();
  const beat = s.store.heartbeat.read();
  const age = beat ? Date.now() - beat.heartbeat : null;
  const deviceAlive = age !== null && age < HEARTBEAT_STALE_MS;
  // A stale heartbeat may be a database that takes no writes rather than a dead device: then
  // whether the device lives cannot be told (alive: null), and the answer says what to fix.
  const disk: DiskState = deviceAlive ? { state: 'ok' } : diskState(databasePath(s.config));
  const counts = s.store.cells.counts();
  const body = {
    status: deviceAlive ? 'ok' : 'degraded',
    database: disk.state,
    ...(disk.state === 'ok' ? {} : { problem: problemOf(disk) }),
    device: { alive: disk.state === 'ok' ? deviceAlive : null, pid: beat?.pid ?? null, heartbeat_age_ms: age },
    cells: { queued: counts.queued, running: counts.running },
  };
  return json(body, deviceAlive ? 200 : 503);
});

function problemOf(disk: Exclude<DiskState, { state: 'ok' }>): string {
  const effect = 'so the device cannot write its heartbeat nor cells\' output, and new cells are refused; what was accepted goes on once it can write again';
  if (disk.state === 'full') return `The data disk is full (${Math.floor(disk.freeBytes / 1024)} KiB free): the database cannot be written, ${effect}. Free space on it.`;
  return `The database cannot be written (${disk.reason}), ${effect}. Make the data directory writable.`;
}

// The CORS preflight, as every API route's: Next.js's own answer to OPTIONS had no CORS headers,
// so a status page on another origin that sends a header of its own was refused.
export const OPTIONS = preflight;
