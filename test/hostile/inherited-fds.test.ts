// Attack: use a file descriptor the cell inherited instead of opened: one of the device's (its
// SQLite databases, its pinned working directories of other cells, its sockets), bwrap's, one
// the device itself inherited from whoever started it (here a project file at 40, left open
// without close-on-exec: bwrap would pass it on to the worker), or the worker's own event pipe
// handed down to the cell's subprocesses. The cell lists its
// descriptors, probes every number up to its limit, and reads the descriptor tables of every
// process it can see in its sandbox.
// Must happen: the cell's own process holds stdin (/dev/null), stdout, stderr and the event
// pipe and nothing else; its subprocesses hold 0, 1 and 2 only; no descriptor of any process
// it can see leads to a file of the host (the databases, the data directory, the project) or
// anything but pipes, sockets to the device, /dev/null, the worker's own script and the
// runtime's own internals; a cell whose last statement uses a descriptor it does not have ends
// with that language's error; the next cell runs; the server stays healthy.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, expectStopped, reportOf } from '../helpers/hostile';

const project = path.resolve(import.meta.dirname, '..', '..');
let box: Cellbox;
/** A project file the device inherits at descriptor 40, as from a careless supervisor. */
const LEFT_OPEN = 40;
let leftOpen: number;

beforeAll(async () => {
  leftOpen = fs.openSync(path.join(project, 'package.json'), 'r');
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '20' }, { deviceInherits: { [LEFT_OPEN]: leftOpen } });
});

afterAll(async () => {
  await box?.stop();
  fs.closeSync(leftOpen);
});

/** What a descriptor in the sandbox may lead to. Anything else is a leak. */
const ALLOWED_TARGET = /^(\/dev\/null|pipe:\[\d+\]|socket:\[\d+\]|anon_inode:\[?(eventfd|eventpoll|signalfd|timerfd|inotify|pidfd)\]?|\/opt\/cellbox\/workers\/.*|\/proc\/\d+\/fd)$/;

/** Every (pid, fd, target) the cell can read in its own /proc, from Python. */
const PYTHON_TABLES = `
def tables():
    seen = []
    for pid in sorted(int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                seen.append([pid, int(fd), os.readlink(f"/proc/{pid}/fd/{fd}")])
            except OSError:
                pass  # not ours to read, or gone
    return seen
`;

function expectNoLeak(tables: [number, number, string][]): void {
  expect(tables.length).toBeGreaterThan(3);
  const leaks = tables.filter(([, , target]) => !ALLOWED_TARGET.test(target) || target.includes(box.dataDir) || target.includes(project));
  expect(leaks, 'descriptors leading somewhere they should not').toEqual([]);
}

describe('inherited file descriptors', () => {
  it('the device closes what it inherited before it starts any sandbox', async () => {
    let target: string | null = null;
    try {
      target = fs.readlinkSync(`/proc/${box.device.pid}/fd/${LEFT_OPEN}`);
    } catch {
      // closed, and not reused
    }
    expect(target).not.toBe(path.join(project, 'package.json'));
    expect(box.logs.join('')).toMatch(new RegExp(`closed inherited descriptors .*\\b${LEFT_OPEN}\\b`));
  });

  it('Python: the cell holds 0-3 only, a subprocess 0-2 only, and no descriptor it can see leads out', async () => {
    const ms = await run(box.url, `
import json, os, subprocess
${PYTHON_TABLES}
mine = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
# Probe every number: a descriptor that answers fstat is open, listed or not.
probed = []
for fd in range(1024):
    try:
        os.fstat(fd)
        probed.append(fd)
    except OSError:
        pass
child = subprocess.run(["python3", "-c", "import os; print(sorted(int(f) for f in os.listdir('/proc/self/fd')))"], capture_output=True, text=True).stdout
print(json.dumps({"mine": mine, "probed": probed, "stdin": os.readlink("/proc/self/fd/0"), "child": json.loads(child), "tables": tables()}))
# Last, uncaught: a write to a descriptor past the event pipe.
os.write(5, b"x")
`);
    const { mine, probed, stdin, child, tables } = reportOf(ms);
    // listdir itself holds one more while it reads /proc/self/fd.
    expect(mine.filter((fd: number) => fd > 3).length).toBeLessThanOrEqual(1);
    expect(probed).toEqual([0, 1, 2, 3]);
    expect(stdin).toBe('/dev/null');
    expect(child.filter((fd: number) => fd !== 3)).toEqual([0, 1, 2]); // 3: listdir's own
    expectNoLeak(tables);
    expectStopped(ms, 'OSError', /Bad file descriptor/);
    await expectRecovered(box, ['python']);
  });

  it('Bash: the cell holds 0-2 only, its worker nothing inherited, and no descriptor it can see leads out', async () => {
    const ms = await run(box.url, `
# One line per descriptor of every process it can read: pid fd target. Kept in a variable:
# a pipeline or a redirection would show among the shell's own descriptors.
tables=
for p in /proc/[0-9]*; do
  for f in $p/fd/*; do
    [ -e "$f" ] || [ -L "$f" ] || continue
    t=$(readlink "$f" 2>/dev/null) && tables+="\${p#/proc/} \${f##*/} $t"$'\\n'
  done
done
ls /proc/$$/fd > /tmp/mine
echo "mine $(sort -n /tmp/mine | tr '\\n' ' ')"
printf '%s' "$tables"
# Last: read from a descriptor it does not have.
cat <&7
`, 'bash');
    const lines = stdout(ms).trim().split('\n');
    expect(lines[0]).toBe('mine 0 1 2 ');
    const tables = lines.slice(1).map((l) => {
      const [pid, fd, ...rest] = l.split(' ');
      return [Number(pid), Number(fd), rest.join(' ')] as [number, number, string];
    });
    expectNoLeak(tables);
    expectStopped(ms, 'ExitStatus', /exit status 1/);
    await expectRecovered(box, ['bash']);
  });

  it('JavaScript: no descriptor it can see leads out, and one it does not have fails', async () => {
    const ms = await run(box.url, `
const fs = require('node:fs');
const tables = [];
for (const pid of fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p))) {
  let fds = [];
  try { fds = fs.readdirSync('/proc/' + pid + '/fd'); } catch { continue; }
  for (const fd of fds) {
    try { tables.push([Number(pid), Number(fd), fs.readlinkSync('/proc/' + pid + '/fd/' + fd)]); } catch {}
  }
}
console.log(JSON.stringify(tables));
fs.writeSync(900, 'x');
`, 'javascript');
    expectNoLeak(reportOf(ms));
    expectStopped(ms, 'Error', /EBADF/);
    await expectRecovered(box, ['javascript']);
  });
});
