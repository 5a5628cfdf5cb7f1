// The request the hot router hands route bodies, made straight over Node's (api-request.ts):
// headers as Headers.get() reads them, the body up to a limit, the client's going as an abort.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NodeRequest } from '../../app/_lib/api-request';

let server: http.Server | null = null;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(null));
  server = null;
});

/** A server whose every request goes to `handle`; resolves with its port. */
async function serve(handle: (req: NodeRequest, res: http.ServerResponse) => void): Promise<number> {
  server = http.createServer((req, res) => handle(new NodeRequest(req), res));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** Sends raw bytes of HTTP and resolves with what came back until the server closed or 2 s passed. */
function raw(port: number, text: string, destroyAfterWrite = false): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(text);
      if (destroyAfterWrite) socket.destroy();
    });
    let got = '';
    socket.on('data', (d) => (got += d));
    socket.on('close', () => resolve(got));
    socket.on('error', () => resolve(got));
    setTimeout(() => {
      socket.destroy();
      resolve(got);
    }, 2000);
  });
}

describe('NodeRequest', () => {
  it('reads method, absolute URL and headers as a Fetch API request would', async () => {
    let seen: unknown = null;
    const port = await serve((req, res) => {
      seen = { method: req.method, url: new URL(req.url).pathname + new URL(req.url).search, type: req.headers.get('Content-Type'), accept: req.headers.get('accept'), missing: req.headers.get('x-none') };
      res.end();
    });
    await raw(port, 'GET /api/v1/poll?c=a:1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nAccept: a\r\nAccept: b\r\nConnection: close\r\n\r\n');
    expect(seen).toEqual({ method: 'GET', url: '/api/v1/poll?c=a:1', type: 'text/plain', accept: 'a, b', missing: null });
  });

  it('gives the body whole under the limit, and null past it without holding the rest', async () => {
    const results: Array<number | null> = [];
    const port = await serve(async (req, res) => {
      const bytes = await req.bytes(10);
      results.push(bytes === null ? null : bytes.length);
      res.end('ok');
    });
    await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789');
    const answer = await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n');
    expect(results).toEqual([10, null]);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
  });

  it('fails a body read when the client goes mid-body, instead of waiting for ever', async () => {
    const outcome = new Promise<string>((resolve) => {
      serve((req) => {
        req.bytes(1000).then(() => resolve('read'), (e: Error) => resolve(`failed: ${e.message}`));
      }).then((port) => raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789', true));
    });
    expect(await outcome).toMatch(/^failed/);
  });

  it('aborts its signal when the client is gone, whether the signal was asked for before or after', () => {
    const fake = { method: 'GET', url: '/', headers: {} } as unknown as http.IncomingMessage;
    const before = new NodeRequest(fake);
    const early = before.signal;
    before.clientGone({ reason: 'gone' });
    expect(early.aborted).toBe(true);
    const after = new NodeRequest(fake);
    after.clientGone({ reason: 'gone' });
    expect(after.signal.aborted).toBe(true);
    expect(after.signal.reason).toEqual({ reason: 'gone' });
    expect(new NodeRequest(fake).signal.aborted).toBe(false);
  });
});
