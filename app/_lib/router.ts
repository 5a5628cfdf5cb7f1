// The hot API routes, answered by scripts/web.mjs itself instead of Next.js: posting a cell and
// following its messages are nearly all of a busy server's requests, and Next.js's routing of
// them cost more CPU and time than the work (docs/performance.md). The files cells made are
// served here too: Next.js drops a route handler's Content-Length and sends the body chunked,
// so a download had no size. The handlers are the route modules' own exports, so an answer is
// the same either way. Only canonical requests are taken here (the route's method, its exact
// path, a well-formed cell id); anything else goes on to Next.js, where the proxy, the 405s and
// the catch-all 404 answer it as before. So are the static files (./assets), which Next.js
// gzipped anew for each request, and answered with a 500 for any method but GET or HEAD.
// Every POST is taken here too (snippets, interrupts): Next.js's proxy buffers the body of each
// request it sees, up to 10 MB twice over, and reads it to its end before any route can refuse
// it; a body bound for Next.js anyway is refused here past MAX_BODY_BYTES.
// scripts/build.mjs bundles this file as dist/api.mjs.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import Negotiator from 'negotiator';
import * as cellRoute from '../api/v1/cells/[id]/route';
import * as messagesRoute from '../api/v1/cells/[id]/messages/route';
import * as cellsRoute from '../api/v1/cells/route';
import * as executeRoute from '../api/v1/execute/route';
import * as interruptRoute from '../api/v1/cells/[id]/interrupt/route';
import * as snippetsRoute from '../api/v1/snippets/route';
import * as filesRoute from '../files/[[...path]]/route';
import * as pollRoute from '../api/v1/poll/route';
import * as serviceRoute from '../service/route';
import { ApiError } from '../../protocol/errors';
import { MAX_BODY_BYTES, MAX_REQUEST_HEAD_BYTES } from '../../protocol/limits';
import { NodeRequest, type ApiRequest } from './api-request';
import { createAssets, isAssetPath } from './assets';
import { allowHeader, PAGES, routeMethods } from './methods';
import { errorReply, reply, type Reply, type Route } from './respond';
import { server } from './server';
import { ConfigError, unknownEnvNames } from '../../store/config';
import { DatabaseError } from '../../store/db';

type Params = Record<string, string>;
type Handler = (req: ApiRequest, ctx: { params: Promise<Params> }) => Promise<Reply>;
/** The `Reply` of a route module's handler, whatever its context's type. */
const replyOf = (r: unknown): Handler => (r as Route<{ params: Promise<Params> }>).reply;

/**
 * Smaller answers go as they are: gzip would cost more than it saves. A trivial cell's whole
 * answer (its busy, input, output, reply and idle: some 1.5 KB) compressed in the thread pool
 * took ~2 ms of its round trip, to save a few hundred bytes that travel in the first TCP window
 * (~14 KB) either way.
 */
const GZIP_FROM_BYTES = 4096;
/** In the thread pool: a megabyte of output must not hold up the other requests. */
const gzip = promisify(zlib.gzip);

const CLIENT_GONE = Object.freeze({ reason: 'the client closed the connection' });

/** A cell id as nanoid makes them (app/_lib/request.ts checks the same). */
const ID = '([A-Za-z0-9_-]{12})';

const ROUTES: { method: string; path: RegExp; handler: Handler }[] = [
  { method: 'POST', path: /^\/api\/v1\/cells$/, handler: replyOf(cellsRoute.POST) },
  { method: 'GET', path: new RegExp(`^/api/v1/cells/${ID}/messages$`), handler: replyOf(messagesRoute.GET) },
  { method: 'GET', path: /^\/api\/v1\/poll$/, handler: replyOf(pollRoute.GET) },
  // HEAD as GET, without a wait (longPollWait): through Next.js it waited as GET does, up to 25 s.
  { method: 'HEAD', path: new RegExp(`^/api/v1/cells/${ID}/messages$`), handler: replyOf(messagesRoute.GET) },
  { method: 'HEAD', path: /^\/api\/v1\/poll$/, handler: replyOf(pollRoute.GET) },
  { method: 'POST', path: /^\/api\/v1\/execute$/, handler: replyOf(executeRoute.POST) },
  { method: 'GET', path: new RegExp(`^/api/v1/cells/${ID}$`), handler: replyOf(cellRoute.GET) },
  { method: 'POST', path: new RegExp(`^/api/v1/cells/${ID}/interrupt$`), handler: replyOf(interruptRoute.POST) },
  { method: 'POST', path: /^\/api\/v1\/snippets$/, handler: replyOf(snippetsRoute.POST) },
  // Through Next.js, a chunked body (no Content-Length to refuse it by) was cut at its proxy's
  // limit without a word, and the route read the first 512 KiB as if that were all: a form whose
  // last field (`accepted_tos`) was the long one ran its cell. Here the body is read to the limit
  // and refused past it, as every other POST's.
  { method: 'POST', path: /^\/service$/, handler: replyOf(serviceRoute.POST) },
  // The handler reads the cell id and the name from the path itself, and names what is wrong.
  { method: 'GET', path: /^\/files\/[^/?]+(?:\/[^/?]+)+$/, handler: replyOf(filesRoute.GET) },
  // HEAD as GET, its body left out by answer(): through Next.js it had no Content-Length.
  { method: 'HEAD', path: /^\/files\/[^/?]+(?:\/[^/?]+)+$/, handler: replyOf(filesRoute.GET) },
];

