// Tests of the PARI/GP language worker (workers/gp/kernel.sh), run outside the sandbox: how
// GP's own messages become the cell's error (the sandbox's part is test/integration/interpreters).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { installed as isInstalled } from '../helpers/installed';
import { describe, expect, it } from 'vitest';
import { eventsOf, lastEvent, runWorker } from './run-worker';

const installed = isInstalled('/usr/bin/gp');

describe.skipIf(!installed)('gp worker', () => {
  it('shows results as a GP script does, keeps the history, streams a warning, ends with done', async () => {
    const r = await runWorker('gp', 'x = 2 + 2\nx^2;\n%1 * 3\nwarning("careful")\nprint("done")');
    expect(r.events[0]).toEqual({ type: 'ready', language: 'gp', version: '', interrupt: true });
    expect(r.stdout).toBe('4\n12\ndone\n');
    expect(r.stderr).toBe('  ***   user warning: careful\n');
    expect(r.events.slice(1)).toEqual([{ type: 'done', status: 'ok' }]);
  });

  it("puts back a message's start that the drawing child's X line cut off from its words", () => {
    // GP writes a message's "  *** " apart from its words, and the drawing child's line could
    // come between them (seen in CI): "  *** " alone was taken for an error's first line and
    // everything after it held back, and the warning lost its stars.
    const held = path.join(mkdtempSync(path.join(tmpdir(), 'cellbox-gp-filter-')), 'held');
    writeFileSync(held, '');
    const filter = path.resolve(__dirname, '../../workers/gp/filter-errors.bash');
    const r = spawnSync('/usr/bin/bash', ['-c', 'held=$1; . "$2"; filter_errors', 'filter', held, filter], {
      input: '  *** \n  *** X fatal error: cannot open Display\n  user warning: after\n  ***   at top-level: x\n', encoding: 'utf8',
    });
    expect(r.stderr.split('\n').filter((line) => line !== '')).toEqual([
      '  ***   plot: a cell has no screen to draw on (X fatal error: cannot open Display); write("plot.svg", plothexport("svg", x = a, b, f(x))) saves the plot as a file instead',
      '  ***   user warning: after',
    ]);
    // An error's lines are still kept back for the error event.
    expect(readFileSync(held, 'utf8')).toBe('  ***   at top-level: x\n');
    rmSync(path.dirname(held), { recursive: true });
  });

  it('says what ploth\'s "X fatal error: cannot open Display" means, and holds back nothing after it', async () => {
    // The line looked like an error's: it and all of stderr after it were held to the end. (It
    // comes from the child gp forks to draw, so before or after the warning.)
    const r = await runWorker('gp', 'ploth(x = 0, 1, x);\nwarning("after")\nprint("done")');
    expect(r.stdout).toBe('done\n');
    expect(r.stderr.split('\n').filter((line) => line !== '').sort()).toEqual([
      '  ***   plot: a cell has no screen to draw on (X fatal error: cannot open Display); write("plot.svg", plothexport("svg", x = a, b, f(x))) saves the plot as a file instead',
      '  ***   user warning: after',
    ]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    // What the note says works.
    const saved = await runWorker('gp', 'write("plot.svg", plothexport("svg", x = 0, 1, x))');
    expect(saved.files).toEqual(['plot.svg']);
  });

  it("ends the cell at the first error, a PariError with GP's message and its place as the traceback", async () => {
    const r = await runWorker('gp', 'f(n) = 1/n;\nprint("before")\nf(0)\nprint("never")');
    expect(r.stdout).toBe('before\n');
    expect(r.stderr).toBe('');
    expect(eventsOf(r, 'error')).toEqual([{
      type: 'error', ename: 'PariError', evalue: '_/_: impossible inverse in gdiv: 0.',
      traceback: ['  ***   at top-level: f(0)', '  ***                 ^----', '  ***   in function f: 1/n', '  ***                   ^--', '  *** _/_: impossible inverse in gdiv: 0.'],
    }]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('names a syntax error by its message, an exhausted stack a MemoryError, quit(n) an ExitStatus', async () => {
    const syntax = await runWorker('gp', 'x = (1 +');
    expect(eventsOf(syntax, 'error')[0]).toMatchObject({ ename: 'PariError', evalue: 'syntax error, unexpected end of file: x=(1+' });
    const memory = await runWorker('gp', 'v = vector(10^9);');
    expect(eventsOf(memory, 'error')[0]).toMatchObject({ ename: 'MemoryError', evalue: 'vector: the PARI stack overflows !' });
    const quit = await runWorker('gp', 'print(1)\nquit(3)');
    expect(eventsOf(quit, 'error')[0]).toMatchObject({ ename: 'ExitStatus', evalue: 'exit status 3' });
  });

  it("ends the cell on Stop (SIGINT) as a KeyboardInterrupt, with GP's place for it", async () => {
    const r = await runWorker('gp', 'print("go")\ns = 0; for(i = 1, 10^12, s += i)', { interruptOn: 'go' });
    expect(r.timedOut).toBe(false);
    const [error] = eventsOf(r, 'error');
    expect(error).toMatchObject({ ename: 'KeyboardInterrupt', evalue: 'interrupted' });
    expect(error.traceback.at(-1)).toMatch(/user interrupt after/);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  // gp ignores SIGINT while system() waits, as C's system() does: Stop ended the command alone,
  // and gp went on with the cell until the device's grace ran out.
  it('stops a cell whose Stop came while gp waited for a command, at the statement gp went on to', async () => {
    const r = await runWorker('gp', 'print("go")\nsystem("sleep 60");\ns = 0; for(i = 1, 10^12, s += i)\nprint("never")', { interruptOn: 'go', timeoutMs: 10_000 });
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toBe('go\n');
    const [error] = eventsOf(r, 'error');
    expect(error).toMatchObject({ ename: 'KeyboardInterrupt' });
    expect(error.traceback.at(-1)).toMatch(/user interrupt after/);
  });
});
