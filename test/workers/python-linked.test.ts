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
