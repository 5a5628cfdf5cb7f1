// The host page's Content-Security-Policy, as far as a script can learn it: the browser tells
// the page when it blocked something (a `securitypolicyviolation` event), never what the policy
// is. A fetch the policy blocked fails just as one to a server that is down does; without this,
// a page missing Cellbox in its connect-src told readers to check their connection.

/** Origins the page's policy blocked connections to. */
const blocked = new Set<string>();
let listening = false;

/** Starts noting blocked connections; call before the first fetch (it cannot see earlier ones). */
export function watchPolicy(doc: Document): void {
  if (listening) return;
  listening = true;
  doc.addEventListener('securitypolicyviolation', (e) => {
    if (e.effectiveDirective !== 'connect-src') return;
    try {
      blocked.add(new URL(e.blockedURI).origin);
    } catch {
      // not a URL (an inline script's "inline"): not a connection
    }
  });
}

/**
 * Whether the page's policy blocked connecting to `url`'s origin, asked after a fetch there
 * failed. The browser fires the event as a task of its own, which can come after the fetch's
 * rejection: wait for it a moment.
 */
export async function blockedByPolicy(url: string): Promise<boolean> {
  if (!listening) return false;
  let origin: string;
  try {
    origin = new URL(url, globalThis.location?.href).origin;
  } catch {
    return false;
  }
  for (let i = 0; i < 5 && !blocked.has(origin); i++) await new Promise((r) => setTimeout(r, 10));
  return blocked.has(origin);
}
