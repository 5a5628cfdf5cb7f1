// Tests of the Octave language worker (workers/octave/), run outside the sandbox.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { installed as isInstalled } from '../helpers/installed';
import { eventsOf, lastEvent, runWorker, withScratchFiles } from './run-worker';
import { pngSize } from './png';

const installed = isInstalled('/usr/bin/octave-cli', '/usr/bin/gnuplot');
const run = (code: string, options?: Parameters<typeof runWorker>[2]) => runWorker('octave', code, { env: { XDG_CACHE_HOME: '/tmp/cellbox-test-cache' }, ...options });

describe.skipIf(!installed)('octave worker', () => {
  it('says ready first, shows the values of statements without a semicolon, ends with done', async () => {
    const r = await run('disp("hello, world")\nx = 3\ny = x + 1;\nz = y * 2\n[1 2] * 2');
    expect(r.events[0]).toEqual({ type: 'ready', language: 'octave', version: expect.stringMatching(/^\d+\.\d+\.\d+$/), interrupt: true });
    expect(r.stdout).toBe('hello, world\nx = 3\nz = 8\nans =\n\n   2   4\n\n');
    expect(r.events.slice(1)).toEqual([{ type: 'done', status: 'ok' }]);
    expect(r.badLines).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.files).toEqual([]);
  });

  it('flushes the files the cell left open before done, as Octave does at its exit', async () => {
    // The device ends the worker at done: such a file was listed empty.
    const r = await run('f = fopen("left-open.txt", "w");\nfprintf(f, "hello\\n");');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(r.fileBytesAtDone['left-open.txt']?.toString()).toBe('hello\n');
  });

  it("reports an error with Octave's message and the cell's own line numbers", async () => {
    const code = [
      'function r = g(a)',
      '  r = h(a);',
      'end',
      'function r = h(a)',
      '  r = undefined_thing(a);',
      'end',
      'disp("before")',
      'g(1)',
      'disp("never")',
    ].join('\n');
    const r = await run(code);
    expect(r.stdout).toBe('before\n');
    const [error] = eventsOf(r, 'error');
    expect(error.ename).toBe('Octave:undefined-function');
    expect(error.evalue).toMatch(/^'undefined_thing' undefined/);
    expect(error.traceback[0]).toBe(`error: ${error.evalue}`);
    expect(error.traceback.slice(1).map((l) => l.replace(/ column \d+$/, ''))).toEqual(['error: called from', '    h at line 5', '    g at line 2', '    cell.m at line 8']);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('names an error without an identifier `error`', async () => {
    const r = await run('error("bad value %d", 3)');
    expect(eventsOf(r, 'error')).toEqual([{ type: 'error', ename: 'error', evalue: 'bad value 3', traceback: ['error: bad value 3', 'error: called from', '    cell.m at line 1 column 1'] }]);
  });

  it('keeps the blank lines of a message in paragraphs, as Octave prints it', async () => {
    // strsplit's default joined the paragraphs of Octave's own messages ("The 'getReport'
    // function is not yet implemented in Octave." after a blank line) and of the cell's.
    const r = await run('x = 1;\nerror("Cellbox:test", "first paragraph\\n\\nsecond paragraph");');
    expect(eventsOf(r, 'error')[0].traceback).toEqual(['error: first paragraph', '', 'second paragraph', 'error: called from', '    cell.m at line 2 column 1']);
    const parse = await run('y = = 4');
    expect(eventsOf(parse, 'error')[0].traceback.slice(0, 5)).toEqual(['parse error near line 1 of file cell.m', '', '  syntax error', '', '>>> y = = 4']);
  });

  it("runs nothing when the cell does not parse, and names the cell's line", async () => {
    const r = await run('disp("ran")\ny = = 4');
    expect(r.stdout).toBe('');
    const [error] = eventsOf(r, 'error');
    expect(error).toMatchObject({ ename: 'ParseError', evalue: 'parse error near line 2 of file cell.m' });
    expect(error.traceback).toContain('>>> y = = 4');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('shows each figure as a PNG when the cell ends, in the order of their numbers', async () => {
    const r = await run('x = linspace(0, 2*pi, 50);\nplot(x, sin(x)); title("sin")\nfigure\nbar([1 2 3])\ndisp("drawn")');
    expect(r.stdout).toBe('drawn\n');
    const shown = eventsOf(r, 'display_data');
    expect(shown.map((e) => e.data['text/plain'])).toEqual(['<Figure 1>', '<Figure 2>']);
    for (const e of shown) {
      expect(pngSize(e.data['image/png'] as string)).toEqual({ width: 640, height: 480 });
      expect(e.metadata).toEqual({ 'image/png': { width: 640, height: 480 } });
    }
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(r.files).toEqual([]);
  });

  // MATLAB code sizes its figures by their position: ignored, every figure was 640 by 480.
  it('draws a figure the cell gave a size at that size, in pixels', async () => {
    const r = await run('figure("position", [0 0 1000 300]);\nplot(1:10);\nf = figure;\nset(f, "position", [10 10 400 400]);\nplot(1);\nfigure;\nplot(2);');
    const shown = eventsOf(r, 'display_data');
    expect(shown.map((e) => pngSize(e.data['image/png'] as string))).toEqual([
      { width: 1000, height: 300 }, { width: 400, height: 400 }, { width: 640, height: 480 },
    ]);
    expect(shown.map((e) => e.metadata)).toEqual([
      { 'image/png': { width: 1000, height: 300 } }, { 'image/png': { width: 400, height: 400 } }, { 'image/png': { width: 640, height: 480 } },
    ]);
  });

  it('shows the figures of a cell that failed, then its error', async () => {
    const r = await run('plot(1:3)\nerror("after the plot")');
    expect(r.events.slice(1).map((e) => e.type)).toEqual(['display_data', 'error', 'done']);
  });

  it('draws no figure as text on stdout when the cell makes it visible: figure(n) again, shg, visible on', async () => {
    // Without a screen gnuplot drew a visible figure as ASCII art on stdout, before the images.
    const r = await run('figure(1); plot(1:3);\nfigure(2); plot(3:-1:1);\nfigure(1); hold on; plot(2:4);\nshg\nfigure("visible", "on"); bar(1:3);\ndrawnow\ndisp("ok")');
    expect(r.stdout).toBe('ok\n');
    expect(r.stderr).toBe('');
    expect(eventsOf(r, 'display_data').map((e) => e.data['text/plain'])).toEqual(['<Figure 1>', '<Figure 2>', '<Figure 3>']);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('keeps a figure the cell printed to a file itself, as SVG too', async () => {
    const r = await run('plot(1:10)\nprint -dsvg out.svg');
    expect(r.files).toEqual(['out.svg']);
    expect(eventsOf(r, 'display_data')).toHaveLength(1);
  });

  it('saves a figure as PNG and PDF with print and saveas, with or without Ghostscript', async () => {
    // With the gnuplot toolkit Octave makes both through Ghostscript; without `gs` they failed.
    const r = await run('plot(1:3)\nprint -dpng a.png\nsaveas(gcf, "b.png")\nprint("c.pdf")\nprint(gcf, "d.pdf", "-dpdf")');
    expect(eventsOf(r, 'error')).toEqual([]);
    expect(r.files.sort()).toEqual(['a.png', 'b.png', 'c.pdf', 'd.pdf']);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it("saves a figure at its size in pixels, the cell's first print as the next", async () => {
    // The root's default paper position was worked out for 96 pixels an inch, a print set the
    // figure's to this screen's 72: the first file was 418 by 314, the next 560 by 420.
    const r = await run('plot(1:3)\nprint -dpng a.png\nsaveas(gcf, "b.png")\nfigure("position", [0 0 400 300]); plot(1:2)\nprint -dpng c.png');
    expect(eventsOf(r, 'error')).toEqual([]);
    const size = (name: string) => pngSize(r.fileBytesAtDone[name].toString('base64'));
    expect(size('b.png')).toEqual(size('a.png'));
    // 560 by 420 pixels drawn by gnuplot's cairo; through Ghostscript, at its resolution.
    expect(size('a.png').width / size('c.png').width).toBeCloseTo(560 / 400, 2);
    if (!isInstalled('/usr/bin/gs')) expect(size('a.png')).toEqual({ width: 560, height: 420 });
  });

  it('saves a figure as JPEG, TIFF and EPS with print and saveas, with or without Ghostscript and epstool', async () => {
    // JPEG and TIFF went through Ghostscript, EPS through epstool: without them each failed.
    const code = 'plot(1:3)\nsaveas(gcf, "a.jpg")\nprint -djpeg b\nprint("-dtiff", "c.tif")\nprint -depsc d.eps\nsaveas(gcf, "e.eps")';
    const r = await run(code);
    expect(eventsOf(r, 'error')).toEqual([]);
    expect(r.files.sort()).toEqual(['a.jpg', 'b.jpg', 'c.tif', 'd.eps', 'e.eps']);
    expect([...r.fileBytesAtDone['a.jpg'].subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(r.fileBytesAtDone['b.jpg'].subarray(6, 10).toString()).toBe('JFIF');
    expect(r.fileBytesAtDone['c.tif'].subarray(0, 2).toString()).toMatch(/^(II|MM)$/);
    expect(r.fileBytesAtDone['d.eps'].subarray(0, 15).toString()).toBe('%!PS-Adobe-3.0 ');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('keeps drawing with gnuplot, with a warning, when the cell asks for a toolkit that draws in a window', async () => {
    // Lecture notes often start with graphics_toolkit("qt"): without a display Octave has no
    // qt or fltk, and the cell failed at its first line.
    const r = await run('graphics_toolkit("qt")\ngraphics_toolkit fltk\nt = graphics_toolkit()\nplot(1:3)');
    expect(eventsOf(r, 'error')).toEqual([]);
    expect(r.stdout).toBe('t = gnuplot\n');
    expect(r.stderr).toContain("warning: graphics_toolkit: 'qt' draws in a window, which a cell does not have: its figures are drawn with gnuplot\n");
    expect(r.stderr).toContain("'fltk' draws in a window");
    expect(eventsOf(r, 'display_data')).toHaveLength(1);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('fails at once, saying why, where the cell would wait for a person to type or click', async () => {
    // Octave's own: input() said "reading user-input failed!", keyboard and yes_or_no asked
    // again without end (until the output limit), waitforbuttonpress waited for the time limit,
    // edit wrote a template file and started an editor (emacs: not found, or waiting).
    for (const call of ['x = input("n? ")', 's = input("name? ", "s")', 'keyboard', 'yes_or_no("sure? ")', 'waitforbuttonpress', 'edit myfun.m']) {
      const r = await run(`disp("before")\n${call}\ndisp("never")`, { timeoutMs: 10_000 });
      expect(r.timedOut, call).toBe(false);
      expect(r.stdout, call).toBe('before\n');
      const [error] = eventsOf(r, 'error');
      expect(error, call).toMatchObject({ ename: 'Cellbox:no-input', evalue: expect.stringMatching(/^\w+: a cell/) });
      // Only the cell's frames: none of the worker's files.
      expect(error.traceback.slice(1).map((l) => l.replace(/ column \d+$/, '')), call).toEqual(['error: called from', '    cell.m at line 2']);
      expect(lastEvent(r), call).toEqual({ type: 'done', status: 'error' });
      expect(r.files, call).toEqual([]);
    }
  });

  it('goes on at once from a pause that waits for a key, and pauses for a time as asked', async () => {
    const r = await run('pause\npause()\npause(Inf)\ntic; pause(0.2); t = toc;\nprintf("%d\\n", t >= 0.15)', { timeoutMs: 10_000 });
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toBe('1\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('ends the cell with an ExitStatus error on exit(n), after its output and figures; exit(0) ends it as done', async () => {
    const failed = await run('disp("before")\nplot(1:3)\nexit(3)\ndisp("never")');
    expect(failed.stdout).toBe('before\n');
    expect(failed.events.slice(1).map((e) => e.type)).toEqual(['display_data', 'error', 'done']);
    expect(eventsOf(failed, 'error')[0]).toMatchObject({ ename: 'ExitStatus', evalue: 'exit(3)' });
    expect(lastEvent(failed)).toEqual({ type: 'done', status: 'error' });
    const quitted = await run('plot(1:3)\nquit');
    expect(quitted.events.slice(1).map((e) => e.type)).toEqual(['display_data', 'done']);
    expect(lastEvent(quitted)).toEqual({ type: 'done', status: 'ok' });
  });

  it("keeps the worker's own variables out of the cell's workspace, and survives `fclose all`", async () => {
    const r = await run('disp(exist("code"))\ndisp(exist("folder"))\nfclose("all");\nplot(1)\nw = who;\ndisp(strjoin(w\', ","))');
    expect(r.stdout).toBe('0\n0\nans\n');
    expect(eventsOf(r, 'display_data')).toHaveLength(1);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('starts the cell without an `ans`, as a fresh Octave does', async () => {
    // The worker's own script starts with `1;` (a script file, not a function file), which
    // set `ans = 1` in the base workspace, the cell's.
    const r = await run('disp(exist("ans", "var"))\ndisp(numel(who))');
    expect(r.stdout).toBe('0\n0\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('survives a cell that clears everything, resets the path, shadows functions the worker uses, or fails with bytes that are not UTF-8', async () => {
    const r = await run('clear all; close all;\nrestoredefaultpath;\nfunction print(varargin)\n  disp("mine")\nend\nfunction r = jsonencode(x)\n  r = "broken";\nend\nplot(1:3)\nerror(["bad " char(255) " byte"])');
    expect(r.events.slice(1).map((e) => e.type)).toEqual(['display_data', 'error', 'done']);
    // A byte that is not UTF-8 in the message (char(255)) is replaced, never a broken event.
    expect(eventsOf(r, 'error')[0]).toMatchObject({ ename: 'error', evalue: 'bad ? byte' });
    expect(r.badLines).toEqual([]);
  });

  it("sends its last events the usual way when the cell closed every file and opened its own under their numbers", async () => {
    // The worker's pipe for its last events is a file number: after `fclose all` the cell's
    // own files may get it, and the events must not land in them.
    await withScratchFiles(async (files) => {
      const r = await run(['fclose("all");', ...files.map((f, i) => `f${i} = fopen("${f}", "w");`), 'error("late")'].join('\n'));
      expect(r.events.slice(1).map((e) => e.type)).toEqual(['error', 'done']);
      for (const f of files) expect(readFileSync(f, 'utf8')).toBe('');
    });
  });

  it("ends with the cell's own result when a Stop lands after the cell, while the worker closes its figures", async () => {
    // The figure's deletefcn, the cell's own, runs in the worker's `close all` after the cell
    // has ended; Stop (SIGINT) lands there. The worker exited without `done`.
    const wait = 'evalin ("base", "disp (\'started\'); fflush (stdout); x = 0; while true, x++; end")';
    const r = await run(`plot (1:3);\nset (gcf, "deletefcn", @(h, e) ${wait});\ndisp ("the cell")`, { interruptOn: 'started' });
    expect(r.stdout).toBe('the cell\nstarted\n');
    expect(eventsOf(r, 'error')).toEqual([]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it("prints a warning without the worker's folder and files", async () => {
    const r = await run('warning("careful")\nfunction f()\n  warning("in f");\nend\nf()');
    expect(r.stderr).toBe('warning: careful\nwarning: in f\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it("names an allocation that failed a MemoryError, with Octave's message", async () => {
    // 8 TB: more than any machine running the tests lets a process have, limit or none.
    const r = await run('x = zeros(1e6);');
    expect(eventsOf(r, 'error')[0]).toMatchObject({ ename: 'MemoryError', evalue: expect.stringMatching(/^out of memory/) });
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it("shows Octave's own help for the functions the worker shadows, and leaves its path as it was", async () => {
    const r = await run('help print\nhelp input\nhelp pause\nhelp help\np = strsplit(path(), pathsep());\ndisp(p{2})');
    const said = r.stdout.split('\n').filter((line) => / is a (built-in )?function from the file /.test(line));
    expect(said).toEqual([
      expect.stringMatching(/^'print' is a function from the file \/usr\/share\/octave\/.*\/print\.m$/),
      "'input' is a built-in function from the file libinterp/corefcn/input.cc",
      "'pause' is a built-in function from the file libinterp/corefcn/sysdep.cc",
      expect.stringMatching(/^'help' is a function from the file \/usr\/share\/octave\/.*\/help\.m$/),
    ]);
    // The worker's folder is named only by the path, first after the current folder, as before.
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.filter((line) => line.includes('workers/octave/lib'))).toEqual([lines.at(-1)]);
    expect(lines.at(-1)).toMatch(/workers\/octave\/lib$/);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  // MATLAB takes a script's functions at its end, where a course written for it has them;
  // Octave defines them as it reaches them, and said only "'sq' undefined".
  it('notes that a function the cell defines further down must come before its first use', async () => {
    const r = await run('x = 3;\ny = sq(x)\n\nfunction r = sq(v)\n  r = v.^2;\nend');
    expect(eventsOf(r, 'error')).toEqual([{
      type: 'error',
      ename: 'Octave:undefined-function',
      evalue: "'sq' undefined near line 2, column 5",
      traceback: [
        "error: 'sq' undefined near line 2, column 5",
        'error: called from',
        '    cell.m at line 2 column 3',
        "note: 'sq' is a function of the cell defined further down: Octave defines a script's functions as it reaches them, so each must come before its first use (MATLAB takes them at the end of a script)",
      ],
    }]);
    // A name the cell does not define has Octave's lines alone.
    const other = await run('y = nothere(3)');
    expect(eventsOf(other, 'error')[0].traceback).toEqual(["error: 'nothere' undefined near line 1, column 5", 'error: called from', '    cell.m at line 1 column 3']);
  });

  // Octave's doc opens the info reader (a person at a terminal), and without the manual says
  // "Octave installation is incomplete", as if the server were broken.
  it('shows the help of a function for doc NAME, and says what to use for doc alone', async () => {
    const r = await run('doc sin\ndoc doc');
    expect(r.stdout).toMatch(/^'sin' is a built-in function from the file .*\n\n -- sin \(X\)\n/);
    expect(r.stdout).toMatch(/\n'doc' is a function from the file \/usr\/share\/octave\/.*\/doc\.m\n/);
    expect(r.stderr).toBe('');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    const alone = await run('doc');
    expect(eventsOf(alone, 'error')[0]).toMatchObject({ evalue: "doc: a cell cannot open Octave's manual; 'help NAME' shows a function's documentation" });
  });

  it('closes inherited descriptors above 3', async () => {
    // The worker's own pipe for its last events is a file it opened: closed first (its events then go the usual way).
    const r = await run('fclose("all");\nsystem("ls /proc/$PPID/fd");', { extraStdio: ['pipe'] });
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(r.stdout.split('\n').filter(Boolean).map(Number).sort((a, b) => a - b)).toEqual([0, 1, 2, 3]);
  });
});
