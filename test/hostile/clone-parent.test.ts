// Attack: leak host pids through the forker. A forked cell's parent is its fork server's forker,
// outside the cell's PID namespace; clone(CLONE_PARENT) makes a process whose parent is the
// caller's, so the forker's. Ended, each such process would stay a zombie under the forker
// (which reaps only the cells it forked) for as long as the server runs, and nothing that looks
// for a cell's processes would see it: some 520 cells of 63 each, and the host's pid space
// (32768) is gone. clone3 carries its flags in memory a seccomp filter cannot read.
// Must happen: clone with CLONE_PARENT fails with EPERM, whatever the exit signal; clone3 fails
// (ENOSYS: the C library falls back to clone); fork and threads still work; afterwards no
// process under this Cellbox's workers is a zombie; the next cell runs; the server stays healthy.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startCellbox, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, reportOf } from '../helpers/hostile';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox();
});

afterAll(async () => {
  await box?.stop();
});

/** A process as the host's /proc shows it. */
interface Row { pid: number; ppid: number; state: string; cmdline: string }

function rows(): Row[] {
  const found: Row[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
      found.push({ pid: Number(name), state: fields[0], ppid: Number(fields[1]), cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * Zombies whose parent is one of this Cellbox's worker processes (a zygote, a forker, a cell:
 * Python's kernel.py or Node's kernel.cjs below the device). A cell's end is reaped as it comes,
 * so a zombie seen there for seconds is one nobody will reap.
 */
function zombiesUnderWorkers(): Row[] {
  const all = rows();
  const parent = new Map(all.map((r) => [r.pid, r.ppid]));
  const under = (pid: number) => {
    for (let p = parent.get(pid); p; p = parent.get(p)) if (p === box.device.pid) return true;
    return false;
  };
  const workers = new Set(all.filter((r) => /kernel\.(py|cjs)/.test(r.cmdline) && under(r.pid)).map((r) => r.pid));
  return all.filter((r) => r.state === 'Z' && workers.has(r.ppid));
}

async function zombiesLeft(withinMs = 5000): Promise<Row[]> {
  const until = Date.now() + withinMs;
  for (;;) {
    const left = zombiesUnderWorkers();
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const CLONE_PARENT_CELL = `
import ctypes, errno, json, os, struct, threading
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
CLONE, CLONE3, CLONE_PARENT, SIGCHLD = 56, 435, 0x8000, 17
report = {}
# The issue's repro: 60 children of the forker, each ending at once; and with exit signal 0,
# which waitpid() without __WALL never reports.
for name, flags in (('clone', CLONE_PARENT | SIGCHLD), ('clone, exit signal 0', CLONE_PARENT)):
    results = set()
    for i in range(30):
        r = libc.syscall(CLONE, flags, 0, 0, 0, 0)
        if r == 0:
            os._exit(0)
        results.add('a child' if r > 0 else errno.errorcode[ctypes.get_errno()])
    report[name] = sorted(results)
# clone3 with CLONE_PARENT: struct clone_args, flags first, exit_signal at 32, 88 bytes.
args = ctypes.create_string_buffer(struct.pack('=11Q', CLONE_PARENT, 0, 0, 0, SIGCHLD, 0, 0, 0, 0, 0, 0))
r = libc.syscall(CLONE3, args, ctypes.c_size_t(88))
if r == 0:
    os._exit(0)
report['clone3'] = 'a child' if r > 0 else errno.errorcode[ctypes.get_errno()]
# What every cell still does: fork, and a thread.
pid = os.fork()
if pid == 0:
    os._exit(5)
report['fork'] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
t = threading.Thread(target=lambda: report.__setitem__('thread', True))
t.start()
t.join()
print(json.dumps(report))
`;

describe('clone(CLONE_PARENT)', () => {
  it('Python: refused (EPERM), clone3 too (ENOSYS), fork and threads work, and no zombie is left under the workers', async () => {
    const report = reportOf(await run(box.url, CLONE_PARENT_CELL, 'python'));
    expect.soft(report).toEqual({ clone: ['EPERM'], 'clone, exit signal 0': ['EPERM'], clone3: 'ENOSYS', fork: 5, thread: true });
    expect(await zombiesLeft()).toEqual([]);
    await expectRecovered(box, ['python', 'javascript']);
  });
});