/**
 * Reads the config and opens the store now: before the web server listens, so that a bad
 * setting or an unusable database stops its start (see startProblem), and so that the first
 * cell does not pay for it. Returns the port and host the config asks for (no host: every
 * address), and the CELLBOX_ names set that are no setting (a typo of one stops the start; these
 * are warned of).
 */
export function warm(): { port: number; host: string | undefined; ignored: string[] } {
  const { port, host } = server().config;
  return { port, host, ignored: unknownEnvNames(process.env).map((u) => u.name) };
}

/** For scripts/web.mjs's server: the longest request head it reads. */
export { MAX_REQUEST_HEAD_BYTES };

/** What the host must fix, in one line, when `e` (thrown by warm()) is theirs to fix; else null. */
export function startProblem(e: unknown): string | null {
  return e instanceof ConfigError || e instanceof DatabaseError ? e.message : null;
}

/** The web server is stopping: every waiting long-poll answers now with what it has (Server.closing). */
export function drain(): void {
  server().closing.abort();
}

/**
 * Whether to tell a client that sent `Expect: 100-continue` to go on with its body (scripts/
 * web.mjs's 'checkContinue' listener; the request is then answered as any other). Not when the
 * body it declares is over MAX_BODY_BYTES, which no route reads: the answer (a 413, mostly) goes
 * at once instead. Node.js's own listener said "100 Continue" to every request, so a client
 * sent its 40 MiB only to be refused after the first half MiB.
 */
export function shouldContinue(req: IncomingMessage): boolean {
  return !(Number(req.headers['content-length']) > MAX_BODY_BYTES);
}

/** Methods but GET and HEAD on the static files: a preflight, open to any page as the files are, or a refusal naming what is answered. */
const ASSET_METHODS = { Allow: 'GET, HEAD, OPTIONS', 'Access-Control-Allow-Origin': '*' };
const assetMethods: Handler = async (req) => {
  if (req.method === 'OPTIONS') return reply(null, 204, { ...ASSET_METHODS, 'Access-Control-Allow-Methods': 'GET, HEAD' });
  throw new ApiError('method_not_allowed', `${req.method} is not answered here; use GET or HEAD.`, ASSET_METHODS);
};

/**
 * The hot routes and the static assets (./assets: under `publicDir`, and Next.js's build output
 * in `staticDir`): the returned function answers `req` and returns true, or returns false to
 * leave it to Next.js; `next` takes an asset that is not there (Next.js's 404 page).
 */
export function createHotRoutes(publicDir: string, staticDir: string): (req: IncomingMessage, res: ServerResponse, next: () => void) => boolean {
  const serveAsset = createAssets(publicDir, staticDir);
  return (req, res, next) => {
    const refusal = takeTarget(req);
    if (refusal) {
      answer(listen(req, res), res, async () => (refusal instanceof ApiError ? errorReply(refusal) : refusal), {});
      return true;
    }
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    for (const { method, path: pattern, handler } of ROUTES) {
      if (req.method !== method) continue;
      const m = pattern.exec(path);
      if (!m) continue;
      answer(listen(req, res), res, handler, m[1] === undefined ? {} : { id: m[1] });
      return true;
    }
    if (isAssetPath(path)) {
      if (req.method === 'GET' || req.method === 'HEAD') serveAsset(req, res, path, next);
      else answer(listen(req, res), res, assetMethods, {});
      return true;
    }
    if (UNROUTABLE_METHODS.has(req.method ?? '')) {
      answer(listen(req, res), res, async () => errorReply(unroutable(req.method!, path)), {});
      return true;
    }
    // No route Next.js answers takes a body this large: refused before its proxy buffers it.
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES) {
      answer(listen(req, res), res, async () => errorReply(new ApiError('too_large', `The request body is ${req.headers['content-length']} bytes; the limit is ${MAX_BODY_BYTES}.`, ANY_ORIGIN)), {});
      return true;
    }
    if (!isPage(path)) for (const name of FLIGHT_HEADERS) delete req.headers[name];
    return false;
  };
}

