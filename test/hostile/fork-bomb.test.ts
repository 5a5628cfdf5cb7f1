// Attack: a fork bomb. Every process forks forever (Python's os.fork loop, Bash's
// `bomb | bomb &`), to exhaust the host's process table and starve other cells.
// Must happen: the cell's processes never pass its process limit (64), counted from the host;
// other cells running at the same time still start processes of their own; the bomb ends at
// its wall time with a `TimeoutError`; afterwards none of its processes is left on the host;
// the next cell runs; the server stays healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCellbox, type Cellbox } from '../helpers/cellbox';
import { appears, expectRecovered, expectStopped, hostProcesses, marker, ok, runFor, survivors } from '../helpers/hostile';

const PROCESSES = 64;
let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '30', CELLBOX_PROCESSES: String(PROCESSES) });
});

afterAll(async () => {
  await box?.stop();
});

/** The most host processes carrying `tag` seen at once, sampled until `done` settles. */
async function peakCount(tag: string, done: Promise<unknown>): Promise<number> {
  let peak = 0;
  let finished = false;
  done.finally(() => (finished = true)).catch(() => {});
  while (!finished) {
    peak = Math.max(peak, hostProcesses(tag).length);
    await new Promise((r) => setTimeout(r, 100));
  }
  return peak;
}

/** Cells of both languages that need new processes, run while a bomb goes off. */
async function neighboursStartProcesses(): Promise<void> {
  const [py, sh] = await Promise.all([
    ok(box, 'import subprocess\nprint(sum(subprocess.run(["true"]).returncode == 0 for _ in range(10)))'),
    ok(box, 'n=0; for i in $(seq 10); do /usr/bin/true && n=$((n+1)); done; echo $n', 'bash'),
  ]);
  expect([py, sh]).toEqual(['10\n', '10\n']);
}

describe('fork bomb', () => {
  it('Python: held to the process limit, stopped at its wall time, leaves nothing behind, and never starves other cells', async () => {
    const tag = marker('fbp');
    // Named through prctl so the host can count the bomb's processes: forks keep the name.
    const bomb = runFor(box, `
import ctypes, os
ctypes.CDLL(None).prctl(15, b"${tag}", 0, 0, 0)
while True:
    try:
        os.fork()
    except OSError:
        pass
`, 'python', 4);
    await appears(tag);
    const [peak] = await Promise.all([peakCount(tag, bomb), neighboursStartProcesses()]);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(PROCESSES);
    expectStopped(await bomb, 'TimeoutError', /wall-time/);
    expect(await survivors(tag)).toEqual([]);
    await expectRecovered(box, ['python', 'bash']);
  });

  it('Bash: held to the process limit, stopped at its wall time, leaves nothing behind, and never starves other cells', async () => {
    const tag = marker('fbb');
    // Forked subshells keep bash's command line, which holds this code and so the tag.
    const bomb = runFor(box, `${tag}() { ${tag} | ${tag} & }\n${tag} 2>/dev/null\nsleep 60`, 'bash', 4);
    await appears(tag);
    const [peak] = await Promise.all([peakCount(tag, bomb), neighboursStartProcesses()]);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(PROCESSES);
    expectStopped(await bomb, 'TimeoutError', /wall-time/);
    expect(await survivors(tag)).toEqual([]);
    await expectRecovered(box, ['python', 'bash']);
  });
});
