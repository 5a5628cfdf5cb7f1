// Python cells are forked from a fork server that preloaded the heavy modules: what one forked
// cell gets must still be a fresh, isolated, powerless process of its own.
import { installed } from '../helpers/installed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, run as runIn, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';

const pandas = installed('/usr/lib/python3/dist-packages/pandas');
let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '10' });
});

afterAll(async () => {
  await box?.stop();
});

async function pyIn(code: string): Promise<string> {
  const ms = await runIn(box.url, code);
  const e = errorOf(ms);
  if (e) throw new Error(`cell failed: ${e.ename}: ${e.evalue}\n${e.traceback.join('\n')}`);
  return stdout(ms);
}

describe('the Python fork servers', () => {
  it('fork a cell that imports numpy, matplotlib or sympy from the zygote that preloaded all three', async () => {
    for (const module of ['numpy', 'matplotlib.pyplot', 'sympy']) {
      expect(await pyIn(`import sys, ${module}\nprint(all(m in sys.modules for m in ("numpy", "matplotlib.pyplot", "sympy")))`)).toBe('True\n');
    }
  });

  it.skipIf(!pandas)('fork a cell that imports pandas from the zygote that preloaded it and showed a DataFrame once (needs python3-pandas)', async () => {
    // A cell's own `import pandas` took some 0.45 s of CPU, and its first DataFrame shown 40 ms
    // more (pandas' HTML and text formatters): the warm-up shows one in the zygote.
    const shown = ['pandas.io.formats.html', 'pandas.io.formats.string'];
    expect(await pyIn(`import sys\nprint([m in sys.modules for m in ${JSON.stringify(shown)}])\nimport pandas`)).toBe('[True, True]\n');
  });

  it('fork cells that start their output flusher thread before the code comes, not at its first print', async () => {
    // A process's first thread took 0.6-0.9 ms to start (kernel.py start_flusher()).
    expect(await pyIn('import os\nprint(len(os.listdir("/proc/self/task")))')).toBe('2\n');
    expect(await pyIn('import os, numpy\nprint(len(os.listdir("/proc/self/task")))')).toBe('2\n');
  });

  it('fork a cell that imports only the standard library from the light zygote, which preloaded nothing', async () => {
    expect(await pyIn('import sys, os.path\nfrom math import pi\nprint([m for m in ("numpy", "matplotlib", "sympy", "pandas") if m in sys.modules])')).toBe('[]\n');
    // Anything the text cannot show goes to the full one; either runs any cell.
    expect(await pyIn('import sys\nexec("import json")\nprint("numpy" in sys.modules)')).toBe('True\n');
    expect(await pyIn('import sys\nm = __import__("numpy")\nprint(m.__name__, "sympy" in sys.modules)')).toBe('numpy True\n');
  });

  it('copy before the code comes the zygote\'s pages a first plot writes: drawing it takes a fraction of their faults', async () => {
    // A first plot in a plain forked process takes some 4,000 copy-on-write faults (each about
    // 20 µs on a VM). The pages copied ahead left those of the drawing's new buffers, ~750;
    // those come from the heap's reserve now, and were copied ahead too: ~220 are left.
    const out = await pyIn([
      'import io, resource',
      'import matplotlib.pyplot as plt',
      'before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt',
      'figure = plt.figure()',
      'plt.plot([1, 2, 3], [1, 4, 9])',
      'figure.savefig(io.BytesIO(), format="png", bbox_inches="tight")',
      'plt.close("all")',
      'print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)',
    ].join('\n'));
    expect(Number(out)).toBeGreaterThan(0);
    expect(Number(out)).toBeLessThan(450);
  });

  it('run any cell on either zygote: one whose numpy import its text hides gets numpy all the same', async () => {
    // No word of the code shows an import beyond sys: it goes to the light zygote, which imports numpy then.
    const hidden = 'import sys\nb = sys.modules["built" + "ins"]\nm = getattr(b, "__imp" + "ort__")("num" + "py")\nprint(m.add(1, 1), "sympy" in sys.modules)';
    expect(await pyIn(hidden)).toBe('2 False\n');
  });
});

