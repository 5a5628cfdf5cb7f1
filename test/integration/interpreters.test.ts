// The systems SageMathCell offers beside Sage, each its own interpreter, through the real
// server, device and sandbox: a cell's output as it comes, its first error as the cell's error
// under the system's own name, and Stop ending the interpreter where it was (its own words for
// it in the traceback: ended by the interrupt, not killed after the grace).
import { runnable as runnableLanguages } from '../helpers/installed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, replyOf, run, startCellbox, stdout, stopWhenStarted, types, untilOffered, type Cellbox } from '../helpers/cellbox';

const RUNTIMES: Record<string, string> = { html: '/usr/bin/python3', gp: '/usr/bin/gp', singular: '/usr/bin/Singular', gap: '/usr/bin/gap', maxima: '/usr/bin/maxima-sage' };
const runnable = runnableLanguages(RUNTIMES);

let box: Cellbox;
let listed: { name: string; version: string; file_extension: string; codemirror_mode: string }[] = [];

beforeAll(async () => {
  if (!runnable.length) return;
  box = await startCellbox({ CELLBOX_LANGUAGES: runnable.join(','), CELLBOX_WALL_SECONDS: '25' });
  listed = await untilOffered(box, runnable);
}, 90_000);

afterAll(async () => {
  await box?.stop();
});

/** Runs `code`, stops it once it has printed "started", and returns all its messages. */
const stopOnceStarted = async (code: string, language: string) => (await stopWhenStarted(box.url, code, language)).ms;

