// Typesets math with MathJax 4 served by Cellbox itself (no CDN, fonts included), loaded once
// per document on first use. A page that has its own MathJax (3 or 4) keeps it and lends it to
// the cells; one still loading is waited for, never overwritten. A cell's TeX is the cell's to
// write: \href{javascript:…}{…} ran script on click, and \style{position:fixed…} covered the
// page, so MathJax's own filter (ui/safe) is loaded, and links are checked again afterwards
// for a page's MathJax, whose configuration is not ours.
import { adaptToPagePolicy, type MathjaxAdaptorClass } from './mathjax-adaptor';
import { constructMathjaxStyles, mathjaxSheets, type StyleAdaptor } from './mathjax-styles';
import { ensureStyles } from './styles';
import { allowScriptsUnder, setScriptSrc } from './trusted-types';

interface MathJaxLike {
  typesetPromise?: (els: HTMLElement[]) => Promise<void>;
  startup?: { promise?: Promise<void> };
}

type WithMathJax = Window & { MathJax?: MathJaxLike | Record<string, unknown> };

/** How long to wait for a page's own MathJax that is still loading. */
const PAGE_MATHJAX_WAIT_MS = 15_000;

/** Per document: the nonce the embed's own script came with (setScriptNonce). */
const nonces = new WeakMap<Document, string>();

/**
 * The nonce for the scripts the embed adds to `doc`: the one its own <script> carries. A page
 * whose script-src allows scripts by nonce alone ('nonce-…', no host) refused MathJax's scripts,
 * added without one, and no math was typeset.
 */
export function setScriptNonce(doc: Document, nonce: string): void {
  if (nonce) nonces.set(doc, nonce);
}

/** Per document: the MathJax in use, and the chain that typesets one thing at a time. */
const states = new WeakMap<Document, { ready: Promise<MathJaxLike> | null; chain: Promise<void> }>();

/**
 * Typesets the math in an element once it is on the page. Resolves to why it could not, when
 * it could not (the element's math stays TeX), so that the output can say so.
 */
export type Typeset = (el: HTMLElement) => Promise<string | undefined>;

/** Documents whose console has been told why math stays TeX: once per page is enough. */
const warned = new WeakSet<Document>();

