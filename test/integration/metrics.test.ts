// GET /metrics through the real server and device: the device's warm pools as of its last
// heartbeat, one gauge line per pool (a language's, and Python's light one), so that a host's
// Prometheus sees a language whose workers never start, where /healthz said all was well.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, startCellbox, type Cellbox } from '../helpers/cellbox';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-metrics-'));
const configFile = path.join(dir, 'cellbox.config.json');
fs.writeFileSync(configFile, JSON.stringify({
  languages: [
    {
      name: 'python',
      display_name: 'Python 3',
      command: ['/usr/bin/python3', '-I', '/opt/cellbox/workers/python/kernel.py'],
      env: { MPLBACKEND: 'Agg' },
      file_extension: '.py',
      codemirror_mode: 'python',
      pool: 2,
      forkServer: { preload: [], light: true },
    },
    // Its runtime is there, but it ends before it ever says `ready`.
    { name: 'broken', display_name: 'Broken', command: ['/usr/bin/false'], file_extension: '.txt', codemirror_mode: 'text', pool: 1 },
  ],
}));

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_CONFIG: configFile, CELLBOX_LANGUAGES: 'python,broken' });
}, 120_000);

afterAll(async () => {
  await box?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The value of the gauge `name` for `pool`, or undefined if the answer has no such line. */
function gauge(text: string, name: string, pool: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{pool="${pool}",`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /metrics', () => {
  it("shows each warm pool's workers, and the starts of a language that keeps failing", async () => {
    // The heartbeat writes them once a second.
    let text = '';
    const settled = () => gauge(text, 'cellbox_workers_warm', 'python') === 2 && gauge(text, 'cellbox_workers_warm', 'python+light') === 2 && (gauge(text, 'cellbox_worker_start_failures', 'broken') ?? 0) >= 1;
    for (const end = Date.now() + 60_000; !settled() && Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
      text = String((await get(`${box.url}/metrics`)).body);
    }
    expect(text).toContain('# TYPE cellbox_workers_warm gauge');
    expect(text).toMatch(/^cellbox_workers_warm\{pool="python\+light",language="python"\} 2$/m);
    expect(gauge(text, 'cellbox_workers_target', 'python')).toBe(2);
    expect(gauge(text, 'cellbox_workers_target', 'broken')).toBe(1);
    expect(gauge(text, 'cellbox_workers_warm', 'broken')).toBe(0);
    expect(gauge(text, 'cellbox_worker_start_failures', 'python')).toBe(0);
    expect(gauge(text, 'cellbox_cells_waiting_for_worker', 'python')).toBe(0);
    expect(gauge(text, 'cellbox_workers_starting', 'python')).toBeGreaterThanOrEqual(0);
  }, 90_000);
});
