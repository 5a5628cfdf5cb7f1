// The static files' server on real files and a real HTTP server: each encoding as the client
// takes it, and a file rebuilt, added or removed after the start (the build run again under a
// running server), served as it is on disk then.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAssets, isAssetPath } from '../../app/_lib/assets';

let dir: string;
let server: http.Server;
let base: string;
const fellThrough: string[] = [];
const uncaught: Error[] = [];
const onUncaught = (e: Error) => uncaught.push(e);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-assets-'));
  const pub = path.join(dir, 'public');
  const stat = path.join(dir, 'static');
  fs.mkdirSync(path.join(pub, 'mathjax'), { recursive: true });
  fs.mkdirSync(path.join(stat, 'chunks'), { recursive: true });
  const script = 'console.log("é");\n'.repeat(500);
  fs.writeFileSync(path.join(pub, 'embed.js'), script);
  fs.writeFileSync(path.join(pub, 'embed.js.br'), brotliCompressSync(script));
  fs.writeFileSync(path.join(pub, 'embed.js.gz'), gzipSync(script));
  fs.writeFileSync(path.join(pub, 'mathjax', 'gone.js'), 'x'.repeat(200_000));
  fs.writeFileSync(path.join(stat, 'chunks', 'app-1234.js'), script);
  const serve = createAssets(pub, stat);
  server = http.createServer((req, res) => {
    const p = req.url!.split('?')[0];
    if (!isAssetPath(p)) return void res.writeHead(400).end();
    serve(req, res, p, () => {
      fellThrough.push(p);
      res.writeHead(404).end('next');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.on('uncaughtException', onUncaught);
});

afterAll(() => {
  process.off('uncaughtException', onUncaught);
  server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('static files', () => {
  it('names only the embed script, MathJax and Next.js build output as theirs', () => {
    for (const p of ['/embed.js', '/embed.js.map', '/embed/v1.js', '/mathjax/tex-chtml.js', '/_next/static/chunks/a.js']) expect(isAssetPath(p), p).toBe(true);
    for (const p of ['/', '/embed', '/embedded.js', '/api/v1/cells', '/files/x/y', '/_next/image', '/s/abc']) expect(isAssetPath(p), p).toBe(false);
  });

  it('serve brotli, gzip or the file as it is, with the charset, and pass on what is not there', async () => {
    const br = await fetch(`${base}/embed.js`, { headers: { 'Accept-Encoding': 'br' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await br.text()).toContain('console.log("é")');
    const gz = await fetch(`${base}/embed.js`, { headers: { 'Accept-Encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const app = await fetch(`${base}/_next/static/chunks/app-1234.js`);
    expect(app.headers.get('cache-control')).toBe('public,max-age=31536000,immutable');
    expect(app.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(`${base}/_next/static/chunks/none.js`)).status).toBe(404);
    expect(fellThrough).toContain('/_next/static/chunks/none.js');
  });

  it('honour an encoding the client refuses with q=0, as HTTP says, and its order of preference', async () => {
    // sirv looked for the word alone: "gzip;q=0" got gzip, which that client said it cannot read.
    const cases: [string, string | null][] = [
      ['gzip;q=0, identity', null],
      ['br;q=0, gzip', 'gzip'],
      ['br;q=0.1, gzip;q=0.9', 'gzip'],
      ['gzip, br', 'br'],
      ['*', 'br'],
      ['*;q=0, identity', null],
      ['identity', null],
    ];
    for (const [accept, encoding] of cases) {
      const res = await fetch(`${base}/embed.js`, { headers: { 'Accept-Encoding': accept } });
      expect(res.headers.get('content-encoding'), accept).toBe(encoding);
      expect(await res.text(), accept).toContain('console.log("é")');
    }
  });

  it('serve a file rebuilt since the start whole, in every encoding, with its new size and ETag', async () => {
    // The build run again under a running server: the size read at the start went out as the
    // Content-Length of a longer file, and pages got a cut-off embed script.
    const before = await fetch(`${base}/embed.js`, { headers: { 'Accept-Encoding': 'identity' } });
    await before.text();
    const rebuilt = 'console.log("rebuilt");\n'.repeat(2000) + '// the end\n';
    const pub = path.join(dir, 'public');
    fs.writeFileSync(path.join(pub, 'embed.js'), rebuilt);
    fs.writeFileSync(path.join(pub, 'embed.js.br'), brotliCompressSync(rebuilt));
    fs.writeFileSync(path.join(pub, 'embed.js.gz'), gzipSync(rebuilt));
    for (const accept of ['identity', 'gzip', 'br']) {
      const res = await fetch(`${base}/embed.js`, { headers: { 'Accept-Encoding': accept }, signal: AbortSignal.timeout(5000) });
      expect(await res.text(), accept).toBe(rebuilt);
      expect(res.headers.get('cache-control'), accept).toBe('public,max-age=0,must-revalidate');
    }
    // A browser holding the old script's ETag gets the new one, not a 304.
    const again = await fetch(`${base}/embed.js`, { headers: { 'Accept-Encoding': 'identity', 'If-None-Match': before.headers.get('etag')! } });
    expect(again.status).toBe(200);
    // A file added since the start is served too.
    fs.writeFileSync(path.join(pub, 'mathjax', 'added.js'), 'added');
    expect(await (await fetch(`${base}/mathjax/added.js`)).text()).toBe('added');
    // The build's own dot files are not.
    fs.writeFileSync(path.join(pub, 'mathjax', '.version'), '4.0.0');
    expect((await fetch(`${base}/mathjax/.version`)).status).toBe(404);
    expect(uncaught).toEqual([]);
  });

  it('pass on a file removed since the start, with no uncaught error and no hang', async () => {
    fs.rmSync(path.join(dir, 'public', 'mathjax', 'gone.js'));
    const res = await fetch(`${base}/mathjax/gone.js`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(404);
    expect(fellThrough).toContain('/mathjax/gone.js');
    expect(uncaught).toEqual([]);
    // The server goes on.
    expect((await fetch(`${base}/embed.js`)).status).toBe(200);
  });
});
