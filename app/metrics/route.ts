// GET /metrics: Prometheus text metrics of the queue, the device, its warm pools and the long-polls.
import { preflight, reply, route } from '../_lib/respond';
import { server } from '../_lib/server';
import type { PoolState } from '../../store/heartbeat';

export const dynamic = 'force-dynamic';

/** Each gauge of the device's warm pools, as of its last heartbeat (its age is above): one line per pool. */
const POOL_GAUGES: [Exclude<keyof PoolState, 'pool' | 'language'>, string, string][] = [
  ['warm', 'cellbox_workers_warm', 'Warm workers ready for a cell, by pool.'],
  ['target', 'cellbox_workers_target', 'Warm workers each pool keeps, by the config.'],
  ['starting', 'cellbox_workers_starting', 'Workers being started, by pool.'],
  ['waiting', 'cellbox_cells_waiting_for_worker', 'Cells taken from the queue that wait for a worker, by pool.'],
  ['failures', 'cellbox_worker_start_failures', 'Worker starts that failed in a row, by pool (0 once one succeeds).'],
];

/** A label value as Prometheus's text format writes it: backslash, quote and newline escaped. */
const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function poolLines(pools: PoolState[]): string[] {
  if (!pools.length) return [];
  return POOL_GAUGES.flatMap(([key, name, help]) => [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} gauge`,
    ...pools.map((p) => `${name}{pool="${label(p.pool)}",language="${label(p.language)}"} ${p[key]}`),
  ]);
}

export const GET = route(() => {
  const s = server();
  const counts = s.store.cells.counts();
  const beat = s.store.heartbeat.read();
  const lines = [
    '# HELP cellbox_cells Cells kept, by status.',
    '# TYPE cellbox_cells gauge',
    ...Object.entries(counts).map(([status, n]) => `cellbox_cells{status="${status}"} ${n}`),
    '# HELP cellbox_device_heartbeat_age_seconds Seconds since the device last beat.',
    '# TYPE cellbox_device_heartbeat_age_seconds gauge',
    `cellbox_device_heartbeat_age_seconds ${beat ? (Date.now() - beat.heartbeat) / 1000 : 'NaN'}`,
    '# HELP cellbox_longpolls_waiting Long-poll requests waiting in this web server.',
    '# TYPE cellbox_longpolls_waiting gauge',
    `cellbox_longpolls_waiting ${s.store.watcher.waiterCount()}`,
    ...poolLines(beat?.pools ?? []),
  ];
  return reply(lines.join('\n') + '\n', 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
});

// The CORS preflight, as every API route's: Next.js's own answer to OPTIONS had no CORS headers,
// so a status page on another origin that sends a header of its own was refused.
export const OPTIONS = preflight;
