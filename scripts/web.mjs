#!/usr/bin/env node
// The web server: a plain Node HTTP server in front of Next.js. It answers the hot API routes
// itself (app/_lib/router.ts, bundled as dist/api.mjs: posting a cell, its long-polls) and the
// static files, from the compressed copies the build made (app/_lib/assets.ts: the embed
// script, MathJax, the pages' scripts), and hands every other request to Next.js. It also
// gives the route handlers one fact Next.js does not: the address the request came from, in
// `x-cellbox-peer`, replacing any such header a client sent; app/_lib/client.ts decides what
// to believe (see trustProxy).
// Usage: node scripts/web.mjs [-p PORT] [-H HOST]; without them, the config's port (PORT) and host (CELLBOX_HOST).
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, parse } from 'node:url';
import next from 'next';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (flag) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? process.argv[i + 1] : undefined;
};

/** A start that cannot go on: one line saying what to fix, no stack trace, status 2. */
function refuse(msg) {
  console.error(`[web] error: ${msg}`);
  process.exit(2);
}

// The config and the store first, before Next.js: a bad setting or an unusable database stops
// the start here, with one line, instead of a stack trace after a half-done start (and exit
// status 0, from Next.js's handler of uncaught exceptions).
const { MAX_REQUEST_HEAD_BYTES, clientErrorAnswer, connectRefusal, createHotRoutes, drain, shouldContinue, warm, startProblem } = await import(path.join(root, 'dist/api.mjs'));
let config;
try {
  config = warm();
} catch (e) {
  const problem = startProblem(e);
  if (problem) refuse(problem);
  throw e;
}
for (const name of config.ignored) console.error(`[web] warn: ${name} is not a setting of Cellbox; ignored (the settings are in docs/config.md)`);
// `-p` over the config's port (PORT, or "port" in cellbox.config.json).
const portArg = arg('-p');
if (portArg !== undefined && !/^\d{1,5}$/.test(portArg)) refuse(`-p ${JSON.stringify(portArg)} is not a port number (0-65535)`);
const port = portArg !== undefined ? Number(portArg) : config.port;
if (port > 65535) refuse(`-p ${port} is not a port number (0-65535)`);
// `-H` over the config's host (CELLBOX_HOST, or "host" in cellbox.config.json); neither: every address.
const hostArg = arg('-H');
const host = hostArg ?? config.host;
const hostSource = hostArg !== undefined ? `-H ${hostArg}` : `CELLBOX_HOST (or "host" in cellbox.config.json) ${host}`;

const app = next({ dev: false, dir: root, port, hostname: host ?? 'localhost' });
const handle = app.getRequestHandler();
await app.prepare();

const serveHot = createHotRoutes(path.join(root, 'public'), path.join(root, '.next/static'));

// A static path that names no file served (app/_lib/assets.ts) gets Next.js's 404 page. Asked
// for the path itself, Next.js looked in public/ on its own, and a file there that the assets
// leave out (the build's stamp, public/mathjax/.version) was a 500.
const NOT_FOUND = parse('/_not-found', true);

// A longer head than Node.js's 16 KiB: a ?z= link within the code limit may need some 88 KiB.
const onRequest = (req, res) => {
  req.headers['x-cellbox-peer'] = req.socket.remoteAddress ?? '';
  if (!serveHot(req, res, () => handle(req, res, NOT_FOUND))) handle(req, res);
};
const server = http.createServer({ maxHeaderSize: MAX_REQUEST_HEAD_BYTES }, onRequest);
// `Expect: 100-continue`: the client waits to be told to send its body. Node.js tells every one
// to, unless this listener decides (app/_lib/router.ts): a body declared over the limit is
// refused at once, unsent.
server.on('checkContinue', (req, res) => {
  if (shouldContinue(req)) res.writeContinue();
  onRequest(req, res);
});
// CONNECT comes here, not to the request handler; without a listener Node.js closed the
// connection without a word. It is refused with the API's JSON 405.
server.on('connect', (_req, socket) => {
  socket.on('error', () => {});
  socket.end(connectRefusal());
});
// A request Node.js could not parse: the API's JSON error naming why, where Node.js sent an
// empty 400 or 431 (and, as Node.js's own, not in the middle of an earlier request's answer).
server.on('clientError', (e, socket) => {
  const answering = socket._httpMessage?._headerSent;
  const answer = socket.writable && !answering ? clientErrorAnswer(e) : null;
  if (answer) socket.end(answer);
  else socket.destroy();
});
server.once('error', (e) => {
  const where = `port ${port}${host ? ` on ${host}` : ''}`;
  if (e.code === 'EADDRINUSE') refuse(`${where} is in use by another program; stop it, or set PORT (or "port" in cellbox.config.json) to a free one`);
  if (e.code === 'EACCES') refuse(`${where} needs privileges this user does not have; choose a port above 1023`);
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') refuse(`${hostSource} is not an address of this machine`);
  refuse(`cannot listen on ${where}: ${e.message}`);
});
server.listen(port, host, () => console.log(`[web] ready on http://${host ?? 'localhost'}:${server.address().port}`));

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
