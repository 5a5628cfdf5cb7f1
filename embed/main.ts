// Entry of the embed script: defines window.Cellbox (and SageMathCell's window.sagecell) once, and mounts the page's cells when the
// document is ready unless the page opts out. Loading the script twice mounts nothing twice.
import { EMBED_VERSION, forgetRemoved, mount, scan, type EmbeddedCell } from './embed';
import { setScriptNonce } from './mathjax';
import { pageConfig, type EmbedOptions } from './options';
import { defineSagecell } from './sagecell';
import { defineReadyDollar } from './sagecell-dollar';

interface CellboxGlobal {
  version: string;
  /** The Cellbox server cells talk to unless told otherwise: where this script came from. */
  server: string;
  mount(element: HTMLElement, options?: EmbedOptions): EmbeddedCell;
  scan(root?: ParentNode): EmbeddedCell[];
}

declare global {
  interface Window {
    Cellbox?: CellboxGlobal;
  }
}

/**
 * The embed script's own path: /embed.js, a version's (/embed/v1.js), or SageMathCell's name
 * for its script (/static/embedded_sagecell.js), which Cellbox serves too (app/_lib/assets.ts).
 */
const OWN_PATH = /\/(?:embed(?:\/v\d+)?\.js|static\/embedded_sagecell\.js)$/;

/**
 * This script's element. A classic script is document.currentScript while it runs; a module
 * (type="module") never is, and is found by its src. Without this, a page loading the script as
 * a module sent its cells to its own server, which answered 404.
 */
function ownScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.src) return current;
  for (const s of document.querySelectorAll<HTMLScriptElement>('script[src]')) {
    try {
      if (OWN_PATH.test(new URL(s.src, location.href).pathname)) return s;
    } catch {
      // an src that is no URL: not this script
    }
  }
  return null;
}

/**
 * The server the script came from: its URL up to /embed.js, so that a Cellbox behind a path
 * prefix (https://uni.example/cellbox/embed.js) is asked at https://uni.example/cellbox/api/…
 * rather than at the host's root. A copy of the script under another name: its origin.
 */
function serverOf(src: string): string {
  const url = new URL(src, location.href);
  const path = url.pathname.replace(/\/+$/, '');
  return OWN_PATH.test(path) ? url.origin + path.replace(OWN_PATH, '') : url.origin;
}

function scriptServer(): { server: string; autoMount: boolean; nonce: string } {
  const script = ownScript();
  return {
    // For the scripts the embed adds (MathJax's): a page may allow scripts by nonce alone.
    nonce: script?.nonce ?? '',
    server: script?.dataset.server?.replace(/\/+$/, '') ?? (script ? serverOf(script.src) : location.origin),
    autoMount: !['false', '0', 'no', 'off'].includes((script?.dataset.autoMount ?? '').toLowerCase()),
  };
}

/**
 * Mounts cell markup the page adds later (a single-page app's next view, a slide deck's
 * slides built from Markdown), as it comes; and ends a cell whose markup alone the page took
 * out (embed.ts, forgetRemoved). Once per batch of changes: markup moved within one batch is
 * still in the page, and keeps its cell.
 */
function followPage(api: CellboxGlobal): void {
  let removed: Node[] = [];
  let added = false;
  let queued = false;
  new MutationObserver((records) => {
    for (const r of records) {
      for (const n of r.addedNodes) if (n.nodeType === Node.ELEMENT_NODE) added = true;
      for (const n of r.removedNodes) if (n.nodeType === Node.ELEMENT_NODE) removed.push(n);
    }
    if (queued || (!added && !removed.length)) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      const gone = removed;
      removed = [];
      forgetRemoved(gone);
      if (added) api.scan();
      added = false;
    });
  }).observe(document.documentElement, { childList: true, subtree: true });
}

if (!window.Cellbox) {
  const { server, autoMount, nonce } = scriptServer();
  setScriptNonce(document, nonce);
  const api: CellboxGlobal = {
    version: EMBED_VERSION,
    server,
    mount: (element, options) => mount(element, options, server),
    scan: (root = document) => scan(root, server),
  };
  window.Cellbox = api;
  // SageMathCell's API, for pages written for it: their makeSagecell() runs before the markup
  // exists, and its cells are made when the document is ready, before the scan below.
  const sagecell = defineSagecell(window, server);
  // And its `$` on a page without one, for the pages that wait for the document with it.
  defineReadyDollar(window, sagecell.whenReady);
  const start = () => {
    sagecell.ready();
    if (!autoMount || pageConfig(document).config.autoMount === false) return;
    api.scan();
    followPage(api);
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
}
