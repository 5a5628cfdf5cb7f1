// Interacts in the Python worker (workers/python/interact.py), run outside the sandbox with the
// values handed over as the device hands them (a line of options before the code): the
// controls' bundle first, then the function's output, the values applied, clamped or ignored.
import { describe, expect, it } from 'vitest';
import { INTERACT_MIME, type InteractBundle, type InteractControl } from '../../protocol/interact';
import { eventsOf, lastEvent, runWorker, streamText, type WorkerRun } from './run-worker';

const run = (code: string, interact?: unknown) => runWorker('python', code, { interact });

/** The interacts' bundles the run showed, in order. */
function bundles(r: WorkerRun): InteractBundle[] {
  return eventsOf(r, 'display_data').filter((e) => INTERACT_MIME in e.data).map((e) => e.data[INTERACT_MIME] as InteractBundle);
}

/** The first interact's controls by name. */
function controls(r: WorkerRun): Record<string, InteractControl> {
  return Object.fromEntries(bundles(r)[0].controls.map((c) => [c.name, c]));
}

const SQUARE = '@interact\ndef f(n=(0, 10)):\n    print(n * n)';

describe('interact in a Python cell', () => {
  it('shows its controls first, then runs the function with their defaults', async () => {
    const r = await run(SQUARE);
    const types = r.events.map((e) => e.type);
    expect(types.slice(1)).toEqual(['display_data', 'stream', 'done']);
    const shown = eventsOf(r, 'display_data')[0].data;
    expect(shown[INTERACT_MIME]).toEqual({
      id: '0', auto_update: true,
      controls: [{ name: 'n', label: 'n', type: 'slider', min: 0, max: 10, step: 1, value: 5 }],
    });
    expect(shown['text/plain']).toBe('Interact f: n = 5 (its controls work on a Cellbox page)');
    expect(streamText(r, 'stdout')).toBe('25\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('runs the function with the values sent, and the bundle shows them', async () => {
    const r = await run(SQUARE, { 0: { n: 7 } });
    expect(streamText(r, 'stdout')).toBe('49\n');
    expect(controls(r).n).toMatchObject({ type: 'slider', value: 7 });
    expect(eventsOf(r, 'display_data')[0].data['text/plain']).toBe('Interact f: n = 7 (its controls work on a Cellbox page)');
  });

  it('clamps a slider value to its ends and snaps it to its steps', async () => {
    const code = '@interact\ndef f(n=slider(0, 10, 2), x=slider(0.0, 1.0, 0.25)):\n    print(n, x)';
    expect(streamText(await run(code, { 0: { n: 99, x: -3 } }), 'stdout')).toBe('10 0.0\n');
    const r = await run(code, { 0: { n: 4.9, x: 0.3 } });
    expect(streamText(r, 'stdout')).toBe('4 0.25\n');
    expect(controls(r)).toMatchObject({ n: { value: 4, min: 0, max: 10, step: 2 }, x: { value: 0.25, min: 0, max: 1, step: 0.25 } });
  });

  it('ignores a value of the wrong type, a name it has not, and an out-of-range choice: the default is used', async () => {
    const code = [
      '@interact',
      'def f(n=(0, 10), s="a", b=True, c=["x", "y"], d=slider([1, 2, 3], default=2)):',
      '    print(n, s, b, c, d)',
    ].join('\n');
    const wrong = { 0: { n: 'seven', s: 5, b: 1, c: 7, d: [1, 2], other: 3 } };
    expect(streamText(await run(code, wrong), 'stdout')).toBe('5 a True x 2\n');
    // An id the run has not is ignored too; the right types are taken.
    expect(streamText(await run(code, { 1: { n: 1 }, 0: { n: 1, s: 'b', b: false, c: 1, d: 0 } }), 'stdout')).toBe('1 b False y 1\n');
  });

  it('makes a control from each kind of default, as Sage does', async () => {
    const code = [
      'import fractions',
      '@interact',
      'def f(a=(1, 5), b=(0.0, 1.0, 0.5), c=["red", 2, None], d=False, e="text", g=3, h=2.5, i={"k": 1}, j=None, l=("Size", (0, 4)), k):',
      '    print(repr(a), repr(b), repr(c), d, repr(e), repr(g), repr(h), repr(i), repr(j), l, repr(k))',
    ].join('\n').replace(', k):', ', *, k):');
    const r = await run(code);
    expect(bundles(r)[0].controls).toEqual([
      { name: 'a', label: 'a', type: 'slider', min: 1, max: 5, step: 1, value: 3 },
      { name: 'b', label: 'b', type: 'slider', min: 0, max: 1, step: 0.5, value: 0.5 },
      { name: 'c', label: 'c', type: 'selector', labels: ['red', '2', 'None'], buttons: false, value: 0 },
      { name: 'd', label: 'd', type: 'checkbox', value: false },
      { name: 'e', label: 'e', type: 'input_box', width: 80, value: 'text' },
      { name: 'g', label: 'g', type: 'input_box', width: 80, value: '3' },
      { name: 'h', label: 'h', type: 'input_box', width: 80, value: '2.5' },
      // A dict: a drop-down of its keys, the function getting the value (Sage's and ipywidgets' way).
      { name: 'i', label: 'i', type: 'selector', labels: ['k'], buttons: false, value: 0 },
      { name: 'j', label: 'j', type: 'input_box', width: 80, value: '' },
      // Sage's (label, default) too.
      { name: 'l', label: 'Size', type: 'slider', min: 0, max: 4, step: 1, value: 2 },
      { name: 'k', label: 'k', type: 'input_box', width: 80, value: '' },
    ]);
    expect(streamText(r, 'stdout')).toBe("3 0.5 'red' False 'text' 3 2.5 1 None 2 None\n");
    // The values the page sends, read back by each control's type.
    const sent = { 0: { a: 5, b: 1, c: 2, d: true, e: 'x^2', g: '7', h: '1e3', i: 0, j: '[1, (2, 3)]', l: 4, k: '4' } };
    expect(streamText(await run(code, sent), 'stdout')).toBe("5 1.0 None True 'x^2' 7 1000.0 1 [1, (2, 3)] 4 4\n");
  });

  it("makes Sage's (default, control) pairs, iterators, ranges and dicts into their controls, not input boxes", async () => {
    // The forms of wiki.sagemath.org/interact: `q1=(-1, (-3, 3))`, and Sage's `n=(1..10)`, which
    // Sage's preparser makes a generator (ellipsis_iter).
    const code = [
      '@interact',
      'def f(q=(-1, (-3, 3)), c=(2, [1, 2, 3]), b=(False, checkbox()), m=(9, [1, 2]), g=(i * i for i in range(1, 5)), r=range(3)):',
      '    print(q, c, b, m, g, r)',
    ].join('\n');
    const r = await run(code);
    expect(bundles(r)[0].controls).toEqual([
      { name: 'q', label: 'q', type: 'slider', min: -3, max: 3, step: 1, value: -1 },
      { name: 'c', label: 'c', type: 'selector', labels: ['1', '2', '3'], buttons: false, value: 1 },
      { name: 'b', label: 'b', type: 'checkbox', value: false },
      // A default that is not among the choices: the control's own start.
      { name: 'm', label: 'm', type: 'selector', labels: ['1', '2'], buttons: false, value: 0 },
      { name: 'g', label: 'g', type: 'slider', labels: ['1', '4', '9', '16'], value: 0 },
      { name: 'r', label: 'r', type: 'selector', labels: ['0', '1', '2'], buttons: false, value: 0 },
    ]);
    expect(streamText(r, 'stdout')).toBe('-1 2 False 1 1 0\n');
    expect(streamText(await run(code, { 0: { q: 3, c: 0, b: true, m: 1, g: 3, r: 2 } }), 'stdout')).toBe('3 1 True 2 16 2\n');
    // An iterator that never ends is a clear error, not a cell that hangs reading it.
    const endless = await run('import itertools\ninteract(lambda n: print(n), n=itertools.count())');
    expect(bundles(endless)).toEqual([]);
    expect(eventsOf(endless, 'error')[0]).toMatchObject({ ename: 'ValueError', evalue: expect.stringMatching(/^an iterator default gives a slider of at most 10000 values/) });
  });

  it('makes the explicit controls with Sage\'s signatures', async () => {
    const code = [
      '@interact',
      'def f(a=slider(1, 10, 1, 5, label="A"), b=slider(["p", "q", "r"], default="q"), c=range_slider(0, 100, 5, (10, 20)),',
      '      d=input_box(3, label="D", type=int, width=10), e=checkbox(False, "E"), g=selector([1, 2, 3], default=3, buttons=True),',
      '      h=selector([(1, "one"), (2, "two")]), t=text_control("note"), k=color_selector((1, 0, 0)), m=color_selector("#00FF00")):',
      '    print(a, b, c, d, e, g, h, t, k, m)',
    ].join('\n');
    const r = await run(code);
    expect(bundles(r)[0].controls).toEqual([
      { name: 'a', label: 'A', type: 'slider', min: 1, max: 10, step: 1, value: 5 },
      { name: 'b', label: 'b', type: 'slider', labels: ['p', 'q', 'r'], value: 1 },
      { name: 'c', label: 'c', type: 'range_slider', min: 0, max: 100, step: 5, value: [10, 20] },
      { name: 'd', label: 'D', type: 'input_box', width: 10, value: '3' },
      { name: 'e', label: 'E', type: 'checkbox', value: false },
      { name: 'g', label: 'g', type: 'selector', labels: ['1', '2', '3'], buttons: true, value: 2 },
      { name: 'h', label: 'h', type: 'selector', labels: ['one', 'two'], buttons: false, value: 0 },
      { name: 't', label: 't', type: 'text', value: 'note' },
      { name: 'k', label: 'k', type: 'color', value: '#ff0000' },
      { name: 'm', label: 'm', type: 'color', value: '#00ff00' },
    ]);
    expect(streamText(r, 'stdout')).toBe('5 q (10, 20) 3 False 3 1 note #ff0000 #00ff00\n');
    const sent = { 0: { a: 2, b: 2, c: [90, 33], d: '12', e: true, g: 0, h: 1, t: 'ignored', k: '#0000FF', m: 'blue' } };
    expect(streamText(await run(code, sent), 'stdout')).toBe('2 r (35, 90) 12 True 1 2 note #0000ff #00ff00\n');
  });

  it('takes its controls as keywords: @interact(n=...) and interact(f, n=...)', async () => {
    const decorated = await run('@interact(n=(0, 4), auto_update=False, layout=[["n"]])\ndef f(n):\n    print("n is", n)', { 0: { n: 3 } });
    expect(bundles(decorated)[0]).toMatchObject({ id: '0', auto_update: false, controls: [{ name: 'n', type: 'slider', min: 0, max: 4, value: 3 }] });
    expect(streamText(decorated, 'stdout')).toBe('n is 3\n');
    const called = await run('def f(n=1):\n    print("n is", n)\ng = interact(f, n=(0, 10))\nprint(g is f)\nf(100)');
    expect(bundles(called)[0].controls).toEqual([{ name: 'n', label: 'n', type: 'slider', min: 0, max: 10, step: 1, value: 5 }]);
    expect(streamText(called, 'stdout')).toBe('n is 5\nTrue\nn is 100\n');
  });

  it('numbers two interacts of one cell "0" and "1", each taking its own values', async () => {
    const code = '@interact\ndef f(n=(0, 10)):\n    print("f", n)\n@interact\ndef g(n=(0, 10)):\n    print("g", n)';
    const r = await run(code, { 1: { n: 9 } });
    expect(bundles(r).map((b) => [b.id, b.controls[0].value])).toEqual([['0', 5], ['1', 9]]);
    expect(streamText(r, 'stdout')).toBe('f 5\ng 9\n');
    // In order: the first bundle, its output, the second, its output.
    expect(r.events.slice(1, 5).map((e) => e.type)).toEqual(['display_data', 'stream', 'display_data', 'stream']);
  });

  it("shows the function's value as a display, and a cell's own name wins over the builtin", async () => {
    const r = await run('@interact\ndef f(n=(0, 10)):\n    return n + 0.5');
    expect(eventsOf(r, 'display_data').map((e) => e.data['text/plain'])).toEqual([expect.stringContaining('Interact f'), '5.5']);
    const own = await run('def slider(*a):\n    return "mine"\nprint(slider(1, 2))');
    expect(streamText(own, 'stdout')).toBe('mine\n');
  });

  it('ends in the cell\'s error after the controls when an input box cannot be read or the function raises', async () => {
    const unreadable = await run('@interact\ndef f(x=input_box(type=float)):\n    print(x)', { 0: { x: 'abc' } });
    expect(bundles(unreadable)).toHaveLength(1);
    expect(eventsOf(unreadable, 'error')[0]).toMatchObject({ ename: 'ValueError', evalue: expect.stringMatching(/^the input box x: could not read 'abc'/) });
    expect(eventsOf(unreadable, 'error')[0].traceback.join('\n')).not.toContain('interact.py');
    // A long text (a page sends up to 64 KiB) is quoted short in the message.
    const long = await run('@interact\ndef f(x=input_box("1")):\n    print(x)', { 0: { x: '['.repeat(30000) } });
    const error = eventsOf(long, 'error')[0];
    expect(error.evalue).toMatch(new RegExp(`^the input box x: could not read '\\[{80}…': `));
    expect(error.evalue.length + error.traceback.join('\n').length).toBeLessThan(2000);
    const raises = await run('@interact\ndef f(n=(0, 10)):\n    1 / (n - 5)');
    expect(bundles(raises)).toHaveLength(1);
    expect(eventsOf(raises, 'error')[0]).toMatchObject({ ename: 'ZeroDivisionError' });
    expect(lastEvent(raises)).toEqual({ type: 'done', status: 'error' });
    // A control the cell cannot make is its error where it made it, before anything is shown.
    const fine = await run('@interact\ndef f(x=slider(0, 1e300, 1e-300)):\n    print(x)');
    expect(bundles(fine)).toEqual([]);
    expect(eventsOf(fine, 'error')[0]).toMatchObject({ ename: 'ValueError', evalue: expect.stringMatching(/^a slider of more than 1e\+15 steps cannot be moved/) });
  });

  it("makes Sage's input_grid: a grid of boxes from a filled, nested or flat default, each read as an input box, to_value given the rows", async () => {
    const code = [
      '@interact',
      'def f(A=input_grid(2, 2, default=[[1, 2], [3, 4]], label="A", to_value=lambda rows: sum(map(sum, rows))),',
      '      z=input_grid(1, 3, default=0, width=6), v=input_grid(2, 1, default=["x", "(1, 2)"])):',
      '    print(A, z, v)',
    ].join('\n');
    const first = await run(code);
    expect(bundles(first)[0].controls).toEqual([
      { name: 'A', label: 'A', type: 'input_grid', rows: 2, cols: 2, width: 4, value: [['1', '2'], ['3', '4']] },
      { name: 'z', label: 'z', type: 'input_grid', rows: 1, cols: 3, width: 6, value: [['0', '0', '0']] },
      { name: 'v', label: 'v', type: 'input_grid', rows: 2, cols: 1, width: 4, value: [['x'], ['(1, 2)']] },
    ]);
    expect(eventsOf(first, 'display_data')[0].data['text/plain']).toBe('Interact f: A = [[1, 2], [3, 4]], z = [[0, 0, 0]], v = [[x], [(1, 2)]] (its controls work on a Cellbox page)');
    // Each box a Python literal in a Python cell: 'x' is no literal, so that box stops the run.
    expect(eventsOf(first, 'error')[0]).toMatchObject({ ename: 'ValueError', evalue: expect.stringMatching(/^the input grid v: row 1 column 1: could not read 'x'/) });

    // The values sent: the rows of texts; an empty box is None.
    const v = [['3'], ['[4]']];
    const again = await run(code, { 0: { A: [['5', '6'], ['7', '8.5']], z: [['1', '', '"s"']], v } });
    expect(streamText(again, 'stdout')).toBe("26.5 [[1, None, 's']] [[3], [[4]]]\n");
    expect(bundles(again)[0].controls.map((c) => c.value)).toEqual([[['5', '6'], ['7', '8.5']], [['1', '', '"s"']], v]);
    // A grid of another shape, or not of texts, is ignored: the default is used.
    const wrong = await run(code, { 0: { A: [['1', '2']], z: [[1, 2, 3]], v } });
    expect(streamText(wrong, 'stdout')).toBe('10 [[0, 0, 0]] [[3], [[4]]]\n');
  });

  it('makes an input box of several lines for a default holding newlines, or a height over 1, and keeps the newlines sent', async () => {
    const code = '@interact\ndef f(s="line one\\nline two", t=input_box("x", type=str, height=4), u=input_box("y", type=str, height=1)):\n    print(repr(s), repr(t), repr(u))';
    const first = await run(code);
    expect(bundles(first)[0].controls).toEqual([
      { name: 's', label: 's', type: 'input_box', width: 80, height: 2, value: 'line one\nline two' },
      { name: 't', label: 't', type: 'input_box', width: 80, height: 4, value: 'x' },
      { name: 'u', label: 'u', type: 'input_box', width: 80, value: 'y' },
    ]);
    const again = await run(code, { 0: { s: 'a\nb\nc', t: 'p\nq' } });
    expect(streamText(again, 'stdout')).toBe("'a\\nb\\nc' 'p\\nq' 'y'\n");
  });

  it("places the controls by Sage's layout: rows at the top, bottom, left and right, the ones it does not name at the top", async () => {
    const code = (layout: string) => `@interact(layout=${layout})\ndef f(a=1, b=2, c=3, d=4):\n    print(a + b + c + d)`;
    const r = await run(code("{'bottom': [['a', 'b']], 'left': [['c']]}"));
    expect(bundles(r)[0].layout).toEqual({ top: [['d']], bottom: [['a', 'b']], left: [['c']] });
    expect(streamText(r, 'stdout')).toBe('10\n');
    // A list of rows is the top.
    expect(bundles(await run(code("[['d', 'c'], ['b', 'a']]")))[0].layout).toEqual({ top: [['d', 'c'], ['b', 'a']] });
    // Without a layout the bundle has none, as before.
    expect(bundles(await run(code('None')))[0]).not.toHaveProperty('layout');
  });

  it('refuses a layout that names what the interact has not, before anything is shown', async () => {
    for (const [layout, message] of [
      ["{'top': [['a', 'zz', 'yy']]}", /^interact's layout names 'zz', 'yy', which are not controls of this interact \(its controls: a, b, c, d\)$/],
      ["{'middle': [['a']]}", /^interact's layout has the places 'middle'; the places are 'top', 'bottom', 'left' and 'right'$/],
      ["{'top': [['a']], 'bottom': [['a']]}", /^interact's layout places 'a' more than once$/],
    ] as const) {
      const r = await run(`@interact(layout=${layout})\ndef f(a=1, b=2, c=3, d=4):\n    print(a)`);
      expect(bundles(r), layout).toEqual([]);
      expect(eventsOf(r, 'error')[0], layout).toMatchObject({ ename: 'ValueError', evalue: expect.stringMatching(message) });
    }
  });

  it('refuses an input_grid it cannot draw, where the cell made it', async () => {
    for (const [code, message] of [
      ['input_grid(0, 2)', /^an input_grid takes a whole number of rows and of columns, at least 1/],
      ['input_grid(2.5, 2)', /^an input_grid takes a whole number/],
      ['input_grid(100, 100)', /^an input_grid has at most 1000 boxes, not 100×100/],
      ['input_grid(2, 2, default=[[1, 2], [3]])', /^an input_grid of 2×2 takes a default of 2 rows of 2 values, not 2 rows of 2, 1/],
      ['input_grid(2, 2, default=[1, 2, 3])', /^an input_grid of 2×2 takes a flat default of 4 values, not 3/],
    ] as const) {
      expect(eventsOf(await run(code), 'error')[0], code).toMatchObject({ ename: 'ValueError', evalue: expect.stringMatching(message) });
    }
  });
});
