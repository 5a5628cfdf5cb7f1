// The one place errors become HTTP: route bodies throw ApiError (or fail), and this turns it
// into a JSON error body with its status; it also applies CORS to every API answer.
import { ApiError } from '../../protocol/errors';
import { fromFetch, type ApiRequest } from './api-request';
import { server } from './server';

/**
 * An answer as plain data. Route bodies make these, not Fetch API `Response`s: under Next.js
 * `route()` turns one into a `Response`, and the web server's own router (router.ts) writes it
 * to the socket as it is. Making a `Response` and reading it back cost some 0.6 ms of CPU per
 * answer on a VM, on the path of every long-poll's answer.
 */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array | null;
}

type Handler<C> = (req: ApiRequest, ctx: C) => Promise<Reply> | Reply;

/** A route handler for Next.js that also answers as a `Reply`, for the web server's router. */
export interface Route<C> {
  (req: Request, ctx: C): Promise<Response>;
  reply(req: ApiRequest, ctx: C): Promise<Reply>;
}

const CORS_HEADERS = {
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  // The request headers the API reads besides CORS's safe ones: a JSON body's type, and the
  // files' ranges and revalidation (Range past a plain "bytes=N-M", If-None-Match,
  // If-Modified-Since, If-Range), for which a browser asks first, and refused a page on another
  // origin when not listed.
  'Access-Control-Allow-Headers': 'Content-Type, Range, If-None-Match, If-Modified-Since, If-Range',
  'Access-Control-Max-Age': '86400',
};

/**
 * The answer headers a page on another origin may read besides CORS's few safe ones. Without
 * this, an embedded cell (the embed's very use) read no Retry-After from a 429 or 503, so the
 * client's backoff never heard how long the server asked it to wait; nor the Location of what
 * a POST made. A route may name more of its own (the files: Content-Range, ETag …).
 */
const EXPOSED_HEADERS = ['Retry-After', 'Location', 'Content-Disposition'];

export function reply(body: string | Uint8Array | null, status = 200, headers: Record<string, string> = {}): Reply {
  return { status, headers, body };
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Reply {
  return jsonText(JSON.stringify(body), status, headers);
}

/** An answer whose JSON is already text (long-polls splice stored messages without re-encoding). */
export function jsonText(text: string, status = 200, headers: Record<string, string> = {}): Reply {
  return reply(text, status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
}

/**
 * Whether a request from `origin` (its Origin header) may be answered: listed, or everyone is,
 * or it comes from a page of this very server. Browsers send `Origin` on a page's same-origin
 * POSTs too, so with an allowlist that left this server's own origin out, Cellbox's own pages
 * and its embed demo were refused. Which origin is its own is told by the request's `Host`,
 * which a proxy in front passes on; only the host names are compared, as the proxy may take
 * HTTPS where this server speaks HTTP, and nginx's `$host` drops the port the page was on.
 * Anyone may still call the API outside a browser, without an Origin: the allowlist chooses
 * which sites' pages may, nothing more.
 */
export function originAllowed(origin: string, allowed: string[], host: string | null = null): boolean {
  return allowed.includes('*') || allowed.includes(origin) || (host !== null && hostName(origin, '') === hostName(host, 'http://'));
}

/** The host name of `origin` (or of a Host header, with `scheme` put before it), lower case; null for "null" and the like. */
function hostName(value: string, scheme: string): string | null {
  try {
    return new URL(scheme + value).hostname.toLowerCase() || null;
  } catch {
    return null;
  }
}

/** Adds the CORS headers an answer to a request from `origin` (its Origin header) carries. */
function withCors(origin: string | null, host: string | null, answer: Reply): Reply {
  const allowed = server().config.allowedOrigins;
  const headers = answer.headers;
  if (allowed.includes('*')) headers['Access-Control-Allow-Origin'] = '*';
  else {
    if (origin && originAllowed(origin, allowed, host)) headers['Access-Control-Allow-Origin'] = origin;
    // On every answer, the ones without an Origin too: a shared cache that kept a copy made for
    // curl (no Allow-Origin) would serve it to a listed page's fetch, which CORS then refuses.
    const vary = Object.keys(headers).find((k) => k.toLowerCase() === 'vary');
    if (vary) headers[vary] = `${headers[vary]}, Origin`;
    else headers.Vary = 'Origin';
  }
  Object.assign(headers, CORS_HEADERS);
  const own = Object.keys(headers).find((k) => k.toLowerCase() === 'access-control-expose-headers');
  const exposed = new Set([...(own ? headers[own].split(',').map((h) => h.trim()) : []), ...EXPOSED_HEADERS]);
  if (own) delete headers[own];
  headers['Access-Control-Expose-Headers'] = [...exposed].join(', ');
  return answer;
}

export function errorReply(e: unknown): Reply {
  if (e instanceof ApiError) return json(e.body(), e.status, e.headers);
  const sqlite = e && typeof e === 'object' && 'code' in e ? String((e as { code: unknown }).code) : '';
  if (/^SQLITE_(BUSY|LOCKED)/.test(sqlite)) {
    return json({ error: { code: 'unavailable', message: 'The database is busy; try again in a moment.' } }, 503, { 'Retry-After': '1' });
  }
  if (/^SQLITE_FULL/.test(sqlite)) {
    // Expected while the disk stays full, once per refused request: one line, not a stack.
    console.error(`[web] the data disk is full: ${(e as Error).message} (${sqlite})`);
    return json({ error: { code: 'unavailable', message: "The server's disk is full; nothing was saved. Try again later." } }, 503, { 'Retry-After': '30' });
  }
  if (/^SQLITE_IOERR/.test(sqlite)) {
    console.error('[web] storage error:', e);
    return json({ error: { code: 'unavailable', message: "The server's storage is failing; nothing was saved. Try again later." } }, 503, { 'Retry-After': '30' });
  }
  console.error('[web] internal error:', e);
  return json({ error: { code: 'internal', message: 'Something went wrong on our side; it has been logged.' } }, 500);
}

/** The Fetch API answer Next.js takes. */
export function toResponse(answer: Reply): Response {
  return new Response(answer.body as BodyInit | null, { status: answer.status, headers: answer.headers });
}

/** Wraps a route handler: errors to HTTP, CORS, and refusal of origins outside the allowlist. */
export function route<C>(fn: Handler<C>): Route<C> {
  const answer = async (req: ApiRequest, ctx: C): Promise<Reply> => {
    let res: Reply;
    try {
      const origin = req.headers.get('origin');
      if (origin && !originAllowed(origin, server().config.allowedOrigins, req.headers.get('host'))) {
        throw new ApiError('origin_not_allowed', `This Cellbox server does not accept requests from ${origin}.`);
      }
      res = await fn(req, ctx);
    } catch (e) {
      res = errorReply(e);
    }
    try {
      return withCors(req.headers.get('origin'), req.headers.get('host'), res);
    } catch {
      return res;
    }
  };
  const handler = (async (req: Request, ctx: C) => toResponse(await answer(fromFetch(req), ctx))) as Route<C>;
  handler.reply = answer;
  return handler;
}

/** The CORS preflight answer, for every API route's OPTIONS export. */
export const preflight = route(() => reply(null, 204));
