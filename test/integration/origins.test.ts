// An origin allowlist (`allowedOrigins`): listed pages get their own origin back, others are
// refused with 403, preflights included, and every answer of a route varies by Origin, those to
// requests without one too, so that no shared cache hands a copy made for one to another.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagesUntilDone, post, startCellbox, type Cellbox } from '../helpers/cellbox';

const LISTED = 'https://course.example';
let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_ALLOWED_ORIGINS: `${LISTED},https://other.example` });
});

afterAll(async () => {
  await box?.stop();
});

const varies = (r: Response) => (r.headers.get('vary') ?? '').split(/,\s*/).includes('Origin');

describe('an origin allowlist', () => {
  it('answers a listed page with its own origin, and refuses any other, preflights included', async () => {
    const ok = await fetch(`${box.url}/api/v1/cells`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: LISTED }, body: '{"code": "print(1)"}' });
    expect(ok.status).toBe(201);
    expect(ok.headers.get('access-control-allow-origin')).toBe(LISTED);
    expect(varies(ok)).toBe(true);
    await messagesUntilDone(box.url, (await ok.json()).id);

    const refused = await fetch(`${box.url}/api/v1/cells`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'https://elsewhere.example' }, body: '{"code": "print(1)"}' });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toMatchObject({ code: 'origin_not_allowed', message: expect.stringMatching(/elsewhere\.example/) });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = await fetch(`${box.url}/api/v1/cells`, { method: 'OPTIONS', headers: { Origin: 'https://elsewhere.example', 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.status).toBe(403);
  });

  // Browsers send Origin on a page's same-origin POSTs too: with an allowlist that left the
  // server's own origin out, Cellbox's own pages were refused 403.
  it("takes the server's own pages without listing them, the Host telling which origin is its own", async () => {
    const own = await fetch(`${box.url}/api/v1/cells`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: box.url }, body: '{"code": "print(1)"}' });
    expect(own.status).toBe(201);
    await messagesUntilDone(box.url, (await own.json()).id);

    // Behind a proxy that takes HTTPS and passes the Host on: the scheme and port are the proxy's.
    const viaProxy = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(`${box.url}/api/v1/snippets`, { method: 'POST', headers: { Host: 'Cells.Example.org', Origin: origin, 'Content-Type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end(JSON.stringify({ code: `print(${JSON.stringify(origin)})`, language: 'python' }));
      });
    expect(await viaProxy('https://cells.example.org')).toBe(201);
    expect(await viaProxy('https://cells.example.org.evil.example')).toBe(403);
    // nginx's $host drops the port the page was on: host names alone are compared.
    expect(await viaProxy('http://cells.example.org:8088')).toBe(201);
    expect(await viaProxy('null')).toBe(403);
  });

  // They had no Vary: a cached copy made for curl (no Allow-Origin) would fail a listed page's fetch.
  it('marks the cacheable answers to requests without an Origin as varying by it', async () => {
    const shared = await post(`${box.url}/api/v1/snippets`, { code: 'echo hi > a.txt', language: 'bash' });
    const raw = await fetch(`${box.url}/s/${shared.body.id}/raw`);
    expect(raw.status).toBe(200);
    expect(raw.headers.get('cache-control')).toMatch(/max-age/);
    expect(raw.headers.get('access-control-allow-origin')).toBeNull();
    expect(varies(raw)).toBe(true);

    const ran = await post(`${box.url}/api/v1/execute`, { code: 'echo hi > a.txt', language: 'bash' });
    const file = await fetch(`${box.url}${ran.body.files[0].url}`);
    expect(await file.text()).toBe('hi\n');
    expect(file.headers.get('cache-control')).toMatch(/max-age/);
    expect(varies(file)).toBe(true);
  });
});
