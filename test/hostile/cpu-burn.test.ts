// Attack: burn CPU past the cell's CPU-time limit: a busy loop in Python, Bash and JavaScript;
// one that ignores SIGXCPU, the kernel's warning; and one spread over ever new processes, each
// staying under the per-process limit, to keep the machine's cores busy for others.
// Must happen: a busy loop is stopped at its CPU-time limit (1 s here) with a `TimeoutError`
// that names that limit, long before its wall time (30 s); one that ignores the warning is
// killed at the hard limit a second later, and the error says it was stopped, not that its wall
// time ran out; the spread one ends at its wall time with a `TimeoutError`, and a cell running
// beside it still finishes; the next cell runs; the server stays healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, run, startCellbox, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, expectStopped, ok, runFor } from '../helpers/hostile';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '30', CELLBOX_CPU_SECONDS: '1' });
});

afterAll(async () => {
  await box?.stop();
});

const CPU_LIMIT = /used more than its 1 s CPU-time limit/;

describe('CPU burn', () => {
  it('a busy loop in Python, Bash and JavaScript is stopped at its CPU-time limit', async () => {
    const [py, sh, js] = await Promise.all([
      run(box.url, 'while True:\n    pass'),
      run(box.url, 'while :; do :; done', 'bash'),
      run(box.url, 'while (true) {}', 'javascript'),
    ]);
    expectStopped(py, 'TimeoutError', CPU_LIMIT);
    expectStopped(sh, 'TimeoutError', CPU_LIMIT);
    expectStopped(js, 'TimeoutError', CPU_LIMIT);
    await expectRecovered(box, ['python', 'bash', 'javascript']);
  });

  it('Python: a busy loop that ignores SIGXCPU is killed at the hard limit, not at its wall time', async () => {
    const ms = await run(box.url, 'import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass');
    // The kernel kills it with SIGKILL at the hard limit, which the device cannot tell apart
    // from another SIGKILL: either way the error says the cell was stopped, not timed out.
    const error = errorOf(ms);
    expect(error?.evalue).not.toMatch(/wall-time/);
    if (error?.ename === 'TimeoutError') expectStopped(ms, 'TimeoutError', CPU_LIMIT);
    else expectStopped(ms, 'WorkerCrashed', /killed by SIGKILL/);
    await expectRecovered(box, ['python']);
  });

  it('Bash: a busy loop that ignores SIGXCPU is killed at the hard limit, not at its wall time', async () => {
    const ms = await run(box.url, "trap '' XCPU\nwhile :; do :; done", 'bash');
    const error = errorOf(ms);
    expect(error?.evalue).not.toMatch(/wall-time/);
    expectStopped(ms, 'ExitStatus', /killed by SIGKILL/);
    await expectRecovered(box, ['bash']);
  });

  it('Python and Bash: a burn spread over fresh processes ends at its wall time, and a cell beside it finishes', async () => {
    const burners = Promise.all([
      runFor(box, `
import os
while True:
    if os.fork() == 0:
        # Just under the per-process CPU limit, then make way for a fresh burner.
        import time
        start = time.process_time()
        while time.process_time() - start < 0.8:
            pass
        os._exit(0)
    os.wait()
`, 'python', 3),
      runFor(box, 'while :; do timeout -s KILL 0.8 bash -c "while :; do :; done"; done', 'bash', 3),
    ]);
    expect(await ok(box, 'print(sum(range(1000)))')).toBe('499500\n');
    const [py, sh] = await burners;
    expectStopped(py, 'TimeoutError', /wall-time/);
    expectStopped(sh, 'TimeoutError', /wall-time/);
    await expectRecovered(box, ['python', 'bash']);
  });
});
