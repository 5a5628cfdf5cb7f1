// The hot API routes (posting a cell, its long-polls, its state) are answered by the web server
// itself (app/_lib/router.ts), the same answers the route handlers give under Next.js; any
// request that is not canonical still goes through Next.js, its proxy and its catch-all.
// Next.js marks its own answers with `Vary: rsc, next-router-…`, which tells the two apart.
import http, { type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
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

  it('leave every other request to Next.js, which answers as before', async () => {
    const languages = await get(`${box.url}/api/v1/languages`);
    expect(languages.status).toBe(200);
    expect(byNext(languages.headers)).toBe(true);
    // Not canonical: another method, a trailing slash, an id that cannot be one, no such route.
    const put = await fetch(`${box.url}/api/v1/cells`, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    expect((await put.json()).error.code).toBe('method_not_allowed');
    const slash = await fetch(`${box.url}/api/v1/cells/`, { method: 'POST', redirect: 'manual', body: '{}' });
    expect(slash.status).toBe(308);
    const oddId = await get(`${box.url}/api/v1/cells/not-an-id/messages?after=0`);
    expect(oddId.status).toBe(404);
    expect(byNext(oddId.headers)).toBe(true);
    const none = await get(`${box.url}/api/v1/nothing`);
    expect(none.status).toBe(404);
    expect(none.body.error.message).toMatch(/no API route/);
  });
});
