// Attack: sleep past the wall time, holding a slot of the device while using no CPU: a plain
// sleep in Python, Bash and JavaScript (a timer that keeps the event loop alive), a Python cell
// that ignores SIGTERM and SIGINT while it waits, a sleep in a subprocess, and a read that
// nothing will ever answer.
// Must happen: each is stopped at its wall time (2 s here) with a `TimeoutError` naming it,
// what it printed before is kept, the next cell runs, and the server stays healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCellbox, stdout, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, expectStopped, runFor } from '../helpers/hostile';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '30', CELLBOX_CONCURRENCY: '8' });
});

afterAll(async () => {
  await box?.stop();
});

const WALL = /ran longer than its 2 s wall-time limit/;

describe('sleeping past the wall time', () => {
  it('Python, Bash and JavaScript sleepers, however they wait, are stopped at 2 s and keep what they printed', async () => {
    const cells = {
      'Python sleep': runFor(box, 'import time\nprint("before", flush=True)\ntime.sleep(300)', 'python', 2),
      'Python deaf to signals': runFor(box, 'import signal, time\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n    signal.signal(s, signal.SIG_IGN)\nprint("before", flush=True)\nwhile True:\n    time.sleep(1)', 'python', 2),
      'Python subprocess': runFor(box, 'import subprocess\nprint("before", flush=True)\nsubprocess.run(["sleep", "300"])', 'python', 2),
      'Python endless read': runFor(box, 'import os\nr, w = os.pipe()\nprint("before", flush=True)\nos.read(r, 1)', 'python', 2),
      'Bash sleep': runFor(box, 'echo before\nsleep 300', 'bash', 2),
      'Bash deaf to signals': runFor(box, "trap '' TERM INT HUP\necho before\nwhile :; do sleep 1; done", 'bash', 2),
      'JavaScript timer': runFor(box, 'console.log("before");\nsetTimeout(() => {}, 300_000);', 'javascript', 2),
      'JavaScript pending promise': runFor(box, 'console.log("before");\nawait new Promise((resolve) => setTimeout(resolve, 300_000));', 'javascript', 2),
    };
    for (const [what, cell] of Object.entries(cells)) {
      const ms = await cell;
      expect(stdout(ms), what).toBe('before\n');
      expectStopped(ms, 'TimeoutError', WALL);
    }
    await expectRecovered(box, ['python', 'bash', 'javascript']);
  });
});
