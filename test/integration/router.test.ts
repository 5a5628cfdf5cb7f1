// The hot API routes (posting a cell, its long-polls, its state) are answered by the web server
// itself (app/_lib/router.ts), the same answers the route handlers give under Next.js; any
// request that is not canonical still goes through Next.js, its proxy and its catch-all.
// Next.js marks its own answers with `Vary: rsc, next-router-…`, which tells the two apart.
import fs from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, messagesUntilDone, post, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox();
});

afterAll(async () => {
  await box?.stop();
});

/** The bytes as they came, without fetch's decoding. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

const byNext = (headers: Headers) => /next-router/.test(headers.get('vary') ?? '');

describe('the hot routes', () => {
  it('are answered without Next.js, with the route handlers\' answers', async () => {
    const created = await post(`${box.url}/api/v1/cells`, { code: 'print(6 * 7)' }, { 'Content-Type': 'application/json', Origin: 'https://course.example' });
    expect(created.status).toBe(201);
    expect(byNext(created.headers)).toBe(false);
    expect(created.headers.get('access-control-allow-origin')).toBe('*');
    expect(created.headers.get('location')).toBe(`/api/v1/cells/${created.body.id}`);
    const id = created.body.id;
    expect(stdout(await messagesUntilDone(box.url, id))).toBe('42\n');

    const poll = await get(`${box.url}/api/v1/poll?c=${id}:0&wait=0`);
    expect(poll.status).toBe(200);
    expect(byNext(poll.headers)).toBe(false);
    expect(poll.body.cells[id].done).toBe(true);

    const state = await get(`${box.url}/api/v1/cells/${id}`);
    expect(state.body).toMatchObject({ id, status: 'done' });
    expect(byNext(state.headers)).toBe(false);

    const executed = await post(`${box.url}/api/v1/execute`, { code: 'print("run")' });
    expect(executed.body).toMatchObject({ status: 'ok', stdout: 'run\n' });
    expect(byNext(executed.headers)).toBe(false);

    // Errors come from the one place they always do, with CORS.
    const missing = await get(`${box.url}/api/v1/cells/AAAAAAAAAAAA/messages?after=0&wait=0`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    expect(byNext(missing.headers)).toBe(false);
    const bad = await post(`${box.url}/api/v1/cells`, '{"code": 1}');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'invalid_field', message: expect.stringMatching(/code/) });
  });

  it('serve the files a cell made with their size, as stored even to a client that takes gzip', async () => {
    const { id } = (await post(`${box.url}/api/v1/cells`, { code: 'open("big.txt", "w").write("y" * 50000)' })).body;
    await messagesUntilDone(box.url, id);
    const file = await rawGet(`${box.url}/files/${id}/big.txt`, { 'Accept-Encoding': 'gzip' });
    expect(file.headers['content-encoding']).toBeUndefined();
    expect(file.headers['content-length']).toBe('50000');
    expect(file.headers['transfer-encoding']).toBeUndefined();
    expect(file.headers.vary ?? '').not.toMatch(/next-router/);
    expect(file.body.toString()).toBe('y'.repeat(50000));
    // HEAD says the same size, with no body: through Next.js it had no Content-Length.
    const head = await fetch(`${box.url}/files/${id}/big.txt`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('50000');
    expect(byNext(head.headers)).toBe(false);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    // A missing file, and a name that is not one, are answered here too, naming the problem.
    const missing = await get(`${box.url}/files/${id}/nothing.txt`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/nothing\.txt/);
    expect(byNext(missing.headers)).toBe(false);
    const bad = await get(`${box.url}/files/${id}/%FF`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_field');
  });

  it('gzip a large answer for a client that takes it, as Next.js would', async () => {
    const { id } = (await post(`${box.url}/api/v1/cells`, { code: 'print("x" * 100000)' })).body;
    await messagesUntilDone(box.url, id);
    const url = `${box.url}/api/v1/cells/${id}/messages?after=0&wait=0`;
    const zipped = await rawGet(url, { 'Accept-Encoding': 'gzip, deflate' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toMatch(/Accept-Encoding/);
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(10000);
    const text = gunzipSync(zipped.body).toString();
    expect(text).toContain('x'.repeat(100000));
    const plain = await rawGet(url, {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(text);
    // A client that refuses gzip (q=0) or names another coding gets it plain; `*` takes gzip.
    for (const refusal of ['gzip;q=0', 'x-gzip', 'br', 'identity, gzip;q=0']) {
      const r = await rawGet(url, { 'Accept-Encoding': refusal });
      expect(r.headers['content-encoding'], refusal).toBeUndefined();
      expect(r.body.toString(), refusal).toBe(text);
    }
    expect((await rawGet(url, { 'Accept-Encoding': '*' })).headers['content-encoding']).toBe('gzip');
  });

  it('send a small answer as it is, even to a client that takes gzip: a trivial cell\'s whole output', async () => {
    const { id } = (await post(`${box.url}/api/v1/cells`, { code: 'print(1 + 1)' })).body;
    await messagesUntilDone(box.url, id);
    const answer = await rawGet(`${box.url}/api/v1/cells/${id}/messages?after=0&wait=0`, { 'Accept-Encoding': 'gzip' });
    expect(answer.headers['content-encoding']).toBeUndefined();
    const body = JSON.parse(answer.body.toString()) as { messages: { header: { msg_type: string } }[] };
    expect(body.messages.map((m) => m.header.msg_type)).toContain('execute_reply');
    expect(answer.body.length).toBeGreaterThan(1024); // past the old threshold, under the new one
  });

  // Each waiting long-poll listens on the web server's one `closing` signal: past ten, Node
  // printed a MaxListenersExceededWarning (a leak it is not) in every busy server's log.
  it('hold many long-polls at once without a warning in the log', async () => {
    const { id } = (await post(`${box.url}/api/v1/cells`, { code: 'import time\ntime.sleep(1)' })).body;
    const before = box.logs.length;
    const polls = Array.from({ length: 30 }, () => get(`${box.url}/api/v1/cells/${id}/messages?after=1000&wait=0.5`));
    for (const r of await Promise.all(polls)) expect(r.status).toBe(200);
    await messagesUntilDone(box.url, id);
    expect(box.logs.slice(before).join('')).not.toMatch(/MaxListenersExceeded|memory leak/);
  });

  it('leave every other request to Next.js, which answers as before', async () => {
    const languages = await get(`${box.url}/api/v1/languages`);
    expect(languages.status).toBe(200);
    expect(byNext(languages.headers)).toBe(true);
    // Not canonical: another method, an id that cannot be one, no such route. (An API path
    // with a trailing slash is the router's own 404 now, not Next.js's 308: bad-input.test.ts.)
    const put = await fetch(`${box.url}/api/v1/cells`, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    expect((await put.json()).error.code).toBe('method_not_allowed');
    const oddId = await get(`${box.url}/api/v1/cells/not-an-id/messages?after=0`);
    expect(oddId.status).toBe(404);
    expect(byNext(oddId.headers)).toBe(true);
    const none = await get(`${box.url}/api/v1/nothing`);
    expect(none.status).toBe(404);
    expect(none.body.error.message).toMatch(/no API route/);
  });
});

describe('the static files: the embed script, MathJax, the pages\' scripts', () => {
  /** As Next.js gzipped it for each request: the test's own compression, at its default level. */
  const gzipped = (b: Buffer) => gzipSync(b).length;

  it('go out as the build compressed them, brotli or gzip as the client takes, with CORS and the charset', async () => {
    const original = await rawGet(`${box.url}/embed.js`, {});
    expect(original.headers['content-encoding']).toBeUndefined();
    expect(original.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(original.headers['access-control-allow-origin']).toBe('*');
    expect(original.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(original.body.length).toBeGreaterThan(100_000);
    expect(original.body.toString()).toBe(fs.readFileSync(fileURLToPath(new URL('../../public/embed.js', import.meta.url)), 'utf8'));

    const br = await rawGet(`${box.url}/embed.js`, { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/Accept-Encoding/);
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(brotliDecompressSync(br.body).equals(original.body)).toBe(true);
    expect(br.body.length).toBeLessThan(gzipped(original.body));

    const gz = await rawGet(`${box.url}/embed.js`, { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(original.body)).toBe(true);

    // Revalidated, not refetched: each encoding has its own tag.
    expect(br.headers.etag).not.toBe(gz.headers.etag);
    const again = await fetch(`${box.url}/embed.js`, { headers: { 'Accept-Encoding': 'br', 'If-None-Match': br.headers.etag! } });
    expect(again.status).toBe(304);

    // Whole files only: a Range, however odd, is ignored, never an error or a request left hanging.
    for (const range of ['bytes=5-2', 'bytes=-500', 'bytes=0-1,5-6', 'bytes=abc', 'bytes=99999999-']) {
      const part = await rawGet(`${box.url}/embed.js`, { Range: range });
      expect(part.headers['content-range'], range).toBeUndefined();
      expect(part.body.equals(original.body), range).toBe(true);
    }

    const font = await fetch(`${box.url}/mathjax/tex-chtml.js`, { method: 'HEAD', headers: { 'Accept-Encoding': 'br' } });
    expect(font.status).toBe(200);
    expect(font.headers.get('content-encoding')).toBe('br');
    expect(font.headers.get('access-control-allow-origin')).toBe('*');
  });

  it("and the scripts of Cellbox's own page, compressed ahead too, kept for a year under names that change with their content", async () => {
    const page = await (await fetch(`${box.url}/`)).text();
    const scripts = [...new Set(page.match(/\/_next\/static\/[^"]+\.js/g))];
    expect(scripts.length).toBeGreaterThan(3);
    for (const script of scripts) {
      const original = await rawGet(`${box.url}${script}`, {});
      expect(original.headers['content-type'], script).toBe('text/javascript; charset=utf-8');
      expect(original.headers['cache-control'], script).toBe('public,max-age=31536000,immutable');
      const br = await rawGet(`${box.url}${script}`, { 'Accept-Encoding': 'gzip, deflate, br' });
      expect(br.headers['content-encoding'], script).toBe('br');
      expect(brotliDecompressSync(br.body).equals(original.body), script).toBe(true);
    }
    const missing = await fetch(`${box.url}/_next/static/chunks/nothing.js`);
    expect(missing.status).toBe(404);
  });

  it('answer other methods with a 405 naming GET and HEAD, and a missing file with the 404 page', async () => {
    for (const p of ['/embed.js', '/embed/v1.js', '/mathjax/tex-chtml.js', '/mathjax/nothing.js', '/_next/static/chunks/nothing.js']) {
      const r = await fetch(`${box.url}${p}`, { method: 'POST', body: 'x' });
      expect(r.status, p).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
      expect((await r.json()).error.message).toMatch(/use GET or HEAD/);
    }
    const pre = await fetch(`${box.url}/embed.js`, { method: 'OPTIONS', headers: { Origin: 'https://course.example', 'Access-Control-Request-Method': 'GET' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    const missing = await fetch(`${box.url}/mathjax/nothing.js`);
    expect(missing.status).toBe(404);
    expect(byNext(missing.headers)).toBe(true);
  });
});
