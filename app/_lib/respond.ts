// The one place errors become HTTP: route bodies throw ApiError (or fail), and this turns it
// into a JSON error body with its status; it also applies CORS to every API answer.
import { ApiError } from '../../protocol/errors';
import { server } from './server';

type Handler<C> = (req: Request, ctx: C) => Promise<Response> | Response;

const CORS_HEADERS = {
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
  'Access-Control-Max-Age': '86400',
};

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return jsonText(JSON.stringify(body), status, headers);
}

/** An answer whose JSON is already text (long-polls splice stored messages without re-encoding). */
export function jsonText(text: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(text, { status, headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers } });
}

export function originAllowed(origin: string, allowed: string[]): boolean {
  return allowed.includes('*') || allowed.includes(origin);
}

/** Adds the CORS headers an answer to a request from `origin` (its Origin header) carries. */
export function withCors(origin: string | null, res: Response): Response {
  const allowed = server().config.allowedOrigins;
  if (allowed.includes('*')) res.headers.set('Access-Control-Allow-Origin', '*');
  else if (origin && originAllowed(origin, allowed)) {
    res.headers.set('Access-Control-Allow-Origin', origin);
    res.headers.append('Vary', 'Origin');
  }
  for (const [k, v] of Object.entries(CORS_HEADERS)) res.headers.set(k, v);
  return res;
}

export function errorResponse(e: unknown): Response {
  if (e instanceof ApiError) return json(e.body(), e.status, e.headers);
  const sqlite = e && typeof e === 'object' && 'code' in e ? String((e as { code: unknown }).code) : '';
  if (/^SQLITE_(BUSY|LOCKED)/.test(sqlite)) {
    return json({ error: { code: 'unavailable', message: 'The database is busy; try again in a moment.' } }, 503, { 'Retry-After': '1' });
  }
  if (/^SQLITE_FULL/.test(sqlite) || /^SQLITE_IOERR/.test(sqlite)) {
    console.error('[web] storage error:', e);
    return json({ error: { code: 'unavailable', message: "The server's storage is full or failing; nothing was saved. Try again later." } }, 503, { 'Retry-After': '30' });
  }
  console.error('[web] internal error:', e);
  return json({ error: { code: 'internal', message: 'Something went wrong on our side; it has been logged.' } }, 500);
}

/** Wraps a route handler: errors to HTTP, CORS, and refusal of origins outside the allowlist. */
export function route<C>(fn: Handler<C>): (req: Request, ctx: C) => Promise<Response> {
  return async (req, ctx) => {
    let res: Response;
    try {
      const origin = req.headers.get('origin');
      if (origin && !originAllowed(origin, server().config.allowedOrigins)) {
        throw new ApiError('origin_not_allowed', `This Cellbox server does not accept requests from ${origin}.`);
      }
      res = await fn(req, ctx);
    } catch (e) {
      res = errorResponse(e);
    }
    try {
      return withCors(req.headers.get('origin'), res);
    } catch {
      return res;
    }
  };
}

/** The CORS preflight answer, for every API route's OPTIONS export. */
export const preflight = route(() => new Response(null, { status: 204 }));
