// GET /metrics: Prometheus text metrics of the queue, the device and the long-polls.
import { reply, route } from '../_lib/respond';
import { server } from '../_lib/server';

export const dynamic = 'force-dynamic';

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
  ];
  return reply(lines.join('\n') + '\n', 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
});
