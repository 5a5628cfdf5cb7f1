// Refusing new cells before Next.js routes them. While the queue is full, the web server's own
// request handler (scripts/web.mjs) asks this hook about every request, and a POST of a cell
// gets its 503 at once: under ten times the load the machine sustains, routing each refused
// POST through Next.js cost more CPU than there was, and refusals waited seconds for their
// turn (docs/reliability.md). The answer is the one the route itself would give.
import { errorResponse, originAllowed, withCors } from './respond';
import { server } from './server';
import { queueFull } from './submit';

/** Where scripts/web.mjs finds the hook: the app's modules are bundled, so it cannot import them. */
const HOOK = Symbol.for('cellbox.admission');

/** The routes that queue a cell. */
const SUBMITTING = new Set(['/api/v1/cells', '/api/v1/execute']);

type Hook = (method: string, path: string, origin: string | null) => Response | null;

/** The early answer to a request, or null to let Next.js route it. */
export const admission: Hook = (method, path, origin) => {
  if (method !== 'POST' || !SUBMITTING.has(path)) return null;
  const s = server();
  // An origin outside the allowlist is refused for that, by the route.
  if (origin && !originAllowed(origin, s.config.allowedOrigins)) return null;
  const full = queueFull(s);
  return full ? withCors(origin, errorResponse(full)) : null;
};

/** Called by the routes that queue cells: from their first use on, refusals come early. */
export function installAdmission(): void {
  (globalThis as { [HOOK]?: Hook })[HOOK] = admission;
}
