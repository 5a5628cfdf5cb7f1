// The API's answers where HTTP and the framework meet, through the real server: a cell's state
// while it waits for its worker, interrupts that change nothing, a React Server Components
// fetch, a preflight of no route, a file's revalidation by date, `Expect: 100-continue`, and a
// form's blank inputs.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../store/config';
import { errorOf, get, messagesUntilDone, post, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';
import { holdWriteLock } from '../helpers/database-lock';

const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
const ORIGIN = 'https://course.example';

let box: Cellbox;
let configDir: string;

beforeAll(async () => {
  configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-edges-'));
  // A language whose worker does not come within the test (a runtime that hangs as it starts),
  // with no warm spare: its cell stays taken and waiting, `starting`.
  const bash = DEFAULTS.languages.find((l) => l.name === 'bash')!;
  const stuck = { ...bash, name: 'stuck', display_name: 'Stuck Bash', pool: 0, command: ['/usr/bin/bash', '-c', 'sleep 600; exec /usr/bin/bash /opt/cellbox/workers/bash/kernel.sh'] };
  fs.writeFileSync(path.join(configDir, 'cellbox.config.json'), JSON.stringify({ languages: [...DEFAULTS.languages, stuck] }));
  box = await startCellbox({
    CELLBOX_CONFIG: path.join(configDir, 'cellbox.config.json'),
    CELLBOX_LANGUAGES: 'python,javascript,bash,stuck',
    // A cell that ignores the interrupt keeps running this long after it: flagged, not done.
    CELLBOX_INTERRUPT_GRACE_SECONDS: '30',
  });
}, 90_000);

afterAll(async () => {
  await box?.stop();
  if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
});

describe('GET /api/v1/cells/:id', () => {
  it('says `starting` for a cell taken and waiting for its worker, as the long-polls do, `running` once its messages begin', async () => {
    const waiting = await post(`${box.url}/api/v1/cells?wait=2`, { code: 'echo never', language: 'stuck' });
    expect(waiting.status).toBe(201);
    expect(waiting.body.answer.state).toBe('starting');
    const id = waiting.body.id;
    const cell = await get(`${box.url}/api/v1/cells/${id}`);
    expect(cell.status).toBe(200);
    // `status` is the queue's, as before; `state` the long-polls' word for it.
    expect(cell.body).toMatchObject({ id, status: 'running', state: 'starting', finished: null });

    const running = await post(`${box.url}/api/v1/cells?wait=10`, { code: 'import time\nprint("on", flush=True)\ntime.sleep(3)' });
    expect(running.body.answer.messages.length).toBeGreaterThan(0);
    expect((await get(`${box.url}/api/v1/cells/${running.body.id}`)).body).toMatchObject({ status: 'running', state: 'running' });
    await messagesUntilDone(box.url, running.body.id);
    expect((await get(`${box.url}/api/v1/cells/${running.body.id}`)).body).toMatchObject({ status: 'done', state: 'done' });

    // Stopped, the waiting cell ends at once, without waiting for its worker.
    expect((await post(`${box.url}/api/v1/cells/${id}/interrupt`, '')).status).toBe(202);
    expect(errorOf(await messagesUntilDone(box.url, id))?.ename).toBe('Interrupted');
    expect((await get(`${box.url}/api/v1/cells/${id}`)).body.state).toBe('done');
  }, 60_000);
});

describe('HEAD on the long-polls', () => {
  // It waited as GET does, up to the default 25 s, for messages it would never be sent: a link
  // checker or a monitor asking whether a cell is there held a connection that long.
  it('answers at once, with the headers of the GET, for a cell with nothing new', async () => {
    const waiting = await post(`${box.url}/api/v1/cells?wait=0`, { code: 'echo never', language: 'stuck' });
    expect(waiting.status).toBe(201);
    const id = waiting.body.id as string;
    try {
      for (const path of [`/api/v1/cells/${id}/messages?after=0&state=starting`, `/api/v1/poll?c=${id}:0:starting`, `/api/v1/cells/${id}/messages?wait=20`]) {
        const r = await fetch(`${box.url}${path}`, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
        expect(r.status, path).toBe(200);
        expect(r.headers.get('content-type'), path).toMatch(/^application\/json/);
        expect(Number(r.headers.get('content-length')), path).toBeGreaterThan(0);
        expect(await r.text(), path).toBe('');
      }
      // A bad wait is still named.
      const bad = await fetch(`${box.url}/api/v1/cells/${id}/messages?wait=99`, { method: 'HEAD' });
      expect(bad.status).toBe(400);
      // The cell itself has not moved: the answers came without waiting for it.
      expect((await get(`${box.url}/api/v1/cells/${id}`)).body.state).toBe('starting');
    } finally {
      await post(`${box.url}/api/v1/cells/${id}/interrupt`, '');
    }
  }, 60_000);
});

describe('POST /api/v1/cells/:id/interrupt that changes nothing', () => {
  // Each took the write lock: behind another process's lock it waited out the busy timeout and
  // was a 503, and a client sending Stop again and again queued write after write.
  it('is a read: answered while another process holds the write lock, for a done, an unknown and an already stopping cell', async () => {
    const done = (await post(`${box.url}/api/v1/cells`, { code: 'print(1)' })).body.id;
    await messagesUntilDone(box.url, done);
    // Ignores SIGINT: flagged by the first interrupt, it runs on through the 30 s grace.
    const stopping = await post(`${box.url}/api/v1/cells?wait=10`, { code: 'import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nprint("on", flush=True)\ntime.sleep(60)' });
    expect(stopping.body.answer.messages.length).toBeGreaterThan(0);
    expect((await post(`${box.url}/api/v1/cells/${stopping.body.id}/interrupt`, '')).status).toBe(202);

    const released = await holdWriteLock(path.join(box.dataDir, 'cellbox.sqlite'), 7000);
    try {
      const [again, late, unknown] = await Promise.all([
        post(`${box.url}/api/v1/cells/${stopping.body.id}/interrupt`, ''),
        post(`${box.url}/api/v1/cells/${done}/interrupt`, ''),
        post(`${box.url}/api/v1/cells/AAAAAAAAAAAA/interrupt`, ''),
      ]);
      expect(again.status).toBe(202);
      expect(again.body).toMatchObject({ id: stopping.body.id, status: 'running', state: 'running' });
      expect(late.status).toBe(202);
      expect(late.body).toMatchObject({ id: done, status: 'done', state: 'done' });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('not_found');
    } finally {
      await released();
    }
    // The first interrupt still stops it, after its grace.
    const ms = await messagesUntilDone(box.url, stopping.body.id);
    expect(stdout(ms)).toBe('on\n');
    expect(errorOf(ms)?.ename).toBe('Interrupted');
  }, 90_000);
});

describe('a React Server Components fetch (RSC: 1) of a route that is no page', () => {
  // Was Next.js's 307 to the same URL with `?_rsc=…`, with no CORS headers and no body.
  it('is answered as any request, with the API\'s JSON and CORS headers', async () => {
    const rsc = { RSC: '1', 'Next-Router-State-Tree': '%5B%22%22%5D', Origin: ORIGIN };
    for (const [p, status] of [['/api/v1/languages', 200], ['/api/v1/nothing', 404], ['/api/v1/snippets/AAAAAAAAAA', 404], ['/healthz', 200]] as const) {
      const r = await fetch(`${box.url}${p}`, { headers: rsc, redirect: 'manual' });
      expect(r.status, p).toBe(status);
      expect(r.headers.get('location'), p).toBeNull();
      expect(r.headers.get('access-control-allow-origin'), p).toBe('*');
      expect(r.headers.get('content-type'), p).toMatch(/^application\/json/);
      const body = await r.json();
      if (status === 404) expect(body.error.code, p).toBe('not_found');
    }
  });
});

describe('/api itself', () => {
  it('is the API\'s 404 in JSON, not the HTML page', async () => {
    // A client trying the root of the API first got the site's HTML 404 page.
    const r = await fetch(`${box.url}/api`, { headers: { Origin: ORIGIN } });
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect((await r.json()).error).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no API route \/api;/) });
  });
});

