// Attack: a memory bomb. Allocate without end, in one process (Python lists of buffers, a
// JavaScript array of arrays, a Bash string that doubles) and spread over many processes so
// that no single one passes a per-process limit, to push the host into swapping or its
// out-of-memory killer.
// Must happen: the cell never holds more than its memory limit (512 MiB): the allocation fails
// and the cell ends with an `error` that says so (Python's and JavaScript's `MemoryError`;
// Bash, which reports its own allocation failure, with its exit status and the failure on
// stderr); a process the kernel stops for the memory of the cell's processes together ends a
// C or Bash cell in `MemoryError` too; the next cell runs; the server stays healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installed } from '../helpers/installed';
import { GROUP_HEADROOM_MIB, cellGroupsUnavailable } from '../../device/cgroup';
import { replyOf, run, startCellbox, stderr, stdout, untilOffered, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, expectStopped } from '../helpers/hostile';

const MEMORY_MIB = 512;
let box: Cellbox;

const withC = installed('/usr/bin/gcc');
const groups = cellGroupsUnavailable() === null;

beforeAll(async () => {
  const languages = ['python', 'javascript', 'bash', ...(withC ? ['c'] : [])];
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '30', CELLBOX_MEMORY_MIB: String(MEMORY_MIB), CELLBOX_LANGUAGES: languages.join(',') });
  // The device offers a language once its first worker is warm: C may come after the others.
  await untilOffered(box, languages);
});

afterAll(async () => {
  await box?.stop();
});

