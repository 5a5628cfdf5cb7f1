// The methods each path answers, in one table for both places that refuse the others: the
// proxy (proxy.ts, before Next.js routes a request) and the web server's router (router.ts),
// which answers the methods Next.js cannot take at all.

/**
 * The pages, and the icon (a metadata route): Next.js renders a page for any method (a POST may
 * be a server action, which this app has none of) and answers OPTIONS with an empty 400 or a
 * plain 405. They answer GET and HEAD; OPTIONS says so.
 */
export const PAGES = [/^\/$/, /^\/s\/[^/]+\/?$/, /^\/icon\.svg$/];

/**
 * The methods each route answers (besides OPTIONS, the CORS preflight, and HEAD where GET is).
 * Keep in step with the route handlers' exports (test/input/fuzz.test.ts sends every method).
 */
const METHODS: [RegExp, string[]][] = [
  ...PAGES.map((re): [RegExp, string[]] => [re, ['GET']]),
  [/^\/embed\/?$/, ['GET']],
  [/^\/healthz\/?$/, ['GET']],
  [/^\/metrics\/?$/, ['GET']],
  [/^\/api\/v1\/cells\/?$/, ['POST']],
  [/^\/api\/v1\/cells\/[^/]+\/?$/, ['GET']],
  [/^\/api\/v1\/cells\/[^/]+\/messages\/?$/, ['GET']],
  [/^\/api\/v1\/cells\/[^/]+\/interrupt\/?$/, ['POST']],
  [/^\/api\/v1\/poll\/?$/, ['GET']],
  [/^\/api\/v1\/execute\/?$/, ['POST']],
  // SageMathCell's simple service (app/service/route.ts).
  [/^\/service\/?$/, ['POST']],
  [/^\/api\/v1\/languages\/?$/, ['GET']],
  [/^\/api\/v1\/snippets\/?$/, ['POST']],
  [/^\/api\/v1\/snippets\/[^/]+\/?$/, ['GET']],
  [/^\/s\/[^/]+\/raw\/?$/, ['GET']],
  [/^\/files\/.+$/, ['GET']],
];

/** The methods the route at `path` answers (HEAD and OPTIONS aside), or undefined for a path no route takes. */
export function routeMethods(path: string): string[] | undefined {
  return METHODS.find(([re]) => re.test(path))?.[1];
}

/** The methods a route answers, where `method` is not among them; null where it is, or for no route. */
export function notAllowed(allowed: string[] | undefined, method: string): string[] | null {
  if (method === 'OPTIONS' || !allowed) return null;
  const ok = allowed.includes(method) || (method === 'HEAD' && allowed.includes('GET'));
  return ok ? null : allowed;
}

/** The Allow header of a 405 from a route that answers `allowed`. */
export function allowHeader(allowed: string[]): string {
  return [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
}
