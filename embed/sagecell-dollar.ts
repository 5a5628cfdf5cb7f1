// SageMathCell's script defines jQuery as the page's `$` when the page has none, and pages
// written for it wait for the document with it, as its documentation long showed:
// `$(function () { sagecell.makeSagecell({...}); });` (Sphinx and wiki plugins write it so
// too). Cellbox's script brings no jQuery: on such a page `$` was not defined, the call never
// ran, and the page's cells came without their options (linked ones not linked). This `$`
// takes jQuery's two ways of waiting for the document, `$(fn)` and `$(document).ready(fn)`,
// and nothing else: anything else says, as it throws, that the page needs a jQuery of its own.
// Only `$` is defined, never `jQuery`: libraries look for jQuery under that name (Bootstrap 5
// registers its plugins on `window.jQuery.fn`) and must not take this for it.

import { shorten } from '../protocol/shorten';

type Ready = (fn: () => void) => void;

function describe(arg: unknown): string {
  if (typeof arg === 'string') return `$(${JSON.stringify(shorten(arg, 60))})`;
  return `$(${arg === null ? 'null' : typeof arg})`;
}

/**
 * Defines `win.$` when the page has none: `$(fn)` and `$(document).ready(fn)` call `fn` (with
 * `$`, as jQuery does) through `whenReady`, once the document is ready and before Cellbox's
 * scan of it, as makeSagecell()'s own calls wait.
 */
export function defineReadyDollar(win: Window, whenReady: Ready): void {
  const w = win as unknown as Record<string, unknown>;
  if (w.$ !== undefined || w.jQuery !== undefined) return;
  const doc = win.document;
  const ready = (fn: unknown): void => {
    if (typeof fn === 'function') whenReady(() => (fn as (d: unknown) => void).call(doc, dollar));
  };
  const dollar = (arg: unknown): unknown => {
    if (typeof arg === 'function') {
      ready(arg);
      return dollar;
    }
    if (arg === doc) return { ready: (fn: unknown) => { ready(fn); return dollar; } };
    throw new TypeError(`${describe(arg)} is jQuery, which SageMathCell's script brought and Cellbox's does not: `
      + 'load jQuery in the page, before Cellbox\'s script. (Cellbox\'s $ only waits for the document: $(function) and $(document).ready(function).)');
  };
  w.$ = dollar;
}
