// Linked cells in the Python worker (workers/python/kernel.py, run_linked()), run outside the
// sandbox with the linked code handed over as the device hands it (a line of options before
// the code): what the earlier cells' code shows stays hidden, the cell's own output does not.
import { describe, expect, it } from 'vitest';
import { lastEvent, runWorker, streamText } from './run-worker';

describe('linked cells in a Python cell', () => {
  it("hides what a thread an earlier cell started prints while the cell's own code runs, and shows the cell's own threads", async () => {
    const spam = 'import threading, time\ndef spam():\n    while True:\n        print("spam")\n        time.sleep(0.05)\nthreading.Thread(target=spam, daemon=True).start()';
    // The cell's own thread prints too, and is shown: only the earlier cell's is hidden.
    const own = 'import threading, time\nt = threading.Thread(target=lambda: print("own thread"))\nt.start(); t.join()\ntime.sleep(0.5)\nprint("mine")';
    const r = await runWorker('python', own, { linked: [spam] });
    expect(streamText(r, 'stdout')).toBe('own thread\nmine\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });
});

describe("an earlier linked cell's output at the descriptors, and how it ends", () => {
  it("hides the bytes its thread writes to fds 1 and 2 itself, or a child it starts, while the cell's own still show, in order", async () => {
    const spam = [
      'import os, subprocess, threading, time',
      'def spam():',
      '    while True:',
      '        os.write(1, b"raw spam\\n")',
      '        os.write(2, b"raw warning\\n")',
      '        subprocess.run(["echo", "child spam"])',
      '        time.sleep(0.02)',
      'threading.Thread(target=spam, daemon=True).start()',
    ].join('\n');
    const own = 'import os, subprocess, threading, time\nos.write(1, b"own 1\\n")\ntime.sleep(0.3)\nsubprocess.run(["echo", "own child"])\nt = threading.Thread(target=lambda: os.write(2, b"own thread\\n"))\nt.start(); t.join()\nos.write(1, b"own 2\\n")';
    const r = await runWorker('python', own, { linked: [spam] });
    expect(r.stdout).toBe('own 1\nown child\nown 2\n');
    expect(r.stderr).toBe('own thread\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('names the linked cell that ended the process with os._exit(), and where', async () => {
    const r = await runWorker('python', 'print("own code")', { linked: ['a = 1', 'import os\ndef leave():\n    os._exit(3)\nleave()', 'b = 2'] });
    const errors = r.events.filter((e) => e.type === 'error');
    expect(errors).toEqual([{
      type: 'error',
      ename: 'LinkedCellError',
      evalue: 'linked cell 2 of the 3 above this one ended the process with os._exit(3)',
      traceback: [
        'The linked cell 2 of the 3 above this one ended the process with os._exit(3), so this cell did not run:',
        'Traceback (most recent call last):',
        '  File "<linked cell 2>", line 4, in <module>\n    leave()',
        '  File "<linked cell 2>", line 3, in leave\n    os._exit(3)',
        'os._exit(3)',
      ],
    }]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
    expect(streamText(r, 'stdout')).toBe('');
    expect(r.exitCode).toBe(3);
  });

  it('names the linked cell whose thread ends the process later, and lets a process it forked end as it will', async () => {
    const later = 'import os, threading, time\nthreading.Thread(target=lambda: (time.sleep(0.3), os._exit(4))).start()';
    const r = await runWorker('python', 'import time\nprint("own code")\ntime.sleep(5)', { linked: [later] });
    expect(r.events.filter((e) => e.type === 'error')).toMatchObject([{ ename: 'LinkedCellError', evalue: 'linked cell 1 of the 1 above this one ended the process with os._exit(4)' }]);
    expect(streamText(r, 'stdout')).toBe('own code\n');
    // A child of the linked code ends with its own status, and the cell runs.
    const forked = await runWorker('python', 'print("own code", status)', { linked: ['import os\npid = os.fork()\nif pid == 0:\n    os._exit(5)\nstatus = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])'] });
    expect(streamText(forked, 'stdout')).toBe('own code 5\n');
    expect(lastEvent(forked)).toEqual({ type: 'done', status: 'ok' });
  });

  it('names the linked cell that ran out of memory, with its MemoryError and its line', async () => {
    const filling = [
      'import resource',
      'size = int(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmSize"))) * 1024',
      'resource.setrlimit(resource.RLIMIT_AS, (size + (256 << 20), resource.RLIM_INFINITY))',
      'held = []',
      'while True:',
      '    held.append(str(len(held)) * 20)',
    ].join('\n');
    const r = await runWorker('python', 'print("own code")', { linked: ['a = 1', filling] });
    const [error] = r.events.filter((e) => e.type === 'error') as { ename: string; evalue: string; traceback: string[] }[];
    expect(error.ename).toBe('LinkedCellError');
    expect(error.evalue).toBe('linked cell 2 of the 2 above this one failed with MemoryError');
    expect(error.traceback[0]).toBe('The linked cell 2 of the 2 above this one failed, so this cell did not run:');
    expect(error.traceback.join('\n')).toContain('File "<linked cell 2>", line 6');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
    expect(streamText(r, 'stdout')).toBe('');
  });
});