/**
 * The headers of a React Server Components fetch (`RSC: 1`, as Next.js's client router sends
 * when it navigates), which only a page answers. Next.js checked them on every route: an API
 * route, `/files/` or `/healthz` asked with `RSC: 1` was a 307 to the same URL with an `_rsc`
 * query (its guard against caches that ignore Vary), without CORS headers, so a page's fetch
 * failed on it, and curl got an empty body. Taken off, the route answers as to any request.
 */
const FLIGHT_HEADERS = ['rsc', 'next-router-state-tree', 'next-router-prefetch', 'next-router-segment-prefetch', 'next-hmr-refresh', 'next-url'];

/** A page (or a path no route takes, answered with the 404 page): what an RSC fetch may ask for. */
function isPage(path: string): boolean {
  const methods = routeMethods(path);
  return PAGES.some((re) => re.test(path)) || (!methods && !/^\/(api|files)(\/|$)/.test(path));
}

/**
 * Methods Next.js cannot route: it makes a Fetch API `Request` of each request, and the Fetch
 * standard forbids these, so `new Request` threw and every such request was a plain-text 500
 * with a stack trace in the log. (CONNECT never reaches here: Node.js hands it to the server's
 * 'connect' listener, scripts/web.mjs.)
 */
const UNROUTABLE_METHODS = new Set(['TRACE', 'TRACK']);

/** The refusal of such a method, as the proxy words its own (proxy.ts): 405 on a route, 404 elsewhere. */
function unroutable(method: string, path: string): ApiError {
  const allowed = routeMethods(path);
  if (allowed) return new ApiError('method_not_allowed', `${method} is not answered here; use ${allowed.join(' or ')}.`, { Allow: allowHeader(allowed), ...ANY_ORIGIN });
  return new ApiError('not_found', `There is nothing at ${JSON.stringify(path.slice(0, 200))}; the API is under /api/v1.`, ANY_ORIGIN);
}

const ANY_ORIGIN = { 'Access-Control-Allow-Origin': '*' };

/**
 * An error as the bytes of a whole answer, for a socket no request handler holds: CONNECT, and
 * requests Node.js could not parse (below). The connection is closed after it.
 */
function rawAnswer(error: ApiError): Buffer {
  const refusal = errorReply(error);
  const body = Buffer.from(refusal.body as string);
  const head = [`HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}`, ...Object.entries(refusal.headers).map(([k, v]) => `${k.toLowerCase()}: ${v}`), `content-length: ${body.length}`, 'connection: close'];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body]);
}

/**
 * The answer to a CONNECT: Node.js hands that request to the server's 'connect' listener with
 * the bare socket (scripts/web.mjs), and without one it closed the connection with no answer at
 * all. This server is no proxy; a 405 says so.
 */
export function connectRefusal(): Buffer {
  return rawAnswer(new ApiError('method_not_allowed', 'CONNECT is not answered here: this server is not a proxy. Use GET, HEAD, POST or OPTIONS.', { Allow: 'GET, HEAD, POST, OPTIONS', ...ANY_ORIGIN }));
}

/** Node.js's word for a request it could not parse (its 'clientError'), and what llhttp said. */
interface ParseError { code?: string; reason?: string; message?: string }

/**
 * The answer to a request Node.js could not parse, or null when there is nobody to answer (the
 * client is gone). Node.js's own was an empty 400, 408 or 431: a head over the limit (a long
 * `?z=` link, an overgrown cookie) left a blank page saying only "431".
 */
export function clientErrorAnswer(e: ParseError): Buffer | null {
  if (e.code === 'ECONNRESET' || e.code === 'EPIPE') return null;
  if (e.code === 'HPE_HEADER_OVERFLOW') {
    return rawAnswer(new ApiError('headers_too_large', `The request's URL and headers are over ${MAX_REQUEST_HEAD_BYTES} bytes, the limit. For code that long, share it as a snippet (POST /api/v1/snippets) or a #z= link.`, ANY_ORIGIN));
  }
  if (e.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return rawAnswer(new ApiError('request_timeout', 'The request was not sent in full in time; send it again.', ANY_ORIGIN));
  }
  const why = (e.reason ?? e.message ?? e.code ?? 'unreadable').replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
  return rawAnswer(new ApiError('bad_request', `The request is not valid HTTP/1.1 (${why}).`, ANY_ORIGIN));
}

/** A path segment that is `.` or `..`, percent-encoded or not. */
const DOT_SEGMENT = /\/(\.|%2e){1,2}(\/|$)/i;

