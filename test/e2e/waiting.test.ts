// A cell that waits before it starts says so. The device writes a cell's first message only
// once it has a worker (so that a cell that never started is queued again after a restart), and
// a language's first cells after a start wait seconds for one: Sage's fork server loads for
// 12-15 s. The cell then looked dead, "Running… 9.3 s" with nothing under it. Here workers are
// really slow to come: a language whose sandbox sleeps before its kernel starts, with no warm
// spare (pool 0), and Sage with none, whose fork server only starts at the first cell.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEFAULTS } from '../../store/config';
import { errorOf, get, messagesUntilDone, post, startCellbox, stdout, types, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, setCode, type Watched } from '../helpers/browser';

const sage = fs.existsSync('/usr/lib/python3/dist-packages/sage');
/** Seconds the slow language's sandbox sleeps before its kernel starts. */
const SLOW_START_S = 6;

let box: Cellbox;
let browser: Browser;
let w: Watched;
let configDir: string;

beforeAll(async () => {
  configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-waiting-'));
  const bash = DEFAULTS.languages.find((l) => l.name === 'bash')!;
  const slow = { ...bash, name: 'slow', display_name: 'Slow Bash', pool: 0, command: ['/usr/bin/bash', '-c', `sleep ${SLOW_START_S}; exec /usr/bin/bash /opt/cellbox/workers/bash/kernel.sh`] };
  // One whose worker does not come within the test: a runtime that hangs as it starts.
  const stuck = { ...slow, name: 'stuck', display_name: 'Stuck Bash', command: ['/usr/bin/bash', '-c', 'sleep 600; exec /usr/bin/bash /opt/cellbox/workers/bash/kernel.sh'] };
  const languages = [...DEFAULTS.languages.map((l) => (l.name === 'sage' ? { ...l, pool: 0 } : l)), slow, stuck];
  fs.writeFileSync(path.join(configDir, 'cellbox.config.json'), JSON.stringify({ languages }));
  [box, browser] = await launchBeside(startCellbox({
    CELLBOX_CONFIG: path.join(configDir, 'cellbox.config.json'),
    CELLBOX_LANGUAGES: `python,javascript,bash,slow,stuck${sage ? ',sage' : ''}`,
    // One cell at a time: a second one waits in the queue.
    CELLBOX_CONCURRENCY: '1',
  }));
  w = await openPage(browser, `${box.url}/`);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await box?.stop();
  if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
});

/** Runs `code` in the page's cell and returns every status line it showed until it was done. */
async function statusesOfRun(language: string, code: string, timeout: number): Promise<string[]> {
  await w.page.selectOption('.cb-lang', language);
  await setCode(w.page, code);
  // Every text the status line takes, recorded in the page: none is missed between two looks.
  await w.page.evaluate(() => {
    const status = document.querySelector('.cb-status')!;
    const seen: string[] = [];
    (window as unknown as { seen: string[] }).seen = seen;
    new MutationObserver(() => seen.push(status.textContent ?? '')).observe(status, { childList: true, characterData: true, subtree: true });
  });
  await w.page.keyboard.press('Shift+Enter');
  await w.page.locator('.cb-status', { hasText: /Done in|Error/ }).waitFor({ timeout });
  return w.page.evaluate(() => (window as unknown as { seen: string[] }).seen);
}

