// Attack: a memory bomb. Allocate without end, in one process (Python lists of buffers, a
// JavaScript array of arrays, a Bash string that doubles) and spread over many processes so
// that no single one passes a per-process limit, to push the host into swapping or its
// out-of-memory killer.
// Must happen: the cell never holds more than its memory limit (512 MiB): the allocation fails
// and the cell ends with an `error` that says so (Python's and JavaScript's `MemoryError`;
// Bash, which reports its own allocation failure, with its exit status and the failure on
// stderr); the next cell runs; the server stays healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUP_HEADROOM_MIB, cellGroupsUnavailable } from '../../device/cgroup';
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
    // Each child fills 100 MiB (every page touched) and holds it until the parent has counted;
    // the parent counts the children alive and holding at that moment: the kernel may stop a
    // child after it got its memory, to make room for another.
    const ms = await run(box.url, `
import os, select
CHILDREN, MIB = 8, 100
answers_r, answers_w = os.pipe()
release_r, release_w = os.pipe()
pids = []
for i in range(CHILDREN):
    pid = os.fork()
    if pid == 0:
        os.close(answers_r)
        os.close(release_w)
        try:
            held = b"\\1" * (MIB << 20)
            os.write(answers_w, b"H%d\\n" % i)
        except MemoryError:
            os.write(answers_w, b"R%d\\n" % i)
        os.read(release_r, 1)  # hold until the parent has counted
        os._exit(0)
    pids.append(pid)
os.close(answers_w)
os.close(release_r)
said, dead, partial = {}, set(), b""
while len(set(said) | dead) < CHILDREN:
    if select.select([answers_r], [], [], 0.05)[0]:
        *lines, partial = (partial + os.read(answers_r, 4096)).split(b"\\n")
        for line in lines:
            said[int(line[1:])] = line[:1]
    for i, pid in enumerate(pids):
        if i not in dead and os.waitpid(pid, os.WNOHANG)[0]:
            dead.add(i)
holding = sum(1 for i, answer in said.items() if answer == b"H" and i not in dead)
refused = sum(1 for answer in said.values() if answer == b"R")
print(holding, refused, len(dead))
os.close(release_w)
`);
    const out = stdout(ms);
    if (/^\d+ \d+ \d+\n$/.test(out)) {
      // The cell went on: then the children holding their memory at once fit in the limit.
      const [holding, , stopped] = out.trim().split(' ').map(Number);
      // The group's bound is the limit plus its headroom (device/cgroup.ts), so that one
      // process meets its own limit first.
      expect(holding * 100, `${holding} children held 100 MiB each at once`).toBeLessThanOrEqual(MEMORY_MIB + GROUP_HEADROOM_MIB);
      // Children the kernel stopped: the cell says why.
      if (stopped > 0) expect(stderr(ms)).toMatch(/A process of this cell was stopped: together its processes used more than the 512 MiB memory limit/);
    } else {
      // Or the cell as a whole was stopped for its memory.
      expectStopped(ms, 'MemoryError');
    }
    await expectRecovered(box, ['python']);
  });
});
