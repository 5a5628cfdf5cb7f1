// The page's one long-poll for many cells, against a real server and device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessagesAnswer, PollAnswer } from '../../protocol/api';
import { Poller } from '../../embed/poller';
import { post, startCellbox, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox();
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

  it('retries a server that cannot be reached, then gives up with the error', async () => {
    const { seen, get } = counting();
    const p = new Poller('http://127.0.0.1:9', get);
    const error = await follow(p, 'some-cell').catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(seen.calls).toBe(4);
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