/**
 * Checks the request line's target before anything reads it, and leaves `req.url` a path (with
 * its query): the answer when it cannot be taken. Node.js hands it over as sent; the URL parser
 * behind Next.js would remove `.` and `..` segments (`/s/../api/v1/languages` answered as the
 * languages) and follow an absolute target's host (`GET http://elsewhere/x` was redirected
 * there), and `*` made it throw (a plain-text 500).
 */
function takeTarget(req: IncomingMessage): ApiError | Reply | null {
  let target = req.url ?? '';
  if (target === '*') {
    // RFC 9110's asterisk-form: a question about the server as a whole, for OPTIONS only.
    if (req.method === 'OPTIONS') return reply(null, 204, { Allow: 'GET, HEAD, POST, OPTIONS' });
    return new ApiError('invalid_field', `Bad URL: "*" is a target for OPTIONS only, not ${req.method}.`, ANY_ORIGIN);
  }
  // The absolute form (as sent to a proxy) names this server too: its path is what is asked for.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    const rest = target.indexOf('/', target.indexOf('//') + 2);
    target = rest < 0 ? '/' : target.slice(rest);
  }
  if (!target.startsWith('/')) return new ApiError('invalid_field', `Bad URL: ${JSON.stringify(target.slice(0, 64))} is not a path.`, ANY_ORIGIN);
  req.url = target;
  const q = target.search(/[?#]/);
  const path = q < 0 ? target : target.slice(0, q);
  if (DOT_SEGMENT.test(path)) return new ApiError('invalid_field', 'Bad URL: the path must not contain "." or ".." segments.', ANY_ORIGIN);
  // Next.js would redirect `/api/v1/cells/`, `/api/v1//cells`, `//api/v1/cells` (a base URL
  // written with a trailing "/") or `/healthz/` to the path without, and a file's URL so too, with a 308 that has
  // no CORS headers, which a page's fetch then fails on, and which answered curl's POST with the
  // path as plain text: these paths have no empty parts and no trailing slash.
  const canonical = path.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
  if (canonical !== path && /^\/(?:(?:api|files)\/|(?:healthz|metrics)$)/.test(canonical)) {
    const [what, whose] = canonical.startsWith('/files/') ? ['file URL', 'File URLs'] : ['API route', 'API paths'];
    const rule = /\/\/./.test(path) ? 'no empty parts ("//") and no trailing "/"' : 'no trailing "/"';
    return new ApiError('not_found', `There is no ${what} ${JSON.stringify(path.slice(0, 200))}; ${whose} have ${rule} (${JSON.stringify(canonical.slice(0, 200))}).`, ANY_ORIGIN);
  }
  return null;
}

function listen(req: IncomingMessage, res: ServerResponse): NodeRequest {
  const request = new NodeRequest(req);
  // Closed before the answer was written: the client went away, and a long-poll stops
  // waiting. (A reason given: abort() makes no DOMException, whose stack is costly.)
  res.once('close', () => {
    if (!res.writableFinished) request.clientGone(CLIENT_GONE);
  });
  return request;
}

async function answer(req: ApiRequest, res: ServerResponse, handler: Handler, params: Params): Promise<void> {
  let reply: Reply;
  try {
    reply = await handler(req, { params: Promise.resolve(params) });
  } catch (e) {
    reply = errorReply(e);
  }
  try {
    let body = reply.body === null ? null : typeof reply.body === 'string' ? Buffer.from(reply.body) : Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength);
    // Header names in lower case, as HTTP/1.1 sends them either way: one spelling of each.
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(reply.headers)) headers[name.toLowerCase()] = value;
    // Gzip, as Next.js does: a cell's output (a megabyte of text, a plot) travels to other sites' pages.
    // `no-transform` (a cell's file): served as stored.
    if (body && body.length >= GZIP_FROM_BYTES && !/\bno-transform\b/.test(headers['cache-control'] ?? '')) {
      headers.vary = headers.vary ? `${headers.vary}, Accept-Encoding` : 'Accept-Encoding';
      // Negotiated as RFC 9110 says: `gzip;q=0` refuses it, `*` takes it.
      if (new Negotiator({ headers: { 'accept-encoding': req.headers.get('accept-encoding') ?? undefined } }).encoding(['gzip', 'identity']) === 'gzip') {
        body = await gzip(body);
        headers['content-encoding'] = 'gzip';
      }
    }
    if (res.destroyed) return;
    if (body) headers['content-length'] = String(body.length);
    res.writeHead(reply.status, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (e) {
    // Writing failed (the client is gone, most likely): nothing left to tell anyone.
    if (!res.headersSent) res.destroy(e as Error);
  }
}
