// The API as a page on another origin sees it in a real browser (the embed's case): CORS lets
// such a page read only a few answer headers unless the server exposes more, and the ones the
// API's contract hangs on must be among them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { messagesUntilDone, startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, type Watched } from '../helpers/browser';

let box: Cellbox;
let browser: Browser;
let host: http.Server;
let watched: Watched;
/** The cell the first test made, which wrote digits.txt. */
let cell: string;

beforeAll(async () => {
  // One cell a minute, none saved up: the second POST is a 429.
  [box, browser] = await launchBeside(startCellbox({ CELLBOX_CELLS_PER_MINUTE: '1', CELLBOX_CELLS_BURST: '1' }));
  host = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><head><meta charset="utf-8"><title>Course notes</title></head><body><h1>Notes</h1></body></html>');
  });
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  // The page is on 127.0.0.1, Cellbox on localhost: another origin.
  watched = await openPage(browser, `http://127.0.0.1:${(host.address() as AddressInfo).port}/`);
});

afterAll(async () => {
  await watched?.context.close();
  await browser?.close();
  await new Promise((r) => host?.close(r));
  await box?.stop();
});

describe('a page on another origin', () => {
  // Before, both were null to the page: the embed's poller never heard the server's Retry-After.
  it("reads a new cell's Location, and a 429's Retry-After", async () => {
    const seen = await watched.page.evaluate(async (api) => {
      const post = () => fetch(`${api}/api/v1/cells`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: 'printf 0123456789 > digits.txt', language: 'bash' }) });
      const created = await post();
      const refused = await post();
      return {
        created: created.status,
        id: ((await created.json()) as { id: string }).id,
        location: created.headers.get('Location'),
        refused: refused.status,
        code: ((await refused.json()) as { error: { code: string } }).error.code,
        retryAfter: refused.headers.get('Retry-After'),
      };
    }, `http://localhost:${box.port}`);
    expect(seen).toMatchObject({ created: 201, location: `/api/v1/cells/${seen.id}`, refused: 429, code: 'rate_limited' });
    expect(Number(seen.retryAfter)).toBeGreaterThan(0);
    cell = seen.id;
  });

  // Range (but a plain "bytes=N-M"), If-None-Match and If-Range make the browser ask first, and
  // the preflight allowed only Content-Type: the fetch failed as if the server were unreachable.
  it("fetches a part of a cell's file, and revalidates it", async () => {
    await messagesUntilDone(`http://localhost:${box.port}`, cell);
    const seen = await watched.page.evaluate(async (url) => {
      const whole = await fetch(url);
      const etag = whole.headers.get('ETag')!;
      const tail = await fetch(url, { headers: { Range: 'bytes=-3' } });
      const resumed = await fetch(url, { headers: { Range: 'bytes=8-', 'If-Range': etag } });
      const same = await fetch(url, { headers: { 'If-None-Match': etag } });
      return { whole: await whole.text(), tail: [tail.status, await tail.text()], resumed: [resumed.status, await resumed.text()], same: same.status };
    }, `http://localhost:${box.port}/files/${cell}/digits.txt`);
    expect(seen).toEqual({ whole: '0123456789', tail: [206, '789'], resumed: [206, '89'], same: 304 });
  });
});
