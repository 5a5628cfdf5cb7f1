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

  it("ends a cell at Maxima's question (Is n equal to -1?) with an error that says so, not a stack overflow", async () => {
    // The question read its answer from the commands' FIFO, where only `quit()` and then the end
    // of the input were: Maxima asked again and again (thousands of lines) until ECL's binding
    // stack overflowed, and the cell's error was "BINDING-STACK overflow".
    const r = await runWorker('maxima', 'print("before")$\nintegrate(x^n, x);\nprint("never")$', { timeoutMs: 60_000 });
    expect(r.stdout).toBe('before \n');
    const errors = eventsOf(r, 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].ename).toBe('MaximaError');
    expect(errors[0].evalue).toMatch(/^Maxima asks "Is n equal to -1\?", which a cell cannot answer: tell it beforehand, with assume\(\)/);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
    // Told beforehand, Maxima does not ask.
    const told = await runWorker('maxima', 'assume(a > 0)$\nintegrate(1/(x^2 + a), x);', { timeoutMs: 60_000 });
    expect(lastEvent(told)).toEqual({ type: 'done', status: 'ok' });
    expect(told.stdout).toContain('atan');
  }, 90_000);

  it('ends a cell that calls read() with an error, where it read the quit() after the cell and ended well', async () => {
    const r = await runWorker('maxima', 'n: read("n?");\nprint("never")$', { timeoutMs: 60_000 });
    expect(r.stdout).not.toContain('never');
    expect(eventsOf(r, 'error').map((e) => [e.ename, e.evalue])).toEqual([
      ['MaximaError', 'read(): a cell has no input to read; give the value in the cell instead (n: 5).'],
    ]);
  }, 90_000);

  it("ends a cell at an error of Maxima's string functions with that error, where the cell went on as if it had run well", async () => {
    // They throw past errcatch to Maxima's top level, which ended the worker's loop unseen.
    for (const [call, evalue] of [['cint(1)', "`cint': argument must be a Maxima character."], ['charat("日本", 10)', '`charat\': unsuitable position index 10']]) {
      const r = await runWorker('maxima', `print("before")$\n${call};\nprint("never")$`, { timeoutMs: 60_000 });
      expect(r.stdout, call).not.toContain('never');
      expect(eventsOf(r, 'error').map((e) => [e.ename, e.evalue]), call).toEqual([['MaximaError', evalue]]);
      expect(lastEvent(r), call).toEqual({ type: 'done', status: 'error' });
    }
  }, 90_000);

  it("writes a plot given pdf_file, ps_file or a gnuplot_term of its own, where the default PNG took its place", async () => {
    // The default png_file came before pdf_file, ps_file and gnuplot_term in Maxima's choice of
    // terminal: each of these was shown as the default PNG, and its own file never written.
    const r = await runWorker('maxima', 'plot2d(sin(x), [x, 0, 1], [pdf_file, "sine.pdf"])$\nplot2d(sin(x), [x, 0, 1], [ps_file, "sine.ps"])$\nplot2d(sin(x), [x, 0, 1], [gnuplot_term, png], [gnuplot_out_file, "term.png"])$\nplot2d(cos(x), [x, 0, 1])$', { timeoutMs: 60_000 });
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(r.files.sort()).toEqual(['sine.pdf', 'sine.ps', 'term.png']);
    // The plot without a file of its own is still shown, and only it.
    expect(eventsOf(r, 'display_data')).toHaveLength(1);
  }, 90_000);

  it("shows help for `? topic` and `?? topic` as Maxima's prompt does, and describe() of several entries without asking", async () => {
    // The cell's reader took `?` for a Lisp name's prefix: `? integrate` showed " integrate",
    // `?? integ` was a syntax error; describe() of a topic with several entries asked which to
    // show and read the commands' FIFO: "Unexpected end of file" was the cell's error.
    const r = await runWorker('maxima', '? integrate\n?? ratsim\ndescribe(ratsimp)$\nprint("after")$', { timeoutMs: 60_000 });
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(r.stdout).toContain(' -- Function: integrate');
    expect(r.stdout).toMatch(/ 0: ratsimp {2}\(Functions and Variables for Polynomials\)/);
    expect(r.stdout).toContain(' -- Function: ratsimp (<expr>)');
    expect(r.stdout).not.toContain('Enter space-separated numbers');
    expect(r.stdout.endsWith('after \n')).toBe(true);
  }, 90_000);
});
