// Bad requests get a clear 4xx naming what is wrong, never a 500; past the queue limit, 503.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, startCellbox, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox();
});

afterAll(async () => {
  await box?.stop();
});

const json = { 'Content-Type': 'application/json' };

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  status: number;
  code: string;
  message: RegExp;
}

const cases: Case[] = [
  { name: 'malformed JSON', method: 'POST', path: '/api/v1/cells', body: '{"code": ', headers: json, status: 400, code: 'invalid_json', message: /not valid JSON/ },
  { name: 'empty body', method: 'POST', path: '/api/v1/cells', body: '', headers: json, status: 400, code: 'invalid_json', message: /empty/ },
  { name: 'JSON that is not an object', method: 'POST', path: '/api/v1/cells', body: '[1,2]', headers: json, status: 400, code: 'invalid_field', message: /JSON object/ },
  { name: 'missing code', method: 'POST', path: '/api/v1/cells', body: '{"language":"python"}', headers: json, status: 400, code: 'invalid_field', message: /code must be a string/ },
  { name: 'code of the wrong type', method: 'POST', path: '/api/v1/cells', body: '{"code": 5}', headers: json, status: 400, code: 'invalid_field', message: /code must be a string/ },
  { name: 'language of the wrong type', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "language": 3}', headers: json, status: 400, code: 'invalid_field', message: /language must be a string/ },
  { name: 'unknown language', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "language": "cobol"}', headers: json, status: 400, code: 'unknown_language', message: /cobol.*python/ },
  { name: 'unknown field', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "lang": "python"}', headers: json, status: 400, code: 'invalid_field', message: /unknown field "lang"/ },
  { name: 'timeout not a number', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "timeout": "5"}', headers: json, status: 400, code: 'invalid_field', message: /timeout must be a number/ },
  { name: 'negative timeout', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "timeout": -1}', headers: json, status: 400, code: 'invalid_field', message: /timeout/ },
  { name: 'timeout over the limit', method: 'POST', path: '/api/v1/cells', body: '{"code": "1", "timeout": 3600}', headers: json, status: 400, code: 'invalid_field', message: /at most 30 seconds/ },
  { name: 'code over 64 KiB', method: 'POST', path: '/api/v1/cells', body: JSON.stringify({ code: 'x'.repeat(64 * 1024 + 1) }), headers: json, status: 413, code: 'too_large', message: /65537 bytes; the limit is 65536/ },
  { name: 'a 10 MiB body', method: 'POST', path: '/api/v1/cells', body: 'x'.repeat(10 * 1024 * 1024), headers: json, status: 413, code: 'too_large', message: /limit/ },
  { name: 'invalid UTF-8', method: 'POST', path: '/api/v1/cells', body: new Uint8Array([0x7b, 0x22, 0x63, 0xff, 0xfe, 0x7d]), headers: json, status: 400, code: 'invalid_utf8', message: /UTF-8/ },
  { name: 'an odd Content-Type', method: 'POST', path: '/api/v1/cells', body: 'code=1', headers: { 'Content-Type': 'text/csv' }, status: 415, code: 'unsupported_media_type', message: /text\/csv/ },
  { name: 'form with a bad timeout', method: 'POST', path: '/api/v1/cells', body: 'code=1&timeout=soon', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, status: 400, code: 'invalid_field', message: /timeout/ },
  { name: 'a wait over the limit on a new cell', method: 'POST', path: '/api/v1/cells?wait=31', body: '{"code": "1"}', headers: json, status: 400, code: 'invalid_field', message: /wait must be a number of seconds from 0 to 30/ },
  { name: 'a wait that is not a number on a new cell', method: 'POST', path: '/api/v1/cells?wait=soon', body: '{"code": "1"}', headers: json, status: 400, code: 'invalid_field', message: /wait must be/ },
  { name: 'execute with missing code', method: 'POST', path: '/api/v1/execute', body: '{}', headers: json, status: 400, code: 'invalid_field', message: /code must be a string/ },
  { name: 'unknown cell', method: 'GET', path: '/api/v1/cells/AAAAAAAAAAAA', status: 404, code: 'not_found', message: /no cell AAAAAAAAAAAA/ },
  { name: 'malformed cell id', method: 'GET', path: '/api/v1/cells/..%2F..%2Fetc', status: 404, code: 'not_found', message: /no cell/ },
  { name: 'messages of an unknown cell', method: 'GET', path: '/api/v1/cells/AAAAAAAAAAAA/messages?wait=0', status: 404, code: 'not_found', message: /no cell/ },
  { name: 'interrupt of an unknown cell', method: 'POST', path: '/api/v1/cells/AAAAAAAAAAAA/interrupt', status: 404, code: 'not_found', message: /no cell/ },
  { name: 'unknown API route', method: 'GET', path: '/api/v1/nothing', status: 404, code: 'not_found', message: /no API route/ },
  { name: 'poll without cells', method: 'GET', path: '/api/v1/poll', status: 400, code: 'invalid_field', message: /at least one cell/ },
  { name: 'poll with a malformed spec', method: 'GET', path: '/api/v1/poll?c=abc:def:1', status: 400, code: 'invalid_field', message: /<id>:<after>/ },
  { name: 'a method the route does not answer', method: 'PUT', path: '/api/v1/cells', body: '{}', headers: json, status: 405, code: 'method_not_allowed', message: /PUT is not answered here; use POST/ },
  { name: 'GET on a POST-only route', method: 'GET', path: '/api/v1/execute', status: 405, code: 'method_not_allowed', message: /use POST/ },
  { name: 'DELETE of an unknown API route', method: 'DELETE', path: '/api/v1/nothing', status: 404, code: 'not_found', message: /no API route/ },
  { name: 'POST on the page', method: 'POST', path: '/', body: 'code=1', status: 405, code: 'method_not_allowed', message: /POST is not answered here; use GET/ },
  { name: 'DELETE on the embed page', method: 'DELETE', path: '/embed', status: 405, code: 'method_not_allowed', message: /use GET/ },
  // Before the page is looked for: an unknown snippet's page rendered 404 HTML, and a form
  // post was taken for a server action ("Server Action unavailable", 409).
  { name: 'POST on an unknown permalink page', method: 'POST', path: '/s/AAAAAAAAAAAA', body: '{}', headers: json, status: 405, code: 'method_not_allowed', message: /use GET/ },
  { name: 'form POST on an unknown permalink page', method: 'POST', path: '/s/AAAAAAAAAAAA', body: 'a=1', headers: { 'Content-Type': 'multipart/form-data' }, status: 405, code: 'method_not_allowed', message: /use GET/ },
  { name: 'PUT on the health check', method: 'PUT', path: '/healthz', status: 405, code: 'method_not_allowed', message: /use GET/ },
  { name: 'POST on the metrics', method: 'POST', path: '/metrics', status: 405, code: 'method_not_allowed', message: /use GET/ },
  { name: 'file of an unknown cell', method: 'GET', path: '/files/AAAAAAAAAAAA/x.txt', status: 404, code: 'not_found', message: /no file/ },
  { name: 'POST to /files', method: 'POST', path: '/files', body: 'a=1', status: 404, code: 'not_found', message: /File URLs look like/ },
  { name: 'form POST to a path no route takes', method: 'POST', path: '/nothing/here', body: 'a=1', headers: { 'Content-Type': 'multipart/form-data' }, status: 404, code: 'not_found', message: /nothing at "\/nothing\/here"/ },
];