export function mathjaxTypesetter(doc: Document, base: string): Typeset {
  const win = doc.defaultView as WithMathJax;
  let state = states.get(doc);
  if (!state) {
    state = { ready: null, chain: Promise.resolve() };
    states.set(doc, state);
  }
  const page = state;

  /**
   * One of MathJax's scripts, appended to the head. Its src goes through the embed's Trusted
   * Types policy (embed/trusted-types.ts): under `require-trusted-types-for 'script'` a plain
   * string is refused, and MathJax's own loader sets plain strings.
   */
  function addScript(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const script = doc.createElement('script');
      const nonce = nonces.get(doc);
      if (nonce) script.nonce = nonce;
      setScriptSrc(script, url);
      script.async = true;
      script.onerror = () => reject(new Error(`MathJax could not be loaded from ${url}`));
      script.onload = () => resolve();
      doc.head.append(script);
    });
  }

  function loadOwn(): Promise<MathJaxLike> {
    allowScriptsUnder(new URL(`${base}/mathjax/`, doc.baseURI).href);
    win.MathJax = {
      // `require` loads each component MathJax asks for (ui/safe, the font's parts as new
      // characters need them) by addScript rather than by the loader's own script tag.
      loader: { load: ['ui/safe'], paths: { mathjax: `${base}/mathjax`, fonts: `${base}/mathjax/fonts` }, require: addScript },
      tex: { inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']] },
      startup: {
        typeset: false,
        ready: () => {
          const mj = win.MathJax as { startup: { defaultReady(): void }; _: { adaptors: { HTMLAdaptor: { HTMLAdaptor: MathjaxAdaptorClass & { prototype: StyleAdaptor } } } } };
          adaptToPagePolicy(mj._.adaptors.HTMLAdaptor.HTMLAdaptor, doc);
          constructMathjaxStyles(mj._.adaptors.HTMLAdaptor.HTMLAdaptor, doc);
          mj.startup.defaultReady();
        },
      },
      // ui/safe keeps only the styles, classes and ids that cannot reach outside the formula,
      // and links to the web (file: would open the reader's own files).
      options: { enableMenu: false, safeOptions: { safeProtocols: { http: true, https: true, file: false, javascript: false, data: false } } },
      output: { font: 'mathjax-newcm' },
    };
    return addScript(`${base}/mathjax/tex-chtml.js`).then(() => {
      const mj = win.MathJax as MathJaxLike;
      return (mj.startup?.promise ?? Promise.resolve()).then(() => mj);
    });
  }

  /** The page's MathJax once it can typeset; rejects for MathJax 2 or one that never loads. */
  function pages(): Promise<MathJaxLike> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const check = () => {
        const mj = win.MathJax as MathJaxLike & { Hub?: unknown };
        if (mj?.typesetPromise) return void (mj.startup?.promise ?? Promise.resolve()).then(() => resolve(mj), reject);
        if (mj?.Hub) return reject(new Error('this page has MathJax 2, which cannot typeset cells'));
        if (Date.now() - started > PAGE_MATHJAX_WAIT_MS) return reject(new Error("the page's MathJax did not load"));
        setTimeout(check, 100);
      };
      check();
    });
  }

  function load(): Promise<MathJaxLike> {
    return win.MathJax ? pages() : loadOwn();
  }

  return (el) => {
    // The first cell to need math decides where MathJax comes from (the page's, or ours).
    const ready = (page.ready ??= load());
    // MathJax must not typeset two things at once: one chain for the whole page.
    const done: Promise<string | undefined> = page.chain
      .then(() => ready)
      .then((mj) => mj.typesetPromise?.([el]))
      .then(() => dropUnsafeLinks(el))
      .then(() => copyStylesInto(el.getRootNode(), doc))
      .then(
        () => undefined,
        (e: unknown) => {
          // Said, not silent: the math stayed TeX and neither the reader nor the page's
          // author could tell why (a page's MathJax 2, a policy refusing Cellbox's).
          el.classList.add('cb-math-failed');
          const why = e instanceof Error ? e.message : String(e);
          if (!warned.has(doc)) {
            warned.add(doc);
            console.warn(`Cellbox: math in cells is shown as TeX: ${why}.${/MathJax 2/.test(why) ? " Load MathJax 3 or 4 on the page, or none: Cellbox then loads its own." : ''}`);
          }
          return why;
        },
      );
    page.chain = done.then(() => undefined);
    return done;
  };
}

/** A link MathJax may keep: to the web, or within the page. */
const SAFE_HREF = /^\s*(https?:\/\/|#)/i;

/**
 * Takes the link out of every anchor in typeset math whose target is not SAFE_HREF, keeping the
 * text it wrapped. MathJax 4 moves `href` to `data-mjx-href` and assigns it to location itself
 * on a click; an SVG output's anchors carry `xlink:href`. HTML around the math is DOMPurify's.
 */
export function dropUnsafeLinks(el: HTMLElement): void {
  for (const a of el.querySelectorAll('mjx-container a')) {
    const targets = ['href', 'data-mjx-href', 'xlink:href'].map((n) => a.getAttribute(n)).filter((t) => t !== null);
    if (targets.some((t) => !SAFE_HREF.test(t))) a.replaceWith(...a.childNodes);
  }
}

/**
 * MathJax's CSS (adopted by the document for Cellbox's own MathJax, embed/mathjax-styles.ts; in
 * the document's head for a page's own) does not reach into a shadow root: a cell in one needs a
 * copy of it there, brought up to date after each typesetting.
 */
function copyStylesInto(root: Node, doc: Document): void {
  if (!(root instanceof ShadowRoot)) return;
  for (const [id, css] of mathjaxSheets(doc)) ensureStyles(root, `cellbox-copy-${id}`, css);
  for (const source of doc.head.querySelectorAll<HTMLStyleElement>('style[id^="MJX-"]')) {
    let css: string;
    try {
      css = [...(source.sheet?.cssRules ?? [])].map((r) => r.cssText).join('\n');
    } catch {
      css = source.textContent ?? '';
    }
    ensureStyles(root, `cellbox-copy-${source.id}`, css);
  }
}
