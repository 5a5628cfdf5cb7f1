// The web server dies with SIGKILL while clients hold long-polls: they get an error at once,
// not a hang; the cell runs on in the device; a restarted web server hands out every message.
// Stopped with SIGTERM, it answers the waiting long-polls with what they have before it goes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, messagesUntilDone, post, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox();
});

afterAll(async () => {
  await box?.stop();
});

describe('web server restart', () => {
  it('fails open long-polls at once, and loses nothing of the running cell', async () => {
    const created = await post(`${box.url}/api/v1/cells`, { code: 'import time\nprint("before", flush=True)\ntime.sleep(3)\nprint("after")' });
    const first = await get(`${box.url}/api/v1/cells/${created.body.id}/messages?after=2&wait=15`);
    expect(stdout(first.body.messages)).toBe('before\n');
    const waiting = fetch(`${box.url}/api/v1/cells/${created.body.id}/messages?after=${first.body.next}&wait=25`).then(
      (r) => `answered ${r.status}`,
      (e: Error) => `failed: ${e.message}`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = Date.now();
    await box.killWeb('SIGKILL');
    expect(await waiting).toMatch(/^failed/);
    expect(Date.now() - killedAt).toBeLessThan(2000);

    await box.startWeb();
    const all = await messagesUntilDone(box.url, created.body.id);
    expect(stdout(all)).toBe('before\nafter\n');
    expect(all.at(-1)?.content).toEqual({ execution_state: 'idle' });
    expect(all.map((m) => m.seq)).toEqual(all.map((_, i) => i + 1));
  });

  // They were cut with the connections (curl: "empty reply from server"); a client could not
  // tell that from a crash, nor knew where it was.
  it('stopped with SIGTERM, answers the waiting long-polls, a POST /execute included, before it goes', async () => {
    const created = await post(`${box.url}/api/v1/cells`, { code: 'import time\nprint("before", flush=True)\ntime.sleep(3)\nprint("after")' });
    const first = await get(`${box.url}/api/v1/cells/${created.body.id}/messages?after=2&wait=15`);
    expect(stdout(first.body.messages)).toBe('before\n');
    const answered = (r: Response) => r.json().then((body) => ({ status: r.status, body }));
    const longPoll = fetch(`${box.url}/api/v1/cells/${created.body.id}/messages?after=${first.body.next}&wait=25`).then(answered);
    const poll = fetch(`${box.url}/api/v1/poll?c=${created.body.id}:${first.body.next}&wait=25`).then(answered);
    const execute = fetch(`${box.url}/api/v1/execute`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: 'import time\ntime.sleep(2)' }) }).then(answered);
    await new Promise((r) => setTimeout(r, 300));
    await box.killWeb('SIGTERM');
    expect(await longPoll).toEqual({ status: 200, body: { messages: [], next: first.body.next, done: false, state: 'running' } });
    expect(await poll).toEqual({ status: 200, body: { cells: { [created.body.id]: { messages: [], next: first.body.next, done: false, state: 'running' } } } });
    const executed = await execute;
    expect(executed.status).toBe(202);
    expect(executed.body.status).toMatch(/^(queued|running)$/);

    await box.startWeb();
    const all = await messagesUntilDone(box.url, created.body.id);
    expect(stdout(all)).toBe('before\nafter\n');
    expect((await messagesUntilDone(box.url, executed.body.id)).at(-1)?.content).toEqual({ execution_state: 'idle' });
  });
});
