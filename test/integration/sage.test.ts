// Sage cells through the real server and device: Sage's preparser, values as typeset math,
// show(), plots inline as images, files and errors as for Python, and a fresh process per cell
// forked from a fork server that imported sage.all once.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installed as isInstalled } from '../helpers/installed';
import { INTERACT_MIME } from '../../protocol/interact';
import { FILES_MIME, type Message } from '../../protocol/messages';
import { THREEJS_MIME } from '../../embed/viewer3d';
import { errorOf, get, run, startCellbox, untilOffered, stdout, type Cellbox } from '../helpers/cellbox';

const installed = fs.existsSync('/usr/lib/python3/dist-packages/sage');
let box: Cellbox;

beforeAll(async () => {
  if (!installed) return;
  box = await startCellbox({ CELLBOX_LANGUAGES: 'python,javascript,bash,sage' });
  // Sage is offered once its fork server has imported sage.all: seconds on a slow machine.
  await untilOffered(box, ['sage']);
}, 90_000);

afterAll(async () => {
  await box?.stop();
});

const sage = (code: string) => run(box.url, code, 'sage');

function results(ms: Message[], type: 'execute_result' | 'display_data') {
  return ms.filter((m) => m.header.msg_type === type).map((m) => (m.content as { data: Record<string, string> }).data);
}