describe('OPTIONS on a path under /api/ that is no route', () => {
  // Was a 204, as for a route: the browser then sent the request, to meet the 404.
  it('is the API\'s 404 in JSON, with the CORS headers', async () => {
    const r = await fetch(`${box.url}/api/v1/nothing`, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' } });
    expect(r.status).toBe(404);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect((await r.json()).error).toMatchObject({ code: 'not_found', message: expect.stringMatching(/no API route \/api\/v1\/nothing/) });
    // A route's preflight is as before.
    const route = await fetch(`${box.url}/api/v1/cells`, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' } });
    expect(route.status).toBe(204);
  });
});

describe('OPTIONS on /healthz and /metrics', () => {
  // Was Next.js's own 204 with `Allow` alone: no CORS headers, so a browser refused the request
  // of a status page on another origin that sends a header of its own.
  it('is the CORS preflight, as on the API\'s routes', async () => {
    for (const p of ['/healthz', '/metrics']) {
      const r = await fetch(`${box.url}${p}`, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'content-type' } });
      expect(r.status, p).toBe(204);
      expect(r.headers.get('access-control-allow-origin'), p).toBe('*');
      expect(r.headers.get('access-control-allow-methods'), p).toBe('GET, POST, OPTIONS');
      expect(r.headers.get('access-control-allow-headers'), p).toMatch(/^Content-Type\b/);
    }
  });
});

