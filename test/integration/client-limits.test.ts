// Per-client limits on a real server: past the burst, cells are refused at once with 429 and
// Retry-After; past the long-poll limit, a new long-poll is refused while the others wait on;
// a forged X-Forwarded-For does not buy a new allowance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, messagesUntilDone, post, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;
let sleeper: string;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_CELLS_PER_MINUTE: '6', CELLBOX_CELLS_BURST: '3', CELLBOX_LONG_POLLS_PER_CLIENT: '2' });
});

afterAll(async () => {
  await box?.stop();
});

describe('client limits', () => {
  it('refuse cells past the burst at once, naming the limit, even with a forged X-Forwarded-For', async () => {
    const codes = ['import time\nprint("up", flush=True)\ntime.sleep(25)', 'pass', 'pass', 'pass', 'pass'];
    const answers = [];
    for (const [i, code] of codes.entries()) {
      answers.push(await post(`${box.url}/api/v1/cells`, { code }, { 'Content-Type': 'application/json', 'X-Forwarded-For': `198.51.100.${i}` }));
    }
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 429, 429]);
    sleeper = answers[0].body.id;
    expect(answers[3].body.error).toMatchObject({ code: 'rate_limited', message: expect.stringMatching(/at most 6 a minute \(3 at once\)\. Try again in \d+ s/) });
    expect(Number(answers[3].headers.get('retry-after'))).toBeGreaterThan(0);
    // Snippets count against the same allowance.
    expect((await post(`${box.url}/api/v1/snippets`, { code: 'x', language: 'python' })).status).toBe(429);
  });

  it('refuse a long-poll past the limit at once, while the open ones wait on', async () => {
    await get(`${box.url}/api/v1/cells/${sleeper}/messages?after=0&wait=10`);
    const controller = new AbortController();
    const waiting = [0, 1].map(() => fetch(`${box.url}/api/v1/cells/${sleeper}/messages?after=3&wait=20`, { signal: controller.signal }).then((r) => r.status, () => 'aborted'));
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    const third = await get(`${box.url}/api/v1/poll?c=${sleeper}:3&wait=20`);
    expect(third.status).toBe(429);
    expect(third.body.error.message).toMatch(/at most 2/);
    expect(Date.now() - started).toBeLessThan(2000);
    // A read without waiting holds no slot.
    expect((await get(`${box.url}/api/v1/cells/${sleeper}/messages?after=0&wait=0`)).status).toBe(200);
    controller.abort();
    expect(await Promise.all(waiting)).toEqual(['aborted', 'aborted']);
    // The slots are free again once those requests are gone.
    await new Promise((r) => setTimeout(r, 300));
    const again = await get(`${box.url}/api/v1/cells/${sleeper}/messages?after=3&wait=1`);
    expect(again.status).toBe(200);
    await post(`${box.url}/api/v1/cells/${sleeper}/interrupt`, '');
  });
});

describe('a new cell that waits for its first messages', () => {
  let box2: Cellbox;
  beforeAll(async () => {
    // One cell at a time: a cell posted while another runs stays queued, so its POST waits.
    box2 = await startCellbox({ CELLBOX_CELLS_PER_MINUTE: '0', CELLBOX_LONG_POLLS_PER_CLIENT: '1', CELLBOX_CONCURRENCY: '1' });
  });
  afterAll(async () => {
    await box2?.stop();
  });

  it('holds one of its client long-polls: past the limit the cell is still queued, answered at once', async () => {
    const kept = () => get(`${box2.url}/metrics`).then((r) => String(r.body).split('\n').filter((l) => l.startsWith('cellbox_cells{')).reduce((n, l) => n + Number(l.split(' ')[1]), 0));
    const sleeper = (await post(`${box2.url}/api/v1/cells`, { code: 'import time\nprint("up", flush=True)\ntime.sleep(25)' })).body.id;
    await get(`${box2.url}/api/v1/cells/${sleeper}/messages?after=0&wait=10`);
    // Queued behind the sleeper, this POST waits its whole second and a half, holding the
    // client's only long-poll: a long-poll meanwhile is refused.
    const waiting = post(`${box2.url}/api/v1/cells?wait=1.5`, { code: 'print(2)' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await get(`${box2.url}/api/v1/cells/${sleeper}/messages?after=3&wait=5`)).status).toBe(429);
    const waited = await waiting;
    expect(waited.status).toBe(201);
    expect(waited.body.answer).toEqual({ messages: [], next: 0, done: false, state: 'queued' });
    // With the slot held by a long-poll, a POST that asks to wait is queued and answered at once.
    const controller = new AbortController();
    const open = fetch(`${box2.url}/api/v1/cells/${sleeper}/messages?after=3&wait=20`, { signal: controller.signal }).then((r) => r.status, () => 'aborted');
    await new Promise((r) => setTimeout(r, 500));
    const before = await kept();
    const started = Date.now();
    const unwaited = await post(`${box2.url}/api/v1/cells?wait=20`, { code: 'print(1)' });
    expect(unwaited.status).toBe(201);
    expect(unwaited.body.answer).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await kept()).toBe(before + 1);
    controller.abort();
    expect(await open).toBe('aborted');
    await post(`${box2.url}/api/v1/cells/${sleeper}/interrupt`, '');
    for (const id of [waited.body.id, unwaited.body.id]) expect(stdout(await messagesUntilDone(box2.url, id))).toMatch(/^[12]\n$/);
  });
});