describe.skipIf(!installed)('Sage cells', () => {
  it('are offered with the Sage version', async () => {
    const langs = (await get(`${box.url}/api/v1/languages`)).body as { name: string; display_name: string; version: string }[];
    expect(langs.find((l) => l.name === 'sage')).toMatchObject({ display_name: 'SageMath', version: expect.stringMatching(/^\d+\.\d+/) });
  });

  it('read code through the preparser: ^ is a power and 1/3 a rational', async () => {
    const ms = await sage('print(2^64, 1/3, type(1/3).__name__)\nprint(factorial(20) / 2^10)');
    expect(errorOf(ms)).toBeUndefined();
    expect(stdout(ms)).toBe('18446744073709551616 1/3 Rational\n2375880867360000\n');
  });

  it('show the last value as typeset math, with x a symbolic variable from the start', async () => {
    const [value] = results(await sage('integrate(sin(x)^2, x)'), 'execute_result');
    expect(value['text/plain']).toBe('1/2*x - 1/4*sin(2*x)');
    expect(value['text/latex']).toBe('$$\\frac{1}{2} \\, x - \\frac{1}{4} \\, \\sin\\left(2 \\, x\\right)$$');
  });

  it('show() displays math in the output, in order with printed text', async () => {
    const ms = await sage('print("before")\nshow(matrix([[1, 2], [3, 4]]))\nprint("after")');
    const order = ms.filter((m) => m.header.msg_type === 'stream' || m.header.msg_type === 'display_data').map((m) => m.header.msg_type === 'stream' ? (m.content as { text: string }).text.trim() : 'math');
    expect(order).toEqual(['before', 'math', 'after']);
    expect(results(ms, 'display_data')[0]['text/latex']).toContain('\\begin{array}');
  });

  it('draw plots inline as PNG: a returned plot, and plot(...).show()', async () => {
    const [value] = results(await sage('plot(sin(x), (x, 0, 2*pi))'), 'execute_result');
    expect(Buffer.from(value['image/png'], 'base64').subarray(1, 4).toString()).toBe('PNG');
    const shown = results(await sage('p = plot(x^2, (x, -1, 1))\np.show()\nprint("shown")'), 'display_data');
    expect(shown).toHaveLength(1);
    expect(shown[0]['image/png']).toBeTruthy();
  });

  it("show through Sage's display manager: pretty_print, html(), table(), options of a plot's show()", async () => {
    // Its plain-text backend printed pretty_print's "x^3", showed html()'s source as a typeset
    // string and table() as a LaTeX tabular; show() ignored a plot's options.
    const ms = await sage([
      'pretty_print(x^3)',
      'show(QQ)',
      'show(html("<b>bold</b> $x^2$"))',
      'show(table([[1, 2], [x, 4]]))',
      'plot(x, (x, 0, 1)).show(figsize=2)',
      'plot(x, (x, 0, 1)).show()',
      'html("<i>last</i>")',
    ].join('\n'));
    expect(errorOf(ms)).toBeUndefined();
    const [pretty, field, html, table, small, large] = results(ms, 'display_data');
    expect(pretty).toEqual({ 'text/latex': '$$x^{3}$$', 'text/plain': 'x^3' });
    // Sage's macro for number fields stays where it is used, for MathJax to know \Bold.
    expect(field['text/latex']).toBe('$$\\newcommand{\\Bold}[1]{\\mathbf{#1}}\\Bold{Q}$$');
    // MathJax 2's script tags, which the page's sanitiser drops, become delimiters.
    expect(html['text/html']).toBe('<b>bold</b> \\(x^2\\)');
    // A script's text is raw: as HTML text, a `<` in the math is escaped, or it would open a tag.
    const [less] = results(await sage('show(html("$a<b$ & $c>d$"))'), 'display_data');
    expect(less['text/html']).toBe('\\(a&lt;b\\) & \\(c&gt;d\\)');
    expect(table['text/html']).toMatch(/<table[^]*<td>\\\(x\\\)<\/td>/);
    const width = (png: string) => Buffer.from(png, 'base64').readUInt32BE(16);
    expect(width(small['image/png'])).toBeLessThan(width(large['image/png']) / 2);
    expect(results(ms, 'execute_result')).toEqual([{ 'text/html': '<i>last</i>', 'text/plain': '<i>last</i>' }]);
  });

  it.skipIf(!isInstalled('/usr/lib/python3/dist-packages/pandas'))(
    "show a pandas DataFrame as pandas' HTML table, shown, displayed or last (needs python3-pandas)", async () => {
      const ms = await sage('import pandas as pd\ndf = pd.DataFrame({"n": [1, 2], "name": ["a", "b"]})\nshow(df)\npretty_print(df)\ndisplay(df)\ndf');
      expect(errorOf(ms)).toBeUndefined();
      // show() typeset the frame's text as a LaTeX array of \verb pieces.
      const shown = [...results(ms, 'display_data'), ...results(ms, 'execute_result')];
      expect(shown).toHaveLength(4);
      for (const data of shown) {
        expect(Object.keys(data).sort()).toEqual(['text/html', 'text/plain']);
        expect(data['text/html']).toContain('<table border="1" class="dataframe">');
        expect(data['text/plain']).toBe('   n name\n0  1    a\n1  2    b');
      }
    });

  it("take IPython's magics and Sage's own %display", async () => {
    const timed = await sage('%time factor(2^64 + 1)');
    expect(stdout(timed)).toMatch(/^CPU times: .*\nWall time: /);
    expect(results(timed, 'execute_result')[0]['text/plain']).toBe('274177 * 67280421310721');
    expect(results(await sage('%display plain\n1/2'), 'execute_result')).toEqual([{ 'text/plain': '1/2' }]);
    expect(results(await sage('%display ascii_art\nx^2 + 1'), 'execute_result')).toEqual([{ 'text/plain': ' 2    \nx  + 1' }]);
    const [wrong] = (await sage('%display nonsense')).filter((m) => m.header.msg_type === 'error').map((m) => m.content as { evalue: string; traceback: string[] });
    expect(wrong.evalue).toMatch(/^%display takes one of: plain, /);
    expect(wrong.traceback.join('\n')).not.toContain('sage.py'); // the worker's frames left out
  });

  it("take Sage's magics for its interfaces to other systems, their code not preparsed: %%gp, %%gap, %%maxima, %gp", async () => {
    // "Cell magic `%%gp` not found"; and the preparser made gp's 2^32 Integer(2)**Integer(32).
    const gp = await sage('%%gp\nfactor(2^32 + 1)');
    expect(errorOf(gp)).toBeUndefined();
    expect(stdout(gp).trim()).toBe('[    641 1]\n\n[6700417 1]');
    expect(stdout(await sage('\n%%gap\nG := SymmetricGroup(4);;\nSize(G);')).trim()).toBe('24');
    expect(stdout(await sage('%%maxima\nintegrate(x^2, x);')).trim()).toBe('x^3/3');
    // A line of its own in a Sage cell, the rest of which is Sage's.
    const line = await sage('a = 2^10\nprint(a)\n%gp 2^5');
    expect(errorOf(line)).toBeUndefined();
    expect(stdout(line)).toBe('1024\n');
    expect(results(line, 'execute_result')[0]['text/plain']).toBe('32');
  });

  it('report errors with their Sage exception, and keep files as Python does', async () => {
    expect(errorOf(await sage('1/0'))).toMatchObject({ ename: 'ZeroDivisionError' });
    const ms = await sage('with open("primes.txt", "w") as f:\n    f.write(str(list(primes(20))))');
    const files = ms.find((m) => m.header.msg_type === 'display_data' && FILES_MIME in (m.content as { data: object }).data);
    expect(JSON.stringify(files)).toContain('primes.txt');
  });

  // The limit (512 MiB here) is RLIMIT_DATA, which counts the data a forked cell starts with:
  // some 440 MB of the fork server's (sage.all, Maxima, the warm-up), and it left a cell 75 MB.
  it('have their memory limit for their own data, on top of what the fork server preloaded', async () => {
    const ms = await sage('a = bytearray(300 << 20)\nprint(len(a) >> 20)');
    expect(errorOf(ms)).toBeUndefined();
    expect(stdout(ms)).toBe('300\n');
    // Past it, still a MemoryError.
    expect(errorOf(await sage('hoard = []\nwhile True:\n    hoard.append(bytearray(16 << 20))'))).toMatchObject({ ename: 'MemoryError' });
  });

  // GAP, started in a cell, took all the memory limit for its collector's reservation, then
  // failed to save its workspace past the file-size limit ("Cannot write to file").
  it('use GAP for groups, started already, and keep their memory for their own data after it', async () => {
    const ms = await sage('G = SymmetricGroup(5)\nprint(G.order(), len(G.conjugacy_classes_representatives()))\na = bytearray(300 << 20)\nDihedralGroup(6).is_abelian()');
    expect(errorOf(ms)).toBeUndefined();
    expect(stdout(ms)).toBe('120 7\n');
    expect(ms.filter((m) => m.header.msg_type === 'stream' && (m.content as { name: string }).name === 'stderr')).toEqual([]);
    expect(results(ms, 'execute_result')).toEqual([{ 'text/plain': 'False' }]);
    expect(ms.some((m) => m.header.msg_type === 'display_data')).toBe(false); // no files: no .gap
  });

  it("reach Sage's interfaces to programs, which keep their files in Sage's folder in /tmp", async () => {
    const ms = await sage('print(gp("factor(2^64+1)"))');
    expect(errorOf(ms)).toBeUndefined();
    expect(stdout(ms)).toBe('[274177, 1; 67280421310721, 1]\n');
  });

  it('show the controls of an @interact, then run it with their values, Sage numbers and all', async () => {
    // SageMathCell's interacts: `interact` and its controls had been undefined (a NameError), then NotImplementedError.
    const code = '@interact\ndef f(n=slider(1, 10, 1, 5), c=selector([1/2, 2/3], default=2/3, label="c")):\n    show(n^2)\n    print(type(n).__name__, c, parent(c))';
    const first = await sage(code);
    expect(errorOf(first)).toBeUndefined();
    const [controls, square] = results(first, 'display_data');
    expect(controls[INTERACT_MIME]).toEqual({
      id: '0', auto_update: true,
      controls: [
        { name: 'n', label: 'n', type: 'slider', min: 1, max: 10, step: 1, value: 5 },
        { name: 'c', label: 'c', type: 'selector', labels: ['1/2', '2/3'], buttons: false, value: 1 },
      ],
    });
    expect(controls['text/plain']).toBe('Interact f: n = 5, c = 2/3 (its controls work on a Cellbox page)');
    expect(square).toMatchObject({ 'text/plain': '25', 'text/latex': '$$25$$' });
    expect(stdout(first)).toBe('Integer 2/3 Rational Field\n');

    const again = await run(box.url, code, 'sage', { interact: { 0: { n: 12, c: 0 } } });
    expect((results(again, 'display_data')[0][INTERACT_MIME] as unknown as { controls: { value: unknown }[] }).controls.map((c) => c.value)).toEqual([10, 0]);
    expect(results(again, 'display_data')[1]).toMatchObject({ 'text/plain': '100' });
    expect(stdout(again)).toBe('Integer 1/2 Rational Field\n');
  });

  it('read an input box with sage_eval in the cell, and give a colour as a Sage Color', async () => {
    const code = 'y = var("y")\n@interact\ndef f(e=input_box("x^2 + y"), k=color_selector("red")):\n    print(e.diff(x), k)';
    const ms = await run(box.url, code, 'sage', { interact: { 0: { e: 'sin(x) * y', k: '#0000ff' } } });
    expect(errorOf(ms)).toBeUndefined();
    expect(stdout(ms)).toBe('y*cos(x) RGB color (0.0, 0.0, 1.0)\n');
    // input_grid: each box read with sage_eval, the rows given to to_value (here a matrix).
    const grid = '@interact\ndef g(A=input_grid(2, 2, default=[[1, 2], [3, 4]], to_value=matrix)):\n    print(A.det(), parent(A))';
    const rows = await run(box.url, grid, 'sage', { interact: { 0: { A: [['x', '1'], ['0', '2/3']] } } });
    expect(errorOf(rows)).toBeUndefined();
    expect(stdout(rows)).toBe('2/3*x Full MatrixSpace of 2 by 2 dense matrices over Symbolic Ring\n');
    const unreadable = errorOf(await run(box.url, grid, 'sage', { interact: { 0: { A: [['1', '2'], ['3', '(']] } } }));
    expect(unreadable).toMatchObject({ ename: 'ValueError', evalue: expect.stringMatching(/^the input grid A: row 2 column 2: could not read '\('/) });
    expect(unreadable!.traceback.join('\n')).not.toContain('interact.py');
  });

  it("make SageMathCell's forms of interact: (1..n) a slider over its values, (default, (min, max)), a matrix a grid read back into its parent, srange's reals labelled short", async () => {
    // `(1..5)` (a generator once preparsed) and `(2, (0, 10))` were input boxes that could not be
    // read, and a matrix default a box holding its rows on two lines: each cell ended in a ValueError.
    // A matrix is then a grid of its entries, as in Sage's own interact; a slider over srange's
    // reals was labelled 0.300000000000000.
    const code = '@interact\ndef _(n=(1..5), q=(2, (0, 10)), A=matrix(QQ, [[1, 2], [3, 4]]), s=slider(srange(0, 1, 0.25))):\n    print(n, q, A.det(), parent(A), s, s == srange(0, 1, 0.25)[1])';
    const first = await sage(code);
    expect(errorOf(first)).toBeUndefined();
    expect((results(first, 'display_data')[0][INTERACT_MIME] as unknown as { controls: unknown[] }).controls).toEqual([
      { name: 'n', label: 'n', type: 'slider', labels: ['1', '2', '3', '4', '5'], value: 0 },
      { name: 'q', label: 'q', type: 'slider', min: 0, max: 10, step: 1, value: 2 },
      { name: 'A', label: 'A', type: 'input_grid', rows: 2, cols: 2, width: 4, value: [['1', '2'], ['3', '4']] },
      { name: 's', label: 's', type: 'slider', labels: ['0.0', '0.25', '0.5', '0.75'], value: 0 },
    ]);
    expect(stdout(first)).toBe('1 2 -2 Full MatrixSpace of 2 by 2 dense matrices over Rational Field 0.000000000000000 False\n');
    const again = await run(box.url, code, 'sage', { interact: { 0: { n: 4, q: 7, A: [['2', '0'], ['0', '3/2']], s: 1 } } });
    expect(stdout(again)).toBe('5 7 3 Full MatrixSpace of 2 by 2 dense matrices over Rational Field 0.250000000000000 True\n');
  });

  it('quote the lines the cell has in tracebacks, not what the preparser made of them, the carets moved to them', async () => {
    // They quoted `Integer(1)/Integer(0)`, with carets under it, and `R = QQ[; (x,) = R._first_ngens(1)`.
    const division = errorOf(await sage('def f():\n    return 1/0\nf()'))!.traceback.join('\n');
    expect(division).toContain('File "<cell>", line 2, in f\n    return 1/0\n           ~^~\n  File "sage/rings/integer.pyx"');
    expect(division).not.toContain('Integer(');
    const syntax = errorOf(await sage('a = 1\nR.<x> = QQ['))!;
    expect(syntax).toMatchObject({ ename: 'SyntaxError', evalue: 'invalid syntax (<cell>, line 2)' });
    expect(syntax.traceback.join('\n')).toBe('  File "<cell>", line 2\n    R.<x> = QQ[\n               ^\nSyntaxError: invalid syntax');
    // A student's syntax errors have their carets, under what they wrote (they had none: the
    // columns were the preparsed line's, `x**Integer(2) = Integer(4)`).
    expect(errorOf(await sage('solve(x^2 = 4, x)'))!.traceback.join('\n')).toBe(
      '  File "<cell>", line 1\n    solve(x^2 = 4, x)\n          ^^^^^\nSyntaxError: expression cannot contain assignment, perhaps you meant "=="?');
    expect(errorOf(await sage('plot(sin(x), (x, 0, 2pi))'))!.traceback.join('\n')).toBe(
      '  File "<cell>", line 1\n    plot(sin(x), (x, 0, 2pi))\n                        ^\nSyntaxError: invalid decimal literal');
    // And a frame's, in characters where the line has more than ASCII.
    expect(errorOf(await sage('print("é", 2^3 + undefined_thing)'))!.traceback.join('\n')).toContain(
      '\n    print("é", 2^3 + undefined_thing)\n                     ^^^^^^^^^^^^^^^\n');
    // A line the preparser left as it was keeps its carets, under the name it points at.
    expect(errorOf(await sage('y = 2\nfoo(y)'))!.traceback.join('\n')).toMatch(/\n {4}foo\(y\)\n {4}\^{3}\n/);
  });

  it('run `time <statement>` as %time, as Sage\'s shell does, and leave `time` as a name alone', async () => {
    const timed = await sage('time factor(2^64 + 1)');
    expect(errorOf(timed)).toBeUndefined();
    expect(stdout(timed)).toMatch(/^CPU times: .*\nWall time: .*\n$/);
    expect(results(timed, 'execute_result')[0]['text/plain']).toBe('274177 * 67280421310721');
    const names = await sage('for i in range(1):\n    time a = 2^10\ns = """\ntime flies"""\ntime = a\nprint(time, s)');
    expect(errorOf(names)).toBeUndefined();
    expect(stdout(names)).toMatch(/^CPU times: .*\nWall time: .*\n1024 \ntime flies\n$/);
  });

  it('view() typesets in the cell, as show() does, not through pdflatex and a desktop viewer', async () => {
    // Sage's own view() failed here: "pdflatex is not available".
    const one = await sage('view(x^2)');
    expect(errorOf(one)).toBeUndefined();
    expect(results(one, 'display_data')).toEqual([{ 'text/latex': '$$x^{2}$$', 'text/plain': 'x^2' }]);
    const many = await sage('from sage.misc.latex import view as v\nv([x, 1/2], title="two")');
    expect(errorOf(many)).toBeUndefined();
    expect(results(many, 'display_data').map((d) => d['text/latex'])).toEqual(['$$x$$', '$$\\frac{1}{2}$$']);
  });

  it('shows a value it cannot typeset as its text, without a word on stderr', async () => {
    // Typeset by default here: a _latex_ that raised put "formatter for T failed" on stderr.
    const ms = await sage("class T(SageObject):\n    def _latex_(self):\n        raise ValueError('no LaTeX')\n    def _repr_(self):\n        return 'T as text'\nT()");
    expect(errorOf(ms)).toBeUndefined();
    expect(results(ms, 'execute_result')).toEqual([{ 'text/plain': 'T as text' }]);
    expect(ms.filter((m) => m.header.msg_type === 'stream')).toEqual([]);
  });

  it.skipIf(!isInstalled('/usr/bin/R'))("runs R through r(), its values R's own text", async () => {
    // R's settings (/etc/R) were not in the sandbox: "cannot find system Renviron", and an
    // error. An R value's LaTeX needs R's Hmisc package: its warnings came on stderr.
    const ms = await sage("r('1+1')");
    expect(errorOf(ms)).toBeUndefined();
    expect(results(ms, 'execute_result')).toEqual([{ 'text/plain': '[1] 2' }]);
    expect(ms.filter((m) => m.header.msg_type === 'stream')).toEqual([]);
    expect(stdout(await sage('print(r([1, 2, 3]).mean())'))).toBe('[1] 2\n');
  });

  it.skipIf(!isInstalled('/usr/bin/octave-cli'))('runs Octave through octave(), leaving no file of Octave\'s among the cell\'s', async () => {
    // Octave, ended by a signal with the cell, saved its variables as after a crash: an
    // `octave-workspace` file was listed under every such cell.
    const ms = await sage("print(octave('[1 2; 3 4]').det())");
    expect(errorOf(ms)).toBeUndefined();
    expect(stdout(ms)).toBe(' -2\n');
    expect(ms.filter((m) => m.header.msg_type === 'display_data')).toEqual([]);
  });

  it('sleep for a Sage number of seconds: sleep(0.5), time.sleep(1/10), sleep(pi/100)', async () => {
    // The preparser makes 0.5 a RealLiteral, which Python's time.sleep() (3.10 on) refused:
    // "'sage.rings.real_mpfr.RealLiteral' object cannot be interpreted as an integer".
    const ms = await sage('sleep(0.05)\nimport time\ntime.sleep(1/50)\nfrom time import sleep as pause\npause(pi/100)\nsleep(0)\nprint("slept")');
    expect(errorOf(ms)).toBeUndefined();
    expect(stdout(ms)).toBe('slept\n');
    // What is no number of seconds is refused with Python's own words.
    expect(errorOf(await sage('sleep("1")'))).toMatchObject({ ename: 'TypeError' });
    expect(errorOf(await sage('sleep(-0.5)'))).toMatchObject({ ename: 'ValueError', evalue: 'sleep length must be non-negative' });
  });

  it("run examples pasted with Sage's and Python's prompts, and a cell indented as a whole, as Sage's shell does", async () => {
    // `sage: 2+2` was an annotation, so showed nothing; `sage: f(x) = x^2` a NameError.
    expect(results(await sage('sage: 2+2'), 'execute_result')[0]['text/plain']).toBe('4');
    const session = await sage('sage: f(x) = x^2\nsage: f(3)\n9\nsage: for i in range(2):\n....:     print(i)\n....:\nsage: f(4)');
    expect(errorOf(session)).toBeUndefined();
    expect(stdout(session)).toBe('0\n1\n');
    expect(results(session, 'execute_result')[0]['text/plain']).toBe('16');
    expect(results(await sage('>>> a = 2^10\n>>> a + 1'), 'execute_result')[0]['text/plain']).toBe('1025');
    expect(results(await sage('\n    a = 2^10\n    a + 2'), 'execute_result')[0]['text/plain']).toBe('1026');
    // Tracebacks quote the lines as pasted, each where it was.
    const failed = errorOf(await sage('sage: a = 1\nsage: 1/0'))!;
    expect(failed.traceback.join('\n')).toContain('File "<cell>", line 2, in <module>\n    sage: 1/0\n');
    // A cell without a prompt on its first two lines is left alone: `...` is Python's Ellipsis.
    expect(stdout(await sage('a = 1\nb = 2\n... \nprint(a + b)'))).toBe('3\n');
  });

  it('draw animate() as a GIF, shown and saved, with neither ImageMagick nor ffmpeg', async () => {
    // It showed "Animation with 3 frames" typeset after a warning with Sage's file names in it.
    const ms = await sage('a = animate([plot(sin(x + k), (x, 0, 1)) for k in range(3)], figsize=2)\na.save("wave.gif")\na');
    expect(errorOf(ms)).toBeUndefined();
    expect(ms.filter((m) => m.header.msg_type === 'stream')).toEqual([]);
    const [value] = results(ms, 'execute_result');
    const gif = Buffer.from(value['image/gif'], 'base64');
    expect(gif.subarray(0, 6).toString()).toBe('GIF89a');
    expect(gif.toString('latin1').split('\x21\xf9\x04').length - 1).toBe(3); // a graphic control block per frame
    expect(JSON.stringify(results(ms, 'display_data'))).toContain('wave.gif');
  });

  it("typeset Python's lists, tuples and dicts of Sage's values, as Sage's display does", async () => {
    expect(results(await sage('divisors(12)'), 'execute_result')).toEqual([{ 'text/latex': '$$\\left[1, 2, 3, 4, 6, 12\\right]$$', 'text/plain': '[1, 2, 3, 4, 6, 12]' }]);
    expect(results(await sage("var('a b')"), 'execute_result')[0]['text/latex']).toBe('$$\\left(a, b\\right)$$');
    // Python's own values, strings (whose quotes Sage's LaTeX drops) and long lists stay text.
    for (const code of ['list(range(3))', "[1, '2']", '[1..1001]']) {
      expect(Object.keys(results(await sage(code), 'execute_result')[0])).toEqual(['text/plain']);
    }
    // A subclass keeps its own repr.
    expect(results(await sage("from collections import namedtuple\nnamedtuple('P', 'a b')(1, 2)"), 'execute_result')).toEqual([{ 'text/plain': 'P(a=1, b=2)' }]);
  });

  it("show 3D graphics as Sage's three.js page for the viewer, its scripts Cellbox's, with no PNG drawn", async () => {
    // Was a PNG that Tachyon drew, with no way to turn the graphic.
    const [value] = results(await sage("y = var('y')\nplot3d(sin(x*y), (x, -2, 2), (y, -2, 2))"), 'execute_result');
    expect(Object.keys(value).sort()).toEqual([THREEJS_MIME, 'text/plain']);
    expect(value['text/plain']).toBe('Graphics3d Object');
    const page = value[THREEJS_MIME];
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).toContain('new THREE.OrbitControls');
    // three.js and its controls from beside the viewer's frame, on Cellbox; no address elsewhere.
    expect([...page.matchAll(/<script src="([^"]*)"/g)].map((m) => m[1])).toEqual(['three.min.js', 'OrbitControls.js']);
    expect(page).not.toMatch(/https?:\/\//);
  });

  it('show every kind of 3D graphic through the viewer, show(online=True) without its CDN', async () => {
    const code = [
      "u, v = var('u v')",
      'sphere().show()',
      'parametric_plot3d((cos(u), sin(u), u/5), (u, 0, 4*pi)).show()',
      'point3d([(0, 0, 0), (1, 1, 1)], size=20).show()',
      'line3d([(0, 0, 0), (1, 2, 3)], thickness=3).show()',
      // Sage's own option for a page that loads three.js from a CDN.
      'cube().show(online=True)',
    ].join('\n');
    const ms = await sage(code);
    expect(errorOf(ms)).toBeUndefined();
    const shown = results(ms, 'display_data');
    expect(shown).toHaveLength(5);
    for (const data of shown) {
      expect(Object.keys(data).sort()).toEqual([THREEJS_MIME, 'text/plain']);
      expect(data[THREEJS_MIME]).toContain('<script src="three.min.js"></script>');
      expect(data[THREEJS_MIME]).not.toMatch(/<script[^>]+src="?https?:|cdn\.jsdelivr/);
    }
  });

  it("draw a 3D graphic too large for the viewer's page as a PNG, within the output limit", async () => {
    // Its page would be 3.7 MB of vertices, past the 1 MiB output limit.
    const ms = await sage("y, z = var('y z')\nimplicit_plot3d(x^2 + y^2 + z^2 - 1, (x, -1, 1), (y, -1, 1), (z, -1, 1))");
    expect(errorOf(ms)).toBeUndefined();
    const [value] = results(ms, 'execute_result');
    expect(Object.keys(value).sort()).toEqual(['image/png', 'text/plain']);
  });

  it('run each in a fresh process: nothing of one cell is seen by the next', async () => {
    await sage('secret = 42\nx = 7');
    expect(stdout(await sage('print("secret" in globals(), x)'))).toBe('False x\n');
  });

  it("draw other random numbers in each cell, as Sage's random state is seeded again after the fork", async () => {
    // Every cell inherited the fork server's state: the same randint(), random(), random_matrix().
    const code = 'print(randint(1, 10^18), ZZ.random_element(10^18), random(), random_matrix(ZZ, 2, x=10^9).list())';
    const draws = [stdout(await sage(code)), stdout(await sage(code))];
    for (const drawn of draws) expect(drawn).toMatch(/^\d+ \d+ 0\.\d+ \[[-\d, ]+\]\n$/);
    const [a, b] = draws.map((d) => d.split(' '));
    for (let i = 0; i < 3; i++) expect(a[i]).not.toBe(b[i]);
    // A seed the cell sets still makes its draws the same each time.
    const seeded = 'set_random_seed(12345)\nprint(randint(1, 10^18), random_matrix(ZZ, 2).list())';
    expect(stdout(await sage(seeded))).toBe(stdout(await sage(seeded)));
  });

  it("start Sage's interface to a GAP process without the workspace it cannot save in a cell: gap(), a group's random element", async () => {
    // Each failed: "Gap produced error output / Error, Cannot write to file ... SaveWorkspace".
    const ms = await sage('print(gap("2^10") + 1)\nG = SymmetricGroup(4)\ng = G.random_element()\nprint(g in G, g.parent() is G)');
    expect(errorOf(ms)).toBeUndefined();
    expect(stdout(ms)).toBe('1025\nTrue True\n');
  }, 60_000);

  it('run the code of the linked cells above first, through the preparser, their names kept', async () => {
    // `^` is Sage's power in the earlier code too (Python's xor would give 8), and the
    // namespace is filled once: a name an earlier cell gave (x) is not Sage's symbolic x again.
    const ms = await run(box.url, 'print(a, type(a).__name__, x, f(3))', 'sage', { linked: ['a = 2^10', 'x = 5\nf(t) = t^2 + 1'] });
    expect(errorOf(ms)).toBeUndefined();
    expect(stdout(ms)).toBe('1024 Integer 5 10\n');
    // An earlier cell's error quotes its line as written, not as the preparser rewrote it.
    const error = errorOf(await run(box.url, 'print(1)', 'sage', { linked: ['b = 1/0'] }))!;
    expect(error).toMatchObject({ ename: 'LinkedCellError', evalue: expect.stringMatching(/^linked cell 1 of the 1 above this one failed with ZeroDivisionError: /) });
    expect(error.traceback.join('\n')).toContain('File "<linked cell 1>", line 1, in <module>\n    b = 1/0');
  });
});