/** The same lines hold for cells of either zygote: a numpy import sends a cell to the full one. */
describe.each([
  ['light', ''],
  ['full', 'import numpy\n'],
])('cells forked from the %s Python fork server', (_name, prefix) => {
  const py = (code: string) => pyIn(prefix + code);
  const run = (url: string, code: string) => runIn(url, prefix + code);

  it('find nothing of the rehearsal each one ran before its code came: no name, no output, no traceback lines', async () => {
    const ms = await run(box.url, 'import sys, linecache\nprint(sorted(k for k in globals() if not k.startswith("__")))\nprint(type(sys.stdout).__name__)\nrehearsal');
    // get_ipython is every cell's, as in Jupyter's namespace.
    expect(stdout(ms)).toBe(`[${prefix ? "'get_ipython', 'linecache', 'numpy', 'sys'" : "'get_ipython', 'linecache', 'sys'"}]\nEventStream\n`);
    const e = errorOf(ms)!;
    expect(e.ename).toBe('NameError');
    // The traceback quotes this cell's own line 4, not the rehearsal's.
    expect(e.traceback.join('\n')).toContain('rehearsal');
    expect(e.traceback.join('\n')).not.toMatch(/print\(rehearsal|len\(rehearsal/);
    expect(ms.filter((m) => m.header.msg_type === 'execute_result')).toEqual([]);
  });

  it('keep no capability, may gain none, and are uid 1000 in a user namespace of their own', async () => {
    const out = await py([
      'import os',
      'status = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)',
      'print(os.getuid(), os.getgid(), *(status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")))',
      'print(open("/proc/self/uid_map").read().split())',
    ].join('\n'));
    expect(out).toBe(`1000 1000 ${Array(5).fill('0000000000000000').join(' ')} 1\n['1000', '1000', '1']\n`);
  });

  it('each get their own random state, numpy\'s included', async () => {
    const code = 'import random, numpy\nprint(random.random(), numpy.random.random())';
    const [a, b] = await Promise.all([py(code), py(code)]);
    const [ra, na] = a.trim().split(' ');
    const [rb, nb] = b.trim().split(' ');
    expect(ra).not.toBe(rb);
    expect(na).not.toBe(nb);
  });

  it('see only their own processes, with a /proc and /tmp, /dev/shm and working directory of their own', async () => {
    await py('open("/tmp/left", "w").write("x"); open("/dev/shm/left", "w").write("x"); open("here", "w").write("x")');
    const out = await py([
      'import os',
      'print(os.path.exists("/tmp/left"), os.path.exists("/dev/shm/left"), os.listdir("."))',
      'print(sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), os.getpid())',
    ].join('\n'));
    expect(out).toBe('False False []\n[1, 2] 2\n');
  });

  it('cannot mount, change the host name or unshare their way back to power', async () => {
    const out = await py([
      'import ctypes, os, socket',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'r = libc.mount(b"tmpfs", b"/cell", b"tmpfs", 0, None); print("mount", r, os.strerror(ctypes.get_errno()))',
      'try:\n    socket.sethostname("evil"); print("sethostname ok")\nexcept OSError as e:\n    print("sethostname", e.strerror)',
      'r = libc.umount2(b"/proc", 2); print("umount", r, os.strerror(ctypes.get_errno()))',
    ].join('\n'));
    expect(out).toBe('mount -1 Operation not permitted\nsethostname Operation not permitted\numount -1 Operation not permitted\n');
  });

  it('count their processes alone: a fork bomb in one cell leaves another cell free to start processes', async () => {
    const bomb = run(box.url, [
      'import os, time',
      'kids = 0',
      'while True:',
      '    try:',
      '        if os.fork() == 0:',
      '            time.sleep(30); os._exit(0)',
      '        kids += 1',
      '    except OSError:',
      '        break',
      'print("stopped after", kids, flush=True)',
      'time.sleep(3)',
    ].join('\n'));
    await new Promise((r) => setTimeout(r, 1000));
    const other = await py('import subprocess\nprint(sum(1 for _ in range(20) if subprocess.run(["true"]).returncode == 0))');
    expect(other).toBe('20\n');
    expect(stdout(await bomb)).toMatch(/^stopped after (6\d|5\d)\n/);
  });

  it('reap what they orphan, and a signal to themselves works as in any process', async () => {
    const out = await py([
      'import os, time',
      'for _ in range(5):',
      '    if os.fork() == 0:',
      '        if os.fork() == 0:',
      '            os._exit(0)',
      '        os._exit(0)',
      '    os.wait()',
      'time.sleep(0.3)',
      'zombies = [p for p in os.listdir("/proc") if p.isdigit() and open(f"/proc/{p}/stat").read().split(") ")[1][0] == "Z"]',
      'print(len(zombies))',
    ].join('\n'));
    expect(out).toBe('0\n');
    const term = await run(box.url, 'import os, signal\nos.kill(os.getpid(), signal.SIGTERM)');
    expect(errorOf(term)).toMatchObject({ ename: 'WorkerCrashed', evalue: expect.stringContaining('SIGTERM') });
  });
});