describe('a static path that names no file served', () => {
  // Next.js looked in public/ itself for a path the assets passed on, and a file there that they
  // do not serve (the build's stamp, public/mathjax/.version) was a 500.
  it('is the 404 page, a dot-file of the build and an absent file alike', async () => {
    expect(fs.existsSync(path.join(process.cwd(), 'public/mathjax/.version'))).toBe(true);
    for (const p of ['/mathjax/.version', '/mathjax/none.js', '/_next/static/none.js', '/viewer3d/.x']) {
      for (const method of ['GET', 'HEAD']) {
        const r = await fetch(`${box.url}${p}`, { method });
        expect(r.status, `${method} ${p}`).toBe(404);
        expect(r.headers.get('content-type'), `${method} ${p}`).toMatch(/^text\/html/);
        if (method === 'GET') expect(await r.text()).toContain('</html>');
      }
    }
  });
});

describe('a file revalidated by date', () => {
  // If-Modified-Since was ignored: the whole file each time.
  it('is 304 for If-Modified-Since at or after Last-Modified, unless If-None-Match decides', async () => {
    const { id } = (await post(`${box.url}/api/v1/cells`, { code: 'open("a.txt", "w").write("hello")' })).body;
    await messagesUntilDone(box.url, id);
    const url = `${box.url}/files/${id}/a.txt`;
    const first = await fetch(url);
    expect(await first.text()).toBe('hello');
    const lastModified = first.headers.get('last-modified')!;
    const etag = first.headers.get('etag')!;
    expect(Date.parse(lastModified)).toBeLessThanOrEqual(Date.now());

    const same = await fetch(url, { headers: { 'If-Modified-Since': lastModified } });
    expect(same.status).toBe(304);
    expect(same.headers.get('etag')).toBe(etag);
    expect(same.headers.get('last-modified')).toBe(lastModified);
    expect((await same.arrayBuffer()).byteLength).toBe(0);
    const later = new Date(Date.parse(lastModified) + 3600_000).toUTCString();
    expect((await fetch(url, { headers: { 'If-Modified-Since': later } })).status).toBe(304);

    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    const changed = await fetch(url, { headers: { 'If-Modified-Since': earlier } });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toBe('hello');
    // Not an HTTP-date: ignored (Date.parse would read "3000" as a year to come).
    expect((await fetch(url, { headers: { 'If-Modified-Since': '3000' } })).status).toBe(200);
    // If-None-Match decides alone when both come (RFC 9110 §13.2.2).
    expect((await fetch(url, { headers: { 'If-None-Match': '"other"', 'If-Modified-Since': lastModified } })).status).toBe(200);
    expect((await fetch(url, { headers: { 'If-None-Match': etag, 'If-Modified-Since': earlier } })).status).toBe(304);
  });
});

