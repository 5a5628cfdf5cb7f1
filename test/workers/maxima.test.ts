// Tests of the Maxima language worker (workers/maxima/kernel.sh, kernel.lisp), run outside the
// sandbox (the sandbox's part is test/integration/interpreters): the draw package's plots. Its
// first load compiles the package's Lisp (seconds of gcc), too slow for a cell's wall time under
// a loaded test run, so it is tested here.
import { installed as isInstalled } from '../helpers/installed';
import { describe, expect, it } from 'vitest';
import { eventsOf, lastEvent, runWorker } from './run-worker';

const installed = isInstalled('/usr/bin/maxima-sage') && isInstalled('/usr/bin/gnuplot');

describe.skipIf(!installed)('maxima worker', () => {
  it("shows the draw package's plots as PNG, each where it is drawn: draw2d, draw3d, draw", async () => {
    // draw hands gnuplot its screen terminal, which gnuplot has none of here: nothing was shown.
    const r = await runWorker('maxima', 'load(draw)$\ndraw2d(explicit(x^2, x, -1, 1));\ndraw3d(explicit(x*y, x, -1, 1, y, -1, 1))$\ndraw(gr2d(explicit(x, x, 0, 1)))$', { timeoutMs: 120_000 });
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    const shown = eventsOf(r, 'display_data');
    expect(shown).toHaveLength(3);
    for (const d of shown) {
      expect(Buffer.from(d.data['image/png'] as string, 'base64').subarray(1, 4).toString()).toBe('PNG');
      expect(d.data['text/plain']).toBe('<Maxima plot>');
    }
    // The value of a draw stays shown, as Maxima's prompt shows it.
    expect(r.stdout).toBe('[gr2d(explicit)]\n');
  }, 150_000);

  it('writes a plot given a file of its own into the cell\'s folder, not maxima_tempdir', async () => {
    // Maxima's place for a relative png_file is maxima_tempdir, the sandbox's /tmp: the file was
    // never one of the cell's. Left to the cell, not shown.
    const r = await runWorker('maxima', 'plot2d(sin(x), [x, 0, 1], [png_file, "sine.png"])$\nplot2d(cos(x), [x, 0, 1], [svg_file, "cosine.svg"])$', { timeoutMs: 60_000 });
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(r.files.sort()).toEqual(['cosine.svg', 'sine.png']);
    expect(eventsOf(r, 'display_data')).toEqual([]);
  }, 90_000);
});