describe('bad input', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const res = await fetch(`${box.url}${c.path}`, { method: c.method, headers: c.headers, body: c.body as BodyInit | undefined });
      const body = await res.json();
      expect(res.status).toBe(c.status);
      expect(body.error.code).toBe(c.code);
      expect(body.error.message).toMatch(c.message);
    });
  }

  it('a page answers a method it does not take with a 405 naming GET, and OPTIONS with the methods it takes', async () => {
    // Next.js rendered the page for any method, and answered OPTIONS with an empty 400.
    const shared = await post(`${box.url}/api/v1/snippets`, { code: 'print(1)', language: 'python' });
    for (const path of ['/', `/s/${shared.body.id}`]) {
      const put = await fetch(`${box.url}${path}`, { method: 'PUT', body: 'x' });
      expect(put.status, path).toBe(405);
      expect(put.headers.get('allow'), path).toBe('GET, HEAD, OPTIONS');
      expect((await put.json()).error.message, path).toBe('PUT is not answered here; use GET.');
      const options = await fetch(`${box.url}${path}`, { method: 'OPTIONS' });
      expect(options.status, path).toBe(204);
      expect(options.headers.get('allow'), path).toBe('GET, HEAD, OPTIONS');
      expect((await fetch(`${box.url}${path}`, { method: 'HEAD' })).status, path).toBe(200);
    }
  });

  it('a 10 MiB body sent in chunks, its length never declared, is 413 and the connection stays usable', async () => {
    // No Content-Length to refuse it by: the server reads up to its limit, answers, and drops the
    // rest. The answer must reach the client, and a next request on the same connection works.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, path: string, chunks: Buffer[]) => new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = http.request(`${box.url}${path}`, { method, agent, headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(parts).toString()) }));
      });
      req.on('error', reject);
      (async () => {
        for (const c of chunks) if (!req.write(c)) await new Promise((r) => req.once('drain', r));
        req.end();
      })();
    });
    try {
      const big = await send('POST', '/api/v1/cells', Array.from({ length: 160 }, () => Buffer.alloc(64 * 1024, 'x')));
      expect(big.status).toBe(413);
      expect(big.body.error).toMatchObject({ code: 'too_large', message: expect.stringMatching(/over \d+ bytes, the limit/) });
      const next = await send('POST', '/api/v1/cells', [Buffer.from('{"code": "print(2)"}')]);
      expect(next.status).toBe(201);
    } finally {
      agent.destroy();
    }
  });

  describe('on a real cell', () => {
    let id = '';
    beforeAll(async () => {
      id = (await post(`${box.url}/api/v1/cells`, { code: 'open("a.txt","w").write("a")' })).body.id;
      await get(`${box.url}/api/v1/cells/${id}/messages?after=0&wait=10`);
    });
    const params: [string, RegExp][] = [
      ['after=-1', /after must be between/],
      ['after=abc', /after must be a whole number/],
      ['after=1e3', /after must be a whole number/],
      ['wait=31', /wait must be a number of seconds from 0 to 30/],
      ['wait=-1', /wait must be/],
      ['wait=soon', /wait must be/],
      ['wait=99999999999999999999', /wait must be/],
    ];
    for (const [q, message] of params) {
      it(`messages?${q}`, async () => {
        const r = await get(`${box.url}/api/v1/cells/${id}/messages?${q}`);
        expect(r.status).toBe(400);
        expect(r.body.error.message).toMatch(message);
      });
    }
    for (const name of ['..', '%2e%2e', '..%2F..%2Fcellbox.sqlite', '%2Fetc%2Fpasswd', 'a%0Ab', '%ZZ']) {
      it(`files/${name} is refused`, async () => {
        const r = await get(`${box.url}/files/${id}/${name}`);
        expect([400, 404]).toContain(r.status);
        expect(typeof r.body.error?.message).toBe('string');
      });
    }
  });
});