describe.skipIf(!runnable.length)('SageMathCell’s other systems', () => {
  it("lists each with its probe's version, its file extension and its editor mode", () => {
    const want: Record<string, [RegExp, string, string]> = { html: [/^5$/, '.html', 'html'], gp: [/^2\.\d+\.\d+$/, '.gp', 'gp'], singular: [/^4\.\d+\.\d+$/, '.sing', 'singular'], gap: [/^4\.\d+\.\d+$/, '.g', 'gap'], maxima: [/^5\.\d+\.\d+$/, '.mac', 'maxima'] };
    for (const name of runnable) {
      expect(listed.find((l) => l.name === name)).toMatchObject({ version: expect.stringMatching(want[name][0]), file_extension: want[name][1], codemirror_mode: want[name][2] });
    }
  });

  describe.skipIf(!runnable.includes('html'))('HTML', () => {
    it('shows the code as HTML, its $…$ math marked for the page to typeset, in the order of every cell', async () => {
      const ms = await run(box.url, '<h3>Area</h3>\n<p>$\\pi r^2$ for \\$1</p>', 'html');
      expect(types(ms)).toEqual(['status', 'execute_input', 'display_data', 'execute_reply', 'status']);
      expect(ms[2].content).toMatchObject({ data: { 'text/html': '<h3>Area</h3>\n<p>\\(\\pi r^2\\) for $1</p>' } });
      expect(replyOf(ms).status).toBe('ok');
    });
  });

  describe.skipIf(!runnable.includes('gp'))('PARI/GP', () => {
    it('shows results and printed text; the first error ends the cell as a PariError', async () => {
      const ok = await run(box.url, 'x = 2^64\nprint("factored: ", factor(x + 1))\nx^2;', 'gp');
      expect(stdout(ok)).toBe('18446744073709551616\nfactored: [274177, 1; 67280421310721, 1]\n');
      expect(replyOf(ok).status).toBe('ok');
      const bad = await run(box.url, 'print("before")\n1/0\nprint("never")', 'gp');
      expect(stdout(bad)).toBe('before\n');
      expect(errorOf(bad)).toMatchObject({ ename: 'PariError', evalue: '_/_: impossible inverse in gdiv: 0.', traceback: expect.arrayContaining(['  ***   at top-level: 1/0']) });
      expect(replyOf(bad)).toMatchObject({ status: 'error', ename: 'PariError' });
    });

    // GP breaks a syntax error's line of code at the error: before, the cell's error was the
    // second half of the code alone ("*2;y=3;…"), without the words "syntax error".
    it('names a syntax error as GP words it, with the code around it, however long its line', async () => {
      const short = await run(box.url, 'x = 1 +* 2', 'gp');
      expect(errorOf(short)).toMatchObject({ ename: 'PariError', evalue: "syntax error, unexpected '*': x=1+*2" });
      const long = await run(box.url, 'x = 1 +* 2; y = 3; z = 4; w = 5; aaaaaa = 6; bbbbbb = 7; cccccc = 8;', 'gp');
      expect(errorOf(long)).toMatchObject({ ename: 'PariError', evalue: "syntax error, unexpected '*': x=1+*2;y=3;z=4;w=5;aaaaaa=6;bbbbbb=7;cccccc=8;" });
    });

    it('stops on Stop, at the place GP names', async () => {
      const ms = await stopOnceStarted('print("started")\ns = 0; for(i = 1, 10^12, s += i)', 'gp');
      expect(errorOf(ms)).toMatchObject({ ename: 'Interrupted', traceback: expect.arrayContaining([expect.stringMatching(/user interrupt after/)]) });
    });
  });

  describe.skipIf(!runnable.includes('singular'))('Singular', () => {
    it("shows values as Singular prints them, a last statement without `;` too; the first error ends the cell as a SingularError", async () => {
      const ok = await run(box.url, 'LIB "primdec.lib";\nring r = 0, (x, y), dp;\npoly f = (x + y)^2;\nprint("f:");\nf\n', 'singular');
      expect(stdout(ok)).toBe('f:\nx2+2xy+y2\n');
      expect(replyOf(ok).status).toBe('ok');
      const bad = await run(box.url, 'print("before");\nint i = undefined_j + 1;\nprint("never");', 'singular');
      expect(stdout(bad)).toBe('before\n');
      expect(errorOf(bad)).toMatchObject({ ename: 'SingularError', evalue: '`undefined_j` is not defined', traceback: expect.arrayContaining(['   ? error occurred in or before cell.sing line 2: `int i = undefined_j + 1;`']) });
      expect(replyOf(bad)).toMatchObject({ status: 'error', ename: 'SingularError' });
    });

    // Singular's scanner takes a byte outside ASCII where a statement starts as the end of its
    // input: before, the cell ended there as if it were all, "ok", the rest never run.
    it('ends a cell whose statement starts with a character outside ASCII (a no-break space) as a SingularError naming its line, not as done', async () => {
      const ms = await run(box.url, 'print("a");\n\u00a0print("b");\nprint("c");', 'singular');
      expect(stdout(ms)).toBe('a\n');
      expect(errorOf(ms)).toMatchObject({ ename: 'SingularError', evalue: expect.stringMatching(/^Singular stopped reading the cell before its end, .*outside ASCII.* on line 2\./) });
      // Such characters in strings and comments are read, and a cell that quits ends well.
      const fine = await run(box.url, 'print("café"); // é\nprint("c");', 'singular');
      expect(stdout(fine)).toBe('café\nc\n');
      expect(replyOf(fine).status).toBe('ok');
      const quits = await run(box.url, 'print("a");\nquit;\nprint("never");', 'singular');
      expect(stdout(quits)).toBe('a\n');
      expect(replyOf(quits).status).toBe('ok');
    });

    // Singular reports a fatal signal on stdout and carries on with the cell, which ended "ok"
    // with the report among its output. Its abort on Stop can crash it so too (in malloc).
    it('ends a cell Singular crashed in as a SingularError naming the signal and the statement, its report in the traceback', async () => {
      const ms = await run(box.url, 'print("before");\nint p = system("pid");\nsystem("sh", "kill -SEGV " + string(p));\nprint("after");', 'singular');
      expect(stdout(ms)).toBe('before\nafter\n');
      expect(errorOf(ms)).toMatchObject({
        ename: 'SingularError',
        evalue: 'Singular crashed (signal 11) at `system("sh", "kill -SEGV " + string(p));`, and carried on with the cell: its results after that may not hold',
        traceback: expect.arrayContaining([expect.stringMatching(/^Singular : signal 11 /), 'please inform the authors']),
      });
      // glibc's line of a crash in malloc comes first (Stop's abort can cause one): the signal is Singular's.
      const glibc = await run(box.url, 'print("Fatal glibc error: malloc assertion failure");\nint p = system("pid");\nsystem("sh", "kill -SEGV " + string(p));', 'singular');
      expect(errorOf(glibc)?.evalue).toMatch(/^Singular crashed \(signal 11\) at `system/);
    });

    it('stops on Stop, in a long computation of its kernel too', async () => {
      const ms = await stopOnceStarted('LIB "polylib.lib";\nring r = 32003, (a, b, c, d, e, f, g, h), dp;\nprint("started");\nideal j = std(cyclic(8));\nprint("never");', 'singular');
      expect(stdout(ms)).toBe('started\n');
      expect(errorOf(ms)).toMatchObject({ ename: 'Interrupted' });
    });
  });

  describe.skipIf(!runnable.includes('gap'))('GAP', () => {
    it('shows values as its prompt does (not after `;;`); the first error ends the cell as a GAPError, no break loop', async () => {
      const ok = await run(box.url, 'G := SymmetricGroup(4);;\nSize(G);\nPrint("printed\\n");\nIsAbelian(G);', 'gap');
      expect(stdout(ok)).toBe('24\nprinted\nfalse\n');
      expect(replyOf(ok).status).toBe('ok');
      const bad = await run(box.url, 'f := n -> 1 / n;;\nPrint("before\\n");\nf(0);\nPrint("never\\n");', 'gap');
      expect(stdout(bad)).toBe('before\n');
      expect(errorOf(bad)).toMatchObject({ ename: 'GAPError', evalue: 'Rational operations: <divisor> must not be zero', traceback: expect.arrayContaining([expect.stringMatching(/^ {2}1 \/ n at \*stdin\*:1/)]) });
      expect(replyOf(bad)).toMatchObject({ status: 'error', ename: 'GAPError' });
    });

    it('shows a last statement without `;`, as SageMathCell\'s GAP mode (Sage\'s gap.eval) adds it', async () => {
      // GAP met the end of the cell in the statement: "Syntax error: ; expected", nothing shown.
      const ms = await run(box.url, 'f := function(n) return n^2; end;;\nf(3)', 'gap');
      expect(errorOf(ms)).toBeUndefined();
      expect(stdout(ms)).toBe('9\n');
      // After a comment too, and one already ended (`;;` keeps its value unshown).
      expect(stdout(await run(box.url, 'Size(SymmetricGroup(3)) # the order', 'gap'))).toBe('6\n');
      expect(stdout(await run(box.url, 'a := 2;;\n\n', 'gap'))).toBe('');
    });

    it('ends a cell with a syntax error as a GAPError, though GAP goes on past it as in a script', async () => {
      const ms = await run(box.url, 'x := 1 +;\nPrint("after\\n");', 'gap');
      expect(stdout(ms)).toBe('after\n');
      expect(errorOf(ms)).toMatchObject({ ename: 'GAPError', evalue: 'Syntax error: expression expected', traceback: ['Syntax error: expression expected', 'x := 1 +;', '        ^'] });
    });

    it('stops on Stop, at the place GAP names', async () => {
      const ms = await stopOnceStarted('Print("started\\n");\ns := 0;; for i in [1 .. 10^10] do s := s + i; od;', 'gap');
      expect(errorOf(ms)).toMatchObject({ ename: 'Interrupted', traceback: expect.arrayContaining(['Error, user interrupt in']) });
    });
  });

  describe.skipIf(!runnable.includes('maxima'))('Maxima', () => {
    it('shows values in 2D, not after `$`; the first error ends the cell as a MaximaError', async () => {
      const ok = await run(box.url, 'x: 3$\nprint("printed")$\ny^2 + 1/y;\nexpand((a + b)^2)', 'maxima');
      expect(stdout(ok)).toBe('printed \n 2   1\ny  + -\n     y\n 2            2\nb  + 2 a b + a\n');
      expect(replyOf(ok).status).toBe('ok');
      const bad = await run(box.url, 'print("before")$\n1/0;\nprint("never")$', 'maxima');
      expect(stdout(bad)).toBe('before \n');
      expect(errorOf(bad)).toMatchObject({ ename: 'MaximaError', evalue: 'expt: undefined: 0 to a negative exponent.' });
      expect(replyOf(bad)).toMatchObject({ status: 'error', ename: 'MaximaError' });
    });

    it('shows plots as PNG where they are drawn, each of a loop too, without the list of their files', async () => {
      // gnuplot had no terminal to draw on: no picture, its "No output will be generated" on stderr.
      const ms = await run(box.url, 'print("before")$\nplot2d(sin(x), [x, 0, %pi]);\nfor k thru 2 do plot3d(k*x*y, [x, -1, 1], [y, -1, 1])$\nprint("after")$', 'maxima');
      expect(errorOf(ms)).toBeUndefined();
      expect(types(ms)).toEqual(['status', 'execute_input', 'stream', 'display_data', 'display_data', 'display_data', 'stream', 'execute_reply', 'status']);
      expect(stdout(ms)).toBe('before \nafter \n');
      for (const m of ms.filter((m) => m.header.msg_type === 'display_data')) {
        const { data, metadata } = m.content as { data: Record<string, string>; metadata: Record<string, unknown> };
        expect(Buffer.from(data['image/png'], 'base64').subarray(1, 4).toString()).toBe('PNG');
        expect(data['text/plain']).toBe('<Maxima plot>');
        expect(metadata).toEqual({ 'image/png': { width: 640, height: 480 } });
      }
    });

    // Each cell's Maxima folder is new: a package's Lisp was compiled there on every load(draw),
    // 12 s on this VM at its quietest and 30 s loaded, past the wall time. Compiled once at build
    // now (scripts/build.mjs) and copied in before `ready`: the cell takes half a second, well
    // inside a timeout of 5 s, which the compiling never met.
    it('loads the draw package and draws with it within a short timeout', async () => {
      const ms = await run(box.url, 'load(draw)$\nload(descriptive)$\ndraw2d(explicit(x^2, x, -1, 1))$\nprint(mean([1, 2, 3]))$', 'maxima', { timeout: 5 });
      expect(errorOf(ms)).toBeUndefined();
      expect(types(ms).filter((t) => t === 'display_data')).toHaveLength(1);
      expect(stdout(ms)).toBe('2 \n');
    }, 60_000);

    it('stops on Stop', async () => {
      const ms = await stopOnceStarted('print("started")$\ns: 0$\nfor i thru 10^10 do s: s + i$', 'maxima');
      expect(stdout(ms)).toBe('started \n');
      expect(errorOf(ms)).toMatchObject({ ename: 'Interrupted' });
    });
  });
});