describe('Expect: 100-continue', () => {
  /**
   * Sends a request's head with `Expect: 100-continue` and a declared length; on "100 Continue"
   * sends `body`, if given (else stops there). Returns the statuses answered, and the final
   * answer's body.
   */
  const expecting = (p: string, length: number, body?: string) => new Promise<{ statuses: number[]; body: string }>((resolve, reject) => {
    const statuses: number[] = [];
    let buffer = Buffer.alloc(0);
    const socket = net.connect(box.port, '127.0.0.1', () => {
      socket.write(`POST ${p} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`);
    });
    const done = (text: string) => {
      socket.destroy();
      resolve({ statuses, body: text });
    };
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString();
        const status = Number(head.split(' ')[1]);
        if (status === 100) {
          statuses.push(100);
          buffer = buffer.subarray(end + 4);
          if (body === undefined) return done('');
          socket.write(body);
          continue;
        }
        const size = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? NaN);
        if (!(buffer.length >= end + 4 + size)) return;
        statuses.push(status);
        return done(buffer.subarray(end + 4, end + 4 + size).toString());
      }
    });
  });

  // Node.js said "100 Continue" to each, and the client sent its body only to be refused.
  for (const p of ['/api/v1/cells', '/api/v1/snippets', '/api/v1/execute', '/']) {
    it(`POST ${p} declaring a body over the limit is answered 413 at once, without 100 Continue`, async () => {
      const r = await expecting(p, 40 * 1024 * 1024);
      expect(r.statuses).toEqual([413]);
      expect(JSON.parse(r.body).error).toMatchObject({ code: 'too_large', message: expect.stringMatching(/41943040 bytes; the limit is 524288/) });
    });
  }

  it('a body within the limit is told to come, and taken', async () => {
    const body = JSON.stringify({ code: 'print(6 * 7)' });
    const r = await expecting('/api/v1/cells', Buffer.byteLength(body), body);
    expect(r.statuses).toEqual([100, 201]);
    expect(stdout(await messagesUntilDone(box.url, JSON.parse(r.body).id))).toBe('42\n');
  });
});

describe('a form with blank inputs', () => {
  // An HTML form sends a blank input as `timeout=`: it was 400 "timeout must be a number".
  it('takes an empty optional field as not given, in a form only', async () => {
    const r = await post(`${box.url}/api/v1/cells`, 'code=print(6*7)&language=&timeout=', form);
    expect(r.status).toBe(201);
    expect(stdout(await messagesUntilDone(box.url, r.body.id))).toBe('42\n');
    const snippet = await post(`${box.url}/api/v1/snippets`, 'code=print(1)&language=python&title=', form);
    expect(snippet.status).toBe(201);
    // A required field is not optional for being empty, nor is JSON's empty string a blank input.
    const noLanguage = await post(`${box.url}/api/v1/snippets`, 'code=print(1)&language=', form);
    expect(noLanguage.status).toBe(400);
    expect(noLanguage.body.error.message).toMatch(/language/);
    const json = await post(`${box.url}/api/v1/cells`, { code: 'print(1)', timeout: '' });
    expect(json.status).toBe(400);
    expect(json.body.error).toMatchObject({ code: 'invalid_field', message: 'timeout must be a number of seconds' });
    // Still given twice, though empty.
    const twice = await post(`${box.url}/api/v1/cells`, 'code=1&timeout=&timeout=', form);
    expect(twice.status).toBe(400);
    expect(twice.body.error.message).toMatch(/"timeout" more than once/);
  });
});
