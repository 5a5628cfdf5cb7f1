#!/usr/bin/env node
// The web server: Next.js behind a plain Node HTTP server, for one fact Next.js does not give a
// route handler: the address the request came from. It is put in `x-cellbox-peer`, replacing
// any such header a client sent; app/_lib/client.ts decides what to believe (see trustProxy).
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

const server = http.createServer((req, res) => {
  req.headers['x-cellbox-peer'] = req.socket.remoteAddress ?? '';
  handle(req, res);
});
server.listen(port, host, () => console.log(`[web] ready on http://${host ?? 'localhost'}:${port}`));

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
