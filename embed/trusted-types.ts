// Trusted Types. A host page whose Content-Security-Policy says `require-trusted-types-for
// 'script'` refuses every plain string given to innerHTML, DOMParser or a script's src: HTML
// output, even a cell's print(), was lost to a TypeError. The embed makes one policy, named
// POLICY_NAME, which a host allows with `trusted-types cellbox`. Through it go only:
// - HTML DOMPurify sanitises: DOMPurify parses the raw HTML into an inert document (no script
//   runs there, nothing loads) and gives back its sanitised serialisation, both through it;
// - terminal text ansi_up has escaped;
// - MathML Cellbox's own MathJax made from a formula, parsed into an inert document;
// - the URLs of scripts under the MathJax folder of a Cellbox server this page's cells use, and
//   of the worker that loads MathJax's speech rules from there.
// The policy object never leaves the embed, so nothing else in the page can bless a string with it.

export const POLICY_NAME = 'cellbox';

export interface TrustedPolicy {
  createHTML(html: string): unknown;
  createScriptURL(url: string): unknown;
}

interface TrustedTypesFactory {
  createPolicy(name: string, rules: { createHTML(s: string): string; createScriptURL(s: string): string }): TrustedPolicy;
}

type WithTrustedTypes = Window & { trustedTypes?: TrustedTypesFactory };

/** Per window: its policy, or why it has none (the page's trusted-types directive refused the name). */
const policies = new WeakMap<Window, { policy: TrustedPolicy | null; refused: string | null }>();

/** URL prefixes whose scripts may be loaded: each Cellbox server's MathJax folder. */
const scriptPrefixes = new Set<string>();

/** Lets scripts under `prefix` (absolute: a folder ending in `/`, or one URL) through the policy; returns how to stop. */
export function allowScriptsUnder(prefix: string): () => void {
  scriptPrefixes.add(prefix);
  return () => scriptPrefixes.delete(prefix);
}

function entry(win: Window): { policy: TrustedPolicy | null; refused: string | null } {
  let e = policies.get(win);
  if (e) return e;
  const factory = (win as WithTrustedTypes).trustedTypes;
  e = { policy: null, refused: null };
  if (factory && typeof factory.createPolicy === 'function') {
    try {
      e.policy = factory.createPolicy(POLICY_NAME, {
        createHTML: (html) => html,
        createScriptURL: (url) => {
          const absolute = new URL(url, win.location.href).href;
          if ([...scriptPrefixes].some((p) => absolute.startsWith(p))) return absolute;
          throw new TypeError(`Cellbox loads no script from ${absolute}: only MathJax from its own server.`);
        },
      });
    } catch (err) {
      // The page's trusted-types directive does not name the policy (or names it once, and
      // another copy of the embed took it): strings are used, and refused where TT is enforced.
      e.refused = (err as Error)?.message ?? String(err);
    }
  }
  policies.set(win, e);
  return e;
}

/** The embed's policy in this window; null where the browser has no Trusted Types or the page refused the name. */
export function cellboxPolicy(win: Window): TrustedPolicy | null {
  return entry(win).policy;
}

/** `html` as a TrustedHTML where this window has the policy, else as it is. */
export function trustedHTML(win: Window, html: string): unknown {
  return cellboxPolicy(win)?.createHTML(html) ?? html;
}

/** `url` as a TrustedScriptURL where this window has the policy, else as it is. */
export function trustedScriptURL(win: Window, url: string): unknown {
  return cellboxPolicy(win)?.createScriptURL(url) ?? url;
}

/**
 * The error a sink threw, made to say what to change when the page refused the policy: the
 * browser's "This document requires 'TrustedHTML' assignment" names no fix.
 */
function explained(win: Window, err: unknown): unknown {
  const { refused } = entry(win);
  if (refused === null || (err as Error)?.name !== 'TypeError') return err;
  return new Error(`this page's Content-Security-Policy requires Trusted Types and does not allow the policy "${POLICY_NAME}": add ${POLICY_NAME} to its trusted-types directive.`);
}

/**
 * Sets `el`'s content to HTML that is already safe: DOMPurify's output (a TrustedHTML where
 * the browser has them) or text ansi_up escaped.
 */
export function setSafeHTML(el: Element, html: unknown): void {
  const win = el.ownerDocument.defaultView!;
  const policy = cellboxPolicy(win);
  const value = typeof html === 'string' && policy ? policy.createHTML(html) : html;
  try {
    (el as { innerHTML: unknown }).innerHTML = value;
  } catch (err) {
    throw explained(win, err);
  }
}

/** Sets a script's src to a URL under an allowed prefix (allowScriptsUnder). */
export function setScriptSrc(script: HTMLScriptElement, url: string): void {
  const win = script.ownerDocument.defaultView!;
  const policy = cellboxPolicy(win);
  try {
    (script as { src: unknown }).src = policy ? policy.createScriptURL(url) : url;
  } catch (err) {
    throw explained(win, err);
  }
}
