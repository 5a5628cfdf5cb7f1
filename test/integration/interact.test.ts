// Interacts over HTTP against a real web server and device: a cell's `interact` values are
// taken (JSON and form), kept with the cell and shown by GET /cells/:id, and reach the worker
// with the code, whose `interact` shows its controls and runs the function with them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERACT_MIME, type InteractBundle } from '../../protocol/interact';
import type { DisplayDataContent, Message } from '../../protocol/messages';
import { errorOf, get, messagesUntilDone, post, run, startCellbox, stdout, types, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_CELLS_PER_MINUTE: '0' });
});

afterAll(async () => {
  await box?.stop();
});

const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

describe('the interact field', () => {
  it('is kept with the cell and shown by GET /cells/:id; null when not given', async () => {
    const values = { 0: { n: 7, s: 'x^2', b: false, r: [1, 2.5] }, 1: { c: 2 } };
    const created = await post(`${box.url}/api/v1/cells`, { code: 'print(1)', interact: values });
    expect(created.status).toBe(201);
    await messagesUntilDone(box.url, created.body.id);
    expect((await get(`${box.url}/api/v1/cells/${created.body.id}`)).body).toMatchObject({ id: created.body.id, status: 'done', interact: values });

    const without = await post(`${box.url}/api/v1/cells`, { code: 'print(1)' });
    expect((await get(`${box.url}/api/v1/cells/${without.body.id}`)).body.interact).toBeNull();
    // null is as if not given: what GET shows of a cell without may be posted back.
    const asNull = await post(`${box.url}/api/v1/cells`, { code: 'print(1)', interact: null });
    expect(asNull.status).toBe(201);
    expect((await get(`${box.url}/api/v1/cells/${asNull.body.id}`)).body.interact).toBeNull();
  });

  it('comes as JSON text in a form, or is left out when empty', async () => {
    const created = await post(`${box.url}/api/v1/cells`, `code=print(2)&interact=${encodeURIComponent('{"0": {"n": 3}}')}`, form);
    expect(created.status).toBe(201);
    expect((await get(`${box.url}/api/v1/cells/${created.body.id}`)).body.interact).toEqual({ 0: { n: 3 } });
    const blank = await post(`${box.url}/api/v1/cells`, 'code=print(2)&interact=', form);
    expect(blank.status).toBe(201);
    expect((await get(`${box.url}/api/v1/cells/${blank.body.id}`)).body.interact).toBeNull();
  });

  it('is taken by /execute, and by a language that has no interacts, which runs as without', async () => {
    const values = { 0: { n: 1 } };
    const r = await post(`${box.url}/api/v1/execute`, { code: 'echo "$1" hi', language: 'bash', interact: values });
    expect(r.status).toBe(200);
    // No line of options before the code: a worker that does not say it takes them gets the code alone.
    expect(r.body).toMatchObject({ status: 'ok', stdout: ' hi\n', stderr: '' });
    expect((await get(`${box.url}/api/v1/cells/${r.body.id}`)).body.interact).toEqual(values);
    const js = await post(`${box.url}/api/v1/execute`, { code: 'console.log("js")', language: 'javascript', interact: values });
    expect(js.body).toMatchObject({ status: 'ok', stdout: 'js\n', stderr: '' });
  });

  it('reaches a Python cell with its code, which runs as posted', async () => {
    const ms = await run(box.url, 'print("first line")\nprint(2)', 'python', { interact: { 0: { n: 1 } } });
    expect(stdout(ms)).toBe('first line\n2\n');
  });
});

/** The interacts' bundles the cell showed, in order. */
function bundles(ms: Message[]): InteractBundle[] {
  return ms
    .filter((m) => m.header.msg_type === 'display_data' && INTERACT_MIME in (m.content as DisplayDataContent).data)
    .map((m) => (m.content as DisplayDataContent).data[INTERACT_MIME] as InteractBundle);
}

const SQUARE = '@interact\ndef f(n=(0, 10)):\n    print(n*n)';

