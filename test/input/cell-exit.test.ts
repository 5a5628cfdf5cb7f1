// A cell that ends its own process with a status over 128 is named by that status (128 + N is
// how a shell reports a death by signal N, but a forked cell's fork server sees which it was),
// and one a limit's signal killed, by that limit.
// Before, os._exit(152) came back at once as a TimeoutError for the CPU-time limit (152 is
// 128 + SIGXCPU), and 137 as a SIGKILL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, run, startCellbox, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox();
});

afterAll(async () => {
  await box?.stop();
});

describe('a forked cell that exits with a status over 128', () => {
  it('is named by its status, not as killed by a signal or stopped at a limit', async () => {
    const cells = [
      ['python', 'import os\nos._exit(152)', 152],
      ['python', 'import os\nos._exit(137)', 137],
      ['javascript', 'process.reallyExit(152)', 152],
    ] as const;
    for (const [language, code, status] of cells) {
      const e = errorOf(await run(box.url, code, language))!;
      expect(e, `${language}: ${code}`).toMatchObject({ ename: 'WorkerCrashed', evalue: `The cell's process exited with status ${status} before it finished.` });
    }
  });

  it('killed by a signal, is still named by it', async () => {
    const cells = [
      ['python', 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)', /killed by SIGKILL/],
      ['python', 'import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)', /killed by SIGSEGV/],
      ['python', 'import os, signal\nos.kill(os.getpid(), signal.SIGXCPU)', /CPU-time limit/],
      ['javascript', 'process.kill(process.pid, "SIGTERM")', /killed by SIGTERM/],
      // As R is, which leaves the signal as it comes: the limit it passed is named.
      ['python', 'import signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_DFL)\nopen("big", "wb").write(bytes(11 << 20))', /^The cell's process was killed by SIGXFSZ: it wrote past 10485760 bytes, the most one file may hold\.$/],
    ] as const;
    for (const [language, code, evalue] of cells) {
      const e = errorOf(await run(box.url, code, language))!;
      expect(e.evalue, `${language}: ${code}`).toMatch(evalue);
    }
  });
});
