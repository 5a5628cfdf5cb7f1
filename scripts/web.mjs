#!/usr/bin/env node
// The web server: Next.js behind a plain Node HTTP server, for one fact Next.js does not give a
// route handler: the address the request came from. It is put in `x-cellbox-peer`, replacing
// any such header a client sent; app/_lib/client.ts decides what to believe (see trustProxy).
// It also lets app/_lib/admission.ts refuse new cells early while the queue is full.
// Usage: node scripts/web.mjs [-p PORT] [-H HOST]
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import next from 'next';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (flag) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const port = Number(arg('-p') ?? process.env.PORT ?? 3000);
const host = arg('-H');

const app = next({ dev: false, dir: root, port, hostname: host ?? 'localhost' });
const handle = app.getRequestHandler();
await app.prepare();

/** app/_lib/admission.ts: answers a new cell while the queue is full, before Next.js routes it. */
const ADMISSION = Symbol.for('cellbox.admission');

const server = http.createServer((req, res) => {
  req.headers['x-cellbox-peer'] = req.socket.remoteAddress ?? '';
  let early = null;
  try {
    early = globalThis[ADMISSION]?.(req.method, req.url.split('?')[0], req.headers.origin ?? null) ?? null;
  } catch {
    // The route answers, and reports the error as every route does.
  }
  if (!early) return handle(req, res);
  early.arrayBuffer().then((body) => {
    res.writeHead(early.status, { ...Object.fromEntries(early.headers), 'Content-Length': body.byteLength });
    res.end(Buffer.from(body));
  });
});
server.listen(port, host, () => console.log(`[web] ready on http://${host ?? 'localhost'}:${port}`));

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