describe('memory bomb', () => {
  it('Python: allocating without end ends in MemoryError', async () => {
    const ms = await run(box.url, 'hoard = []\nwhile True:\n    hoard.append(b"x" * (16 << 20))');
    // Python's own MemoryError says nothing ("MemoryError: "): the limit it met is named.
    expectStopped(ms, 'MemoryError', new RegExp(`^The cell ran out of memory: its limit is ${MEMORY_MIB} MiB\\.$`));
    await expectRecovered(box, ['python']);
  });

  it.skipIf(!groups)('Python: a pool whose worker the kernel stopped for memory is told so while it waits, not at its wall time', async () => {
    // multiprocessing.Pool waits for ever for a worker that died: the cell ran into its wall
    // time, and the reason came only then, above the TimeoutError.
    const ms = await run(box.url, [
      'import multiprocessing as mp, time',
      'def hold(k):',
      '    b = bytearray(400 << 20)',
      '    for i in range(0, len(b), 4096): b[i] = 1',
      '    time.sleep(3)  # both hold theirs at once: 800 MiB',
      '    return len(b)',
      'with mp.Pool(2) as p: print(p.map(hold, range(2)))',
    ].join('\n'), 'python', { timeout: 12 });
    expectStopped(ms, 'TimeoutError');
    const note = ms.filter((m) => m.header.msg_type === 'stream' && /A process of this cell was stopped: together its processes used more than the 512 MiB memory limit\.\n/.test((m.content as { text: string }).text));
    expect(note).toHaveLength(1);
    const end = ms.find((m) => m.header.msg_type === 'error')!;
    expect(Date.parse(end.header.date) - Date.parse(note[0].header.date)).toBeGreaterThan(5000);
  });

  it('Python: a cell has the limit for its own, whatever its zygote preloaded: 300 MiB of numpy fits, 600 MiB does not', async () => {
    // RLIMIT_AS counted the zygote's 368 MiB of mappings (numpy, matplotlib, sympy and their
    // libraries) against the cell's 512, and a 153 MiB array was a MemoryError.
    const fits = await run(box.url, 'import numpy as np\na = np.ones(300 << 17)\nprint(a.nbytes >> 20, "MiB", a.sum() == a.size)');
    expect(stdout(fits)).toBe('300 MiB True\n');
    const over = await run(box.url, 'import numpy as np\na = np.ones(600 << 17)');
    expectStopped(over, 'MemoryError', /Unable to allocate 600\. MiB/);
    await expectRecovered(box, ['python']);
  });

  it('Python: threads the cell ran leave it its limit: after six at once, 400 MiB still fits', async () => {
    // glibc gave each thread that allocated an arena reserving 64 MiB of address space, which
    // RLIMIT_AS counts (the cell's flusher thread one too): after six threads, 400 MiB failed.
    // Now a cell maps some 86 MiB after them (glibc keeps their stacks for reuse), of a limit of
    // 512 MiB above the zygote's ~53: 480 MiB was on the edge, 400 is not.
    const code = [
      'import threading',
      'both = threading.Barrier(6)',
      'def work():',
      '    kept = [bytearray(1000) for _ in range(100)]',
      '    both.wait()',
      'threads = [threading.Thread(target=work) for _ in range(6)]',
      'for t in threads: t.start()',
      'for t in threads: t.join()',
      'b = bytearray(400 << 20)',
      'print(len(b) >> 20, "MiB")',
    ].join('\n');
    const ms = await run(box.url, code);
    expect(stdout(ms), JSON.stringify(ms.filter((m) => m.header.msg_type === 'error').map((m) => m.content))).toBe('400 MiB\n');
    expect(replyOf(ms).status).toBe('ok');
  });

  it('JavaScript: allocating without end ends in MemoryError', async () => {
    const ms = await run(box.url, 'const hoard = [];\nwhile (true) hoard.push(new Array(1 << 20).fill(1.5));', 'javascript');
    expectStopped(ms, 'MemoryError', new RegExp(`${MEMORY_MIB} MiB memory limit`));
    await expectRecovered(box, ['javascript']);
  });

  it('Bash: a program the cell starts has the limit\'s worth too: a python3 with numpy holds 300 MiB', async () => {
    // OpenBLAS started a thread per core, each reserving address space: numpy's python3 mapped
    // 223 MiB of the 512 on 2 cores before it allocated anything (more on more cores).
    const ms = await run(box.url, 'python3 -c "import numpy as np; a = np.ones(300 << 17); print(a.nbytes >> 20, \'MiB\')"', 'bash');
    expect(stdout(ms), stderr(ms)).toBe('300 MiB\n');
    expect(replyOf(ms).status).toBe('ok');
  });

  it('Bash: a string that doubles without end fails to allocate, and the cell fails', async () => {
    const ms = await run(box.url, 's=x\nwhile :; do s=$s$s; done', 'bash');
    expect(stderr(ms)).toMatch(/cannot allocate/);
    expectStopped(ms, 'ExitStatus');
    await expectRecovered(box, ['bash']);
  });

  // The limit of all a cell's processes together is a control group's: the device needs a
  // writable cgroup tree (root), and without one says so and bounds each process alone.
  // When the kernel stops one of them for it, the program's worker only sees it die (SIGKILL,
  // exit status 137): the device names the limit from the group's count of such kills.
  it.skipIf(!groups || !withC)('C: a program whose processes together pass the limit, and is stopped for it, ends in MemoryError', async () => {
    // A child holds 200 MiB, then (once it says so) the parent takes 480: together past the
    // limit, each within it. The kernel stops the larger, the program itself.
    const ms = await run(box.url, `#include <stdlib.h>
#include <unistd.h>
static void eat(size_t mb) { volatile char *p = malloc(mb << 20); for (size_t i = 0; i < (mb << 20); i += 4096) p[i] = 1; }
int main(void) {
  int held[2];
  char c;
  if (pipe(held)) return 1;
  if (fork() == 0) { eat(200); if (write(held[1], "h", 1)) {} sleep(30); _exit(0); }
  if (read(held[0], &c, 1) != 1) return 1;
  eat(480);
  return 0;
}`, 'c');
    expectStopped(ms, 'MemoryError', new RegExp(`${MEMORY_MIB} MiB memory limit`));
    await expectRecovered(box, ['python']);
  });

  it.skipIf(!groups)('Bash: a command stopped for the memory of the cell\'s processes together fails the cell with MemoryError, not its exit status', async () => {
    // Two processes that grow without end (tail keeps the one endless line): the kernel stops
    // one, the other meets its own limit; the last status is a failure either way.
    const ms = await run(box.url, 'tail /dev/zero & tail /dev/zero; wait $!', 'bash');
    expect(stderr(ms)).toMatch(/Killed/);
    expectStopped(ms, 'MemoryError', new RegExp(`${MEMORY_MIB} MiB memory limit`));
    await expectRecovered(box, ['bash']);
  });

  it.skipIf(!groups)('Python: eight processes of 100 MiB each never hold more than the cell\'s limit together', async () => {
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