describe('interact in a Python cell', () => {
  it('shows its controls, then the output at the defaults; run again with values, the new output and the values used', async () => {
    const first = await run(box.url, SQUARE);
    expect(types(first)).toEqual(['status', 'execute_input', 'display_data', 'stream', 'execute_reply', 'status']);
    expect(bundles(first)).toEqual([{ id: '0', auto_update: true, controls: [{ name: 'n', label: 'n', type: 'slider', min: 0, max: 10, step: 1, value: 5 }] }]);
    expect((first[2].content as DisplayDataContent).data['text/plain']).toBe('Interact f: n = 5 (its controls work on a Cellbox page)');
    expect(stdout(first)).toBe('25\n');

    // As the page does when the slider moves: the same cell again, with the values.
    const again = await run(box.url, SQUARE, 'python', { interact: { 0: { n: 8 } } });
    expect(bundles(again)[0].controls[0]).toMatchObject({ name: 'n', value: 8 });
    expect(stdout(again)).toBe('64\n');
    // Clamped to the slider's end, and a value of the wrong type falls back to the default.
    expect(stdout(await run(box.url, SQUARE, 'python', { interact: { 0: { n: 1000 } } }))).toBe('100\n');
    expect(stdout(await run(box.url, SQUARE, 'python', { interact: { 0: { n: 'eight' } } }))).toBe('25\n');
  });

  it('through /execute and a form post too', async () => {
    const r = await post(`${box.url}/api/v1/execute`, { code: SQUARE, interact: { 0: { n: 3 } } });
    expect(r.body).toMatchObject({ status: 'ok', stdout: '9\n' });
    const body = `code=${encodeURIComponent(SQUARE)}&interact=${encodeURIComponent('{"0": {"n": 4}}')}`;
    const formed = await post(`${box.url}/api/v1/execute`, body, form);
    expect(formed.body).toMatchObject({ status: 'ok', stdout: '16\n' });
  });

  it('makes auto controls from each kind of default, and explicit ones', async () => {
    const code = [
      '@interact',
      'def f(a=(1, 5), b=["x", "y"], c=True, d="s", e=2, g=slider(0, 1, 0.25, 0.5), h=selector(["p", "q"], buttons=True), k=color_selector("#ff0000")):',
      '    print(a, b, c, d, e, g, h, k)',
    ].join('\n');
    const ms = await run(box.url, code, 'python', { interact: { 0: { a: 2, b: 1, c: false, d: 't', e: '6', g: 1, h: 1, k: '#00ff00' } } });
    expect(bundles(ms)[0].controls.map((c) => [c.name, c.type, c.value])).toEqual([
      ['a', 'slider', 2], ['b', 'selector', 1], ['c', 'checkbox', false], ['d', 'input_box', 't'], ['e', 'input_box', '6'],
      ['g', 'slider', 1], ['h', 'selector', 1], ['k', 'color', '#00ff00'],
    ]);
    expect(stdout(ms)).toBe('2 y False t 6 1.0 q #00ff00\n');
  });

  it('takes keyword controls: interact(f, n=...) and @interact(n=...)', async () => {
    const called = await run(box.url, 'def f(n):\n    print("n", n)\ninteract(f, n=(0, 10));', 'python', { interact: { 0: { n: 2 } } });
    expect(stdout(called)).toBe('n 2\n');
    const decorated = await run(box.url, '@interact(n=(0, 10), auto_update=False)\ndef f(n):\n    print("n", n)');
    expect(bundles(decorated)[0]).toMatchObject({ auto_update: false, controls: [{ name: 'n', value: 5 }] });
    expect(stdout(decorated)).toBe('n 5\n');
  });

  it("takes an input grid's rows of texts back, kept with the cell, and runs with them", async () => {
    const code = '@interact\ndef f(A=input_grid(2, 2, default=[[1, 2], [3, 4]], to_value=lambda r: r[0][0] * r[1][1] - r[0][1] * r[1][0])):\n    print("det", A)';
    expect(bundles(await run(box.url, code))[0].controls[0]).toEqual({ name: 'A', label: 'A', type: 'input_grid', rows: 2, cols: 2, width: 4, value: [['1', '2'], ['3', '4']] });
    const values = { 0: { A: [['2', '0'], ['1', '5']] } };
    const created = await post(`${box.url}/api/v1/cells`, { code, interact: values });
    expect(created.status).toBe(201);
    const ms = await messagesUntilDone(box.url, created.body.id);
    expect(stdout(ms)).toBe('det 10\n');
    expect(bundles(ms)[0].controls[0].value).toEqual(values[0].A);
    expect((await get(`${box.url}/api/v1/cells/${created.body.id}`)).body.interact).toEqual(values);
  });

  it('numbers two interacts of one cell "0" and "1"', async () => {
    const code = '@interact\ndef f(n=(0, 10)):\n    print("f", n)\n@interact\ndef g(m=["a", "b"]):\n    print("g", m)';
    const ms = await run(box.url, code, 'python', { interact: { 0: { n: 1 }, 1: { m: 1 } } });
    expect(bundles(ms).map((b) => b.id)).toEqual(['0', '1']);
    expect(stdout(ms)).toBe('f 1\ng b\n');
  });

  it("keeps the controls when the function fails: its error is the cell's", async () => {
    const ms = await run(box.url, '@interact\ndef f(n=(0, 10)):\n    print(10 // (n - 5))', 'python', { interact: { 0: { n: 5 } } });
    expect(bundles(ms)).toHaveLength(1);
    expect(errorOf(ms)).toMatchObject({ ename: 'ZeroDivisionError' });
  });
});
