// The page's one long-poll for many cells, against a real server and device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessagesAnswer, PollAnswer } from '../../protocol/api';
import { request } from '../../embed/client';
import { Poller, type Follower } from '../../embed/poller';
import { post, startCellbox, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  // Two long-polls at most per client, so that a test can make the server answer 429.
  box = await startCellbox({ CELLBOX_LONG_POLLS_PER_CLIENT: '2' });
});

afterAll(async () => {
  await box?.stop();
});

/**
 * GETs JSON like the browser client, counting polls open at once. A poll stops counting when
 * it settles or is aborted: the poller moves on at the abort (a fetch may take a moment to
 * give up, and on a loaded machine it did), and the aborted request's connection is dropped.
 */
function counting() {
  const seen = { open: 0, maxOpen: 0, calls: 0, urls: [] as string[] };
  const get = async (url: string, init: RequestInit): Promise<PollAnswer> => {
    seen.calls++;
    seen.urls.push(url);
    seen.maxOpen = Math.max(seen.maxOpen, ++seen.open);
    let closed = false;
    const close = () => {
      if (!closed) {
        closed = true;
        seen.open--;
      }
    };
    init.signal?.addEventListener('abort', close, { once: true });
    try {
      const res = await fetch(url, init);
      const body = await res.json();
      if (!res.ok) throw Object.assign(new Error(body.error.message), { status: res.status });
      return body as PollAnswer;
    } finally {
      close();
    }
  };
  return { seen, get };
}

function follow(p: Poller, id: string): Promise<MessagesAnswer['messages']> {
  const all: MessagesAnswer['messages'] = [];
  return new Promise((resolve, reject) => {
    p.follow(id, 0, {
      onAnswer: (a) => {
        all.push(...a.messages);
        if (a.done) resolve(all);
      },
      onError: reject,
    });
  });
}

