// Runs before routing, for every path but Next.js's build files: a path the router cannot take
// apart (a bad percent escape) gets a JSON 400 naming the problem instead of a
// framework page (under /s/ the 404 page, since no snippet id has such characters); a method a
// route does not answer, a JSON 405; anything but a read of a path no route takes, a JSON 404.
import { NextResponse, type NextRequest } from 'next/server';
import { ApiError, type ErrorCode } from './protocol/errors';
import { server } from './app/_lib/server';
import { findSnippet } from './app/_lib/snippets';
import { allowHeader, notAllowed, PAGES, routeMethods as methodsOf } from './app/_lib/methods';

// Every path but Next.js's own build files: a path no route takes must not reach Next.js with a
// POST either (below).
export const config = { matcher: ['/((?!_next/static|_next/image).*)'] };

/**
 * A refusal in the API's JSON, its status the code's (protocol/errors.ts). Answered before any
 * route, so without the routes' CORS and cache headers: `headers` are all it carries besides
 * the JSON type (docs/api.md says which).
 */
function refuse(code: ErrorCode, message: string, headers: Record<string, string> = {}): NextResponse {
  const error = new ApiError(code, message, headers);
  return NextResponse.json(error.body(), { status: error.status, headers: error.headers });
}

const ANY_ORIGIN = { 'Access-Control-Allow-Origin': '*' };

/** A path segment Next.js's router could not decode. (`.` and `..` are refused earlier, by app/_lib/router.ts, which sees the path before they are resolved.) */
function problem(path: string): string | null {
  for (const raw of path.split('/')) {
    try {
      decodeURIComponent(raw);
    } catch {
      return `the path segment ${JSON.stringify(raw.slice(0, 64))} is not valid percent-encoded UTF-8`;
    }
  }
  return null;
}

/**
 * An unknown snippet's page goes straight to the 404 page. The page's own notFound() gives a
 * 404 too, but Next.js renders a dynamic page's not-found only in the browser (an empty
 * `__next_error__` document: vercel/next.js#62228), which leaves curl and readers without
 * JavaScript a blank page. (Proxy runs on Node.js, so it can read the store.)
 */
function unknownSnippetPage(path: string): boolean {
  const m = /^\/s\/([^/]+)\/?$/.exec(path);
  if (!m) return false;
  try {
    return findSnippet(server(), decodeURIComponent(m[1])) === null;
  } catch {
    return false; // the page will answer (a busy database is its problem to report)
  }
}

export function proxy(req: NextRequest) {
  const raw = new URL(req.url).pathname;
  const p = problem(raw);
  // The permalink page gets the 404 page; its raw text (/s/<id>/raw) answers in JSON like the API.
  const page = raw.startsWith('/s/') && !/^\/s\/[^/]*\/raw\/?$/.test(raw);
  if (page && p) return NextResponse.rewrite(new URL('/_not-found', req.url));
  if (p) return refuse('invalid_field', `Bad URL: ${p}.`, ANY_ORIGIN);
  if (req.method === 'OPTIONS' && PAGES.some((re) => re.test(raw))) {
    return new NextResponse(null, { status: 204, headers: { Allow: 'GET, HEAD, OPTIONS' } });
  }
  const routeMethods = methodsOf(raw);
  const allowed = notAllowed(routeMethods, req.method);
  if (allowed) {
    return refuse('method_not_allowed', `${req.method} is not answered here; use ${allowed.join(' or ')}.`, {
      Allow: allowHeader(allowed),
      ...ANY_ORIGIN,
    });
  }
  // After the method: a POST to an unknown snippet's page is refused as to any page, not
  // rendered as the 404 page (nor, as a form post, taken for a server action: a 409).
  if (page && unknownSnippetPage(raw)) return NextResponse.rewrite(new URL('/_not-found', req.url));
  if (raw === '/files' || raw === '/files/') return refuse('not_found', 'File URLs look like /files/<cell id>/<file name>.');
  // A path no route takes, sent anything but a read (OPTIONS too): Next.js would render its 404 page, or take
  // a form post for a server action and answer a plain-text 409 "Server Action unavailable".
  // (The API's own catch-all answers its unknown routes.)
  if (!['GET', 'HEAD'].includes(req.method) && !raw.startsWith('/api/') && !routeMethods) {
    return refuse('not_found', `There is nothing at ${JSON.stringify(raw.slice(0, 200))}; the API is under /api/v1.`, ANY_ORIGIN);
  }
  return NextResponse.next();
}
