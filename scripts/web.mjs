#!/usr/bin/env node
// The web server: a plain Node HTTP server in front of Next.js. It answers the hot API routes
// itself (app/_lib/router.ts, bundled as dist/api.mjs: posting a cell, its long-polls) and the
// static files, from the compressed copies the build made (app/_lib/assets.ts: the embed
// script, MathJax, the pages' scripts), and hands every other request to Next.js. It also
// gives the route handlers one fact Next.js does not: the address the request came from, in
// `x-cellbox-peer`, replacing any such header a client sent; app/_lib/client.ts decides what
// to believe (see trustProxy).
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

const { createHotRoutes, drain, warm } = await import(path.join(root, 'dist/api.mjs'));
warm();
const serveHot = createHotRoutes(path.join(root, 'public'), path.join(root, '.next/static'));

const server = http.createServer((req, res) => {
  req.headers['x-cellbox-peer'] = req.socket.remoteAddress ?? '';
  if (!serveHot(req, res, () => handle(req, res))) handle(req, res);
});
server.listen(port, host, () => console.log(`[web] ready on http://${host ?? 'localhost'}:${port}`));

// Stopping: the waiting long-polls answer at once with what they have (an empty list, mostly),
// so that each client asks again instead of seeing its connection cut; new connections are
// refused, idle ones closed, and whatever is still open a second later is cut.
const STOP_GRACE_MS = 1000;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    drain();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
      process.exit(0);
    }, STOP_GRACE_MS).unref();
  });
}
