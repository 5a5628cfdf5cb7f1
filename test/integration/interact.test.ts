// Interacts over HTTP against a real web server and device: a cell's `interact` values are
// taken (JSON and form), kept with the cell and shown by GET /cells/:id, and handed to the
// worker with the code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, messagesUntilDone, post, run, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';

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