describe('the queue limit', () => {
  it('answers 503 with Retry-After past it', async () => {
    const small = await startCellbox({ CELLBOX_QUEUE_LIMIT: '2', CELLBOX_CONCURRENCY: '1' });
    try {
      await small.killDevice('SIGTERM'); // nothing drains the queue now
      const codes: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 3; i++) {
        const r = await post(`${small.url}/api/v1/cells`, { code: 'pass' });
        codes.push(r.status);
        if (r.status === 503) {
          retryAfter = r.headers.get('retry-after');
          expect(r.body.error).toMatchObject({ code: 'queue_full', message: expect.stringMatching(/busy/) });
        }
      }
      expect(codes).toEqual([201, 201, 503]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      // The web server answers these routes without Next.js (app/_lib/router.ts): the same
      // answer, with CORS, but none of Next.js's headers.
      for (const path of ['/api/v1/cells', '/api/v1/execute']) {
        const r = await fetch(`${small.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://course.example' }, body: 'code=pass' });
        expect(r.status).toBe(503);
        expect(await r.json()).toMatchObject({ error: { code: 'queue_full', message: expect.stringMatching(/busy/) } });
        expect(r.headers.get('retry-after')).toBe(retryAfter);
        expect(r.headers.get('access-control-allow-origin')).toBe('*');
        expect(r.headers.get('vary') ?? '').not.toMatch(/next-router/);
      }
      // Other requests are routed as ever.
      expect((await get(`${small.url}/api/v1/languages`)).status).toBe(200);
    } finally {
      await small.stop();
    }
  });
});
