// Attack: a memory bomb. Allocate without end, in one process (Python lists of buffers, a
// JavaScript array of arrays, a Bash string that doubles) and spread over many processes so
// that no single one passes a per-process limit, to push the host into swapping or its
// out-of-memory killer.
// Must happen: the cell never holds more than its memory limit (512 MiB): the allocation fails
// and the cell ends with an `error` that says so (Python's and JavaScript's `MemoryError`;
// Bash, which reports its own allocation failure, with its exit status and the failure on
// stderr); the next cell runs; the server stays healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellGroupsUnavailable } from '../../device/cgroup';
import { run, startCellbox, stderr, stdout, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, expectStopped } from '../helpers/hostile';

const MEMORY_MIB = 512;
let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '30', CELLBOX_MEMORY_MIB: String(MEMORY_MIB) });
});

afterAll(async () => {
  await box?.stop();
});

describe('memory bomb', () => {
  it('Python: allocating without end ends in MemoryError', async () => {
    const ms = await run(box.url, 'hoard = []\nwhile True:\n    hoard.append(b"x" * (16 << 20))');
    expectStopped(ms, 'MemoryError');
    await expectRecovered(box, ['python']);
  });

  it('JavaScript: allocating without end ends in MemoryError', async () => {
    const ms = await run(box.url, 'const hoard = [];\nwhile (true) hoard.push(new Array(1 << 20).fill(1.5));', 'javascript');
    expectStopped(ms, 'MemoryError', new RegExp(`${MEMORY_MIB} MiB memory limit`));
    await expectRecovered(box, ['javascript']);
  });

  it('Bash: a string that doubles without end fails to allocate, and the cell fails', async () => {
    const ms = await run(box.url, 's=x\nwhile :; do s=$s$s; done', 'bash');
    expect(stderr(ms)).toMatch(/cannot allocate/);
    expectStopped(ms, 'ExitStatus');
    await expectRecovered(box, ['bash']);
  });

  // The limit of all a cell's processes together is a control group's: the device needs a
  // writable cgroup tree (root), and without one says so and bounds each process alone.
  it.skipIf(cellGroupsUnavailable() !== null)('Python: eight processes of 100 MiB each never hold more than the cell\'s limit together', async () => {
    // Each child fills 100 MiB (every page touched) and holds it while the others try; the
    // parent counts who got theirs. Eight at once would be 800 MiB.
    const ms = await run(box.url, `
import os, time
CHILDREN, MIB = 8, 100
r, w = os.pipe()
for _ in range(CHILDREN):
    if os.fork() == 0:
        os.close(r)
        try:
            held = b"\\1" * (MIB << 20)
            os.write(w, b"H")
        except MemoryError:
            os.write(w, b"R")
        time.sleep(4)
        os._exit(0)
os.close(w)
answers = b""
while len(answers) < CHILDREN:
    chunk = os.read(r, CHILDREN)
    if not chunk:
        break
    answers += chunk
print(answers.count(b"H"), answers.count(b"R"))
`);
    const out = stdout(ms);
    if (/^\d+ \d+\n$/.test(out)) {
      // The cell went on: then the children that got their memory fit in the limit together.
      const [held, refused] = out.trim().split(' ').map(Number);
      // The group's bound is the limit plus 64 MiB of headroom (device/device.ts), so that
      // one process meets its own limit first; the children's 100 MiB each fit it five times.
      expect(held * 100, `${held} children held 100 MiB each at once`).toBeLessThanOrEqual(MEMORY_MIB + 64);
      // Children that answered neither were stopped by the kernel: the cell says why.
      if (held + refused < 8) expect(stderr(ms)).toMatch(/A process of this cell was stopped: together its processes used more than the 512 MiB memory limit/);
    } else {
      // Or the cell as a whole was stopped for its memory.
      expectStopped(ms, 'MemoryError');
    }
    await expectRecovered(box, ['python']);
  });
});
