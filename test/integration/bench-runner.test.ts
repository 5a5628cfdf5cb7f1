// The bench's and the load test's Cellbox (scripts/cellbox-runner.mjs): a bench stopped with a
// signal must not leave its web server and device running, since their warm sandboxes would
// skew every measurement made on the machine after it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alive, until } from '../helpers/cellbox';

const runner = fileURLToPath(new URL('../../scripts/cellbox-runner.mjs', import.meta.url));

const BENCH = `
import { startCellbox } from ${JSON.stringify(runner)};
const box = await startCellbox();
console.log(JSON.stringify({ web: box.web.pid, device: box.device.pid, dataDir: box.dataDir }));
setInterval(() => {}, 1000);
`;

describe('the bench runner', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops its Cellbox and removes its data when the bench alone gets ${signal}, and ends as the signal would`, async () => {
      const bench = spawn(process.execPath, ['--input-type=module', '-e', BENCH], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<NodeJS.Signals | null>((r) => bench.once('exit', (_code, s) => r(s)));
      const pids = await new Promise<{ web: number; device: number; dataDir: string }>((resolve, reject) => {
        let out = '';
        bench.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(JSON.parse(out));
        });
        bench.once('exit', () => reject(new Error(`the bench ended before its Cellbox was up: ${out}`)));
      });
      try {
        expect(alive(pids.web) && alive(pids.device)).toBe(true);
        expect(fs.existsSync(pids.dataDir)).toBe(true);
        bench.kill(signal);
        expect(await exited).toBe(signal);
        // It waits up to 5 s for them, then removes their data directory.
        await until('the web server and the device to end', () => !alive(pids.web) && !alive(pids.device), 15_000);
        expect(fs.existsSync(pids.dataDir)).toBe(false);
      } finally {
        for (const pid of [pids.web, pids.device]) if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    }, 180_000);
  }
});