describe('a cell waiting for its worker', () => {
  it('says in the poll answer whether it is queued, starting, running or done', async () => {
    const first = await post(`${box.url}/api/v1/cells?wait=1`, { code: 'echo up', language: 'slow' });
    expect(first.status).toBe(201);
    // The device has it (the only one), and waits for its worker: no message yet.
    expect(first.body.answer).toEqual({ messages: [], next: 0, done: false, state: 'starting' });
    // Behind it, with one cell at a time, the next one waits for a place.
    const second = await post(`${box.url}/api/v1/cells?wait=0.5`, { code: 'print(2)' });
    expect(second.body.answer).toEqual({ messages: [], next: 0, done: false, state: 'queued' });
    const poll = await get(`${box.url}/api/v1/poll?c=${first.body.id}:0&c=${second.body.id}:0&wait=0`);
    expect(poll.body.cells[first.body.id].state).toBe('starting');
    expect(poll.body.cells[second.body.id].state).toBe('queued');

    expect(stdout(await messagesUntilDone(box.url, first.body.id))).toBe('up\n');
    expect(stdout(await messagesUntilDone(box.url, second.body.id))).toBe('2\n');
    const done = await get(`${box.url}/api/v1/cells/${second.body.id}/messages?after=0&wait=0`);
    expect(done.body).toMatchObject({ done: true, state: 'done' });
    // Once its messages have begun, and before its end, it is running.
    const third = await post(`${box.url}/api/v1/cells?wait=5`, { code: 'import time\nprint("on", flush=True)\ntime.sleep(2)' });
    expect(third.body.answer.messages.length).toBeGreaterThan(0);
    expect(third.body.answer).toMatchObject({ done: false, state: 'running' });
    await messagesUntilDone(box.url, third.body.id);
  }, 60_000);

  it('answers a long-poll that says the state it saw as soon as that state moves, before any message', async () => {
    // A long cell holds the only place; behind it, a cell whose worker takes SLOW_START_S to come.
    const ahead = await post(`${box.url}/api/v1/cells?wait=1`, { code: 'sleep 3; echo ahead', language: 'bash' });
    expect(ahead.body.answer.state).toBe('running');
    const behind = await post(`${box.url}/api/v1/cells?wait=0.2`, { code: 'echo behind', language: 'slow' });
    expect(behind.body.answer.state).toBe('queued');
    const id = behind.body.id;
    // The device's claim (queued to starting) writes no message: without `state` the poll slept
    // on until the cell's first message, SLOW_START_S after it, and the page said "Waiting in
    // the queue…" all that time.
    const claimed = await get(`${box.url}/api/v1/poll?c=${id}:0:queued&wait=25`);
    expect(claimed.status).toBe(200);
    expect(claimed.body.cells[id]).toEqual({ messages: [], next: 0, done: false, state: 'starting' });
    // It came on the claim: the cell ahead had ended (and the slow worker not yet come).
    expect((await get(`${box.url}/api/v1/cells/${ahead.body.id}`)).body.state).toBe('done');
    // The one-cell long-poll takes it too; a state that differs already answers at once.
    const now = await get(`${box.url}/api/v1/cells/${id}/messages?after=0&state=queued&wait=25`);
    expect(now.body).toEqual({ messages: [], next: 0, done: false, state: 'starting' });
    // Told `starting`, it waits for what comes next: the cell's first messages.
    const begun = await get(`${box.url}/api/v1/cells/${id}/messages?after=0&state=starting&wait=25`);
    expect(begun.body.messages.length).toBeGreaterThan(0);
    expect(begun.body.state).not.toBe('starting');
    expect(stdout(await messagesUntilDone(box.url, id))).toBe('behind\n');
  }, 60_000);

  it('refuses a state that is not one', async () => {
    const cell = await post(`${box.url}/api/v1/cells?wait=5`, { code: 'echo x', language: 'bash' });
    const one = await get(`${box.url}/api/v1/cells/${cell.body.id}/messages?state=waiting&wait=0`);
    expect(one.status).toBe(400);
    expect(one.body.error).toMatchObject({ code: 'invalid_field', message: expect.stringContaining('state must be one of queued, starting, running, done') });
    const many = await get(`${box.url}/api/v1/poll?c=${cell.body.id}:0:Queued&wait=0`);
    expect(many.status).toBe(400);
    expect(many.body.error.message).toContain('queued, starting, running, done');
    await messagesUntilDone(box.url, cell.body.id);
  });

  it('says in the page that a cell left the queue for its worker, as soon as it did', async () => {
    // The cell ahead holds the only place for a few seconds, posted past the page.
    const ahead = await post(`${box.url}/api/v1/cells?wait=1`, { code: 'sleep 4; echo ahead', language: 'bash' });
    expect(ahead.body.answer.state).toBe('running');
    const seen = await statusesOfRun('slow', 'echo "after the queue"', 60_000);
    const queued = seen.findIndex((s) => s.startsWith('Waiting in the queue…'));
    const starting = seen.findIndex((s) => s.startsWith('Starting a worker for Slow Bash…'));
    // It waited in the queue, then for its worker: the page's long-poll was answered at the
    // claim, not at the first message (then it went from the queue straight to its output).
    expect(queued).toBeGreaterThanOrEqual(0);
    expect(starting).toBeGreaterThan(queued);
    expect(seen.at(-1)).toMatch(/^Done in/);
    expect(await w.page.locator('.cb-output').textContent()).toContain('after the queue');
  }, 90_000);

  it('says in the page that its worker is starting, then shows the output', async () => {
    const seen = await statusesOfRun('slow', 'echo "after the wait"', 60_000);
    expect(seen.some((s) => /^Starting a worker for Slow Bash… \d/.test(s))).toBe(true);
    // Until the worker came; then it ran, and the status line said so.
    expect(seen.at(-1)).toMatch(/^Done in/);
    expect(await w.page.locator('.cb-output').textContent()).toContain('after the wait');
  }, 90_000);

  it.skipIf(!sage)('says so for the first Sage cell after a start, which waits for the Sage fork server', async () => {
    const seen = await statusesOfRun('sage', 'print(factor(2^32 + 1))', 120_000);
    expect(seen.some((s) => /^Starting a worker for SageMath… \d/.test(s))).toBe(true);
    expect(seen.at(-1)).toMatch(/^Done in/);
    expect(await w.page.locator('.cb-output').textContent()).toContain('641 * 6700417');
  }, 150_000);

  it('ends at once when stopped while its worker is being made, and the next cell runs', async () => {
    // It waited for its worker all the same, however long that took: Stop said "Stopping…"
    // for the 10-15 s of Sage's first fork server, and for ever here.
    const cell = await post(`${box.url}/api/v1/cells?wait=1`, { code: 'echo never', language: 'stuck' });
    expect(cell.body.answer.state).toBe('starting');
    expect((await post(`${box.url}/api/v1/cells/${cell.body.id}/interrupt`, '')).status).toBe(202);
    const ms = await messagesUntilDone(box.url, cell.body.id);
    expect(types(ms)).toEqual(['status', 'execute_input', 'error', 'execute_reply', 'status']);
    expect(errorOf(ms)?.ename).toBe('Interrupted');
    // Its place (one cell at a time here) is free again.
    const next = await post(`${box.url}/api/v1/cells`, { code: 'echo next', language: 'bash' });
    expect(stdout(await messagesUntilDone(box.url, next.body.id))).toBe('next\n');
  }, 60_000);
});