describe('the poller', () => {
  it('follows several cells, joining at different times, over one poll at a time', async () => {
    const { seen, get } = counting();
    const p = new Poller(box.url, get);
    const ids: string[] = [];
    const runs: Promise<MessagesAnswer['messages']>[] = [];
    for (const n of [1, 2, 3]) {
      const created = await post(`${box.url}/api/v1/cells`, { code: `import time\ntime.sleep(1 + ${n} / 10)\nprint(${n})` });
      ids.push(created.body.id);
      runs.push(follow(p, created.body.id));
      await new Promise((r) => setTimeout(r, 50));
    }
    const results = await Promise.all(runs);
    results.forEach((ms, i) => {
      const text = ms.filter((m) => m.header.msg_type === 'stream').map((m) => (m.content as { text: string }).text).join('');
      expect(text).toBe(`${i + 1}\n`);
      expect(ms.at(-1)?.content).toEqual({ execution_state: 'idle' });
    });
    expect(seen.maxOpen).toBe(1);
    // Polls after the last cell joined name all the cells still running.
    expect(seen.urls.some((u) => ids.every((id) => u.includes(id)))).toBe(true);
  });

  it('tells the followers when the server refuses the poll, without asking again', async () => {
    const { seen, get } = counting();
    const p = new Poller(box.url, get);
    const error = await follow(p, 'no-such-cell-id').catch((e) => e);
    expect(error.status).toBe(404);
    expect(seen.calls).toBe(1);
  });

  it('follows a cell through an outage of several seconds, from the last message seen', async () => {
    // The browser's own client (embed/client.ts) over real connections: while `down`, to a
    // port where nothing listens (refused at once, as when the web server restarts).
    let down = false;
    let calls = 0;
    const p = new Poller(box.url, (url, init) => {
      calls++;
      return request(down ? url.replace(box.url, 'http://127.0.0.1:9') : url, init);
    });
    const created = await post(`${box.url}/api/v1/cells`, { code: 'import time\nfor i in range(12):\n    print("tick", i, flush=True)\n    time.sleep(0.5)' });
    const seen: MessagesAnswer['messages'] = [];
    const retries: { status: number; ms: number }[] = [];
    let reconnects = 0;
    const done = new Promise<void>((resolve, reject) => {
      const follower: Follower = {
        onAnswer: (a) => {
          seen.push(...a.messages);
          if (a.done) resolve();
        },
        onError: reject,
        onRetry: (e, ms) => retries.push({ status: (e as { status: number }).status, ms }),
        onReconnect: () => reconnects++,
      };
      p.follow(created.body.id, 0, follower);
    });
    await new Promise((r) => setTimeout(r, 1000));
    down = true;
    const callsBefore = calls;
    // Longer than the 3.25 s the poller once waited before giving up; ticks go on meanwhile.
    await new Promise((r) => setTimeout(r, 4500));
    down = false;
    await done;
    expect(calls - callsBefore).toBeGreaterThanOrEqual(4);
    expect(retries.length).toBeGreaterThanOrEqual(3);
    expect(retries.every((r) => r.status === 0)).toBe(true);
    // Backing off, and never by more than the cap.
    expect(retries.map((r) => r.ms).slice(0, 3)).toEqual([250, 1000, 2000]);
    expect(Math.max(...retries.map((r) => r.ms))).toBeLessThanOrEqual(4000);
    expect(reconnects).toBe(1);
    // Every message once, in order: nothing lost over the outage, nothing handed over twice.
    const all = await (await fetch(`${box.url}/api/v1/cells/${created.body.id}/messages?after=0&wait=0`)).json();
    expect(all.done).toBe(true);
    expect(seen.map((m) => m.seq)).toEqual(all.messages.map((m: { seq: number }) => m.seq));
    const text = seen.filter((m) => m.header.msg_type === 'stream').map((m) => (m.content as { text: string }).text).join('');
    expect(text).toBe(Array.from({ length: 12 }, (_, i) => `tick ${i}\n`).join(''));
  });

  it('waits as long as a 429 says with Retry-After, then follows the cell', async () => {
    const p = new Poller(box.url, (url, init) => request(url, init));
    // Two long-polls held open, past all of a cell's messages, for 2 s: the limit is reached.
    const quiet = await post(`${box.url}/api/v1/cells`, { code: 'import time\ntime.sleep(3)' });
    const held = [1, 2].map(() => fetch(`${box.url}/api/v1/cells/${quiet.body.id}/messages?after=999999&wait=2`).then((r) => r.json()));
    await new Promise((r) => setTimeout(r, 300));
    const created = await post(`${box.url}/api/v1/cells`, { code: 'print("after the wait")' });
    const retries: { status: number; ms: number }[] = [];
    const text = await new Promise<string>((resolve, reject) => {
      let out = '';
      p.follow(created.body.id, 0, {
        onAnswer: (a) => {
          out += a.messages.filter((m) => m.header.msg_type === 'stream').map((m) => (m.content as { text: string }).text).join('');
          if (a.done) resolve(out);
        },
        onError: reject,
        onRetry: (e, ms) => retries.push({ status: (e as { status: number }).status, ms }),
      });
    });
    await Promise.all(held);
    expect(text).toBe('after the wait\n');
    // The server's Retry-After: 1, not the first backoff's 250 ms.
    expect(retries[0]).toEqual({ status: 429, ms: 1000 });
  });

  it('ends the open poll when a cell joins, and asks again with it at once', async () => {
    const { seen, get } = counting();
    const p = new Poller(box.url, get);
    const slow = await post(`${box.url}/api/v1/cells`, { code: 'import time\nprint("start", flush=True)\ntime.sleep(4)' });
    // After "start" the poll for the slow cell waits: nothing comes for four seconds.
    const slowDone = follow(p, slow.body.id);
    await new Promise((r) => setTimeout(r, 1500));
    const quick = await post(`${box.url}/api/v1/cells`, { code: 'print("quick")' });
    const began = Date.now();
    await follow(p, quick.body.id);
    expect(Date.now() - began).toBeLessThan(2500);
    await slowDone;
    expect(seen.maxOpen).toBe(1);
  });

  it('stops handing over messages of a cell no longer followed', async () => {
    const { get } = counting();
    const p = new Poller(box.url, get);
    const created = await post(`${box.url}/api/v1/cells`, { code: 'import time\ntime.sleep(0.3)\nprint("late")' });
    let answers = 0;
    const stop = p.follow(created.body.id, 0, { onAnswer: () => answers++, onError: () => {} });
    stop();
    const other = await post(`${box.url}/api/v1/cells`, { code: 'import time\ntime.sleep(0.6)' });
    await follow(p, other.body.id);
    expect(answers).toBe(0);
  });

});
