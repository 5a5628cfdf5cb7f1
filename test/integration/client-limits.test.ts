// Per-client limits on a real server: past the burst, cells are refused at once with 429 and
// Retry-After; past the long-poll limit, a new long-poll is refused while the others wait on;
// a forged X-Forwarded-For does not buy a new allowance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, startCellbox, type Cellbox } from '../helpers/cellbox';

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
