// The colour scheme of the page around an embedded cell, for the `auto` theme: the cell should
// look like part of the page it sits on. In order:
// - a CSS `color-scheme` naming one scheme, which elements inherit (a documentation theme's
//   dark-mode switch sets it on <html>): a cell that followed the reader's system alone stayed
//   light on a page switched to dark;
// - else the page's <meta name="color-scheme">, which the browser applies wherever no CSS
//   `color-scheme` is set (getComputedStyle still says `normal` there): a page saying `dark`
//   there alone gets a dark canvas and dark form controls, and had a light cell on them;
// - else the page's own background colour behind the cell, dark or light: a course page with a
//   white background and no dark mode got a dark cell from a reader whose system is dark;
// - else, with no background of its own, the canvas: white unless the page lets the reader's
//   system choose (`light dark`, by CSS or the meta tag), in which case the system does.
// One observer per document re-reads it when <html> or <body> attributes change (where theme
// toggles write), when a meta tag in <head> changes, comes or goes (a theme switch may edit
// it), and when the reader's system scheme changes.

import { isDark } from './luminance';

/** CSS-wide keywords, which CSS.supports() takes for any property and a meta tag cannot use. */
const CSS_WIDE = /^(initial|inherit|unset|revert|revert-layer)$/i;

/**
 * The page's supported colour schemes as its <meta name="color-scheme"> gives them, as the
 * HTML standard reads them: the first such tag (in tree order, with a non-empty content) whose
 * content is a valid `color-scheme` value; `normal` when there is none.
 */
export function metaColorScheme(doc: Document): string {
  for (const meta of doc.querySelectorAll<HTMLMetaElement>('meta[name="color-scheme" i][content]')) {
    const content = meta.content.trim();
    if (!content) continue;
    // The browser's own parser, where there is one: `dark foo` is valid (a custom name), `dark,light` is not.
    const valid = typeof CSS === 'undefined' || typeof CSS.supports !== 'function' || CSS.supports('color-scheme', content);
    if (valid && !CSS_WIDE.test(content)) return content.toLowerCase();
  }
  return 'normal';
}

/** The class for the page's scheme at `element`, or null to follow the reader's system. */
function pageSchemeClass(element: Element): 'cb-light' | 'cb-dark' | null {
  const view = element.ownerDocument.defaultView;
  if (!view) return null;
  // `normal` all the way up: no CSS sets a scheme here, and the meta tag's applies.
  let scheme = view.getComputedStyle(element).colorScheme.trim();
  if (!scheme || scheme === 'normal') scheme = metaColorScheme(element.ownerDocument);
  const words = scheme.split(/\s+/);
  const light = words.includes('light');
  const dark = words.includes('dark');
  if (dark && !light) return 'cb-dark';
  if (light && !dark) return 'cb-light';
  for (let at: Element | null = element; at; at = at.parentElement) {
    const rgba = channels(view.getComputedStyle(at).backgroundColor);
    // A faint tint lets the colour under it show: it is that colour which the cell sits on.
    if (rgba && rgba[3] >= 0.5) return isDark(rgba[0], rgba[1], rgba[2]) ? 'cb-dark' : 'cb-light';
  }
  return light && dark ? null : 'cb-light';
}

/** rgb()/rgba() as 0-1 channels and alpha; null for what it cannot read (a color() space, say). */
function channels(css: string): [number, number, number, number] | null {
  const m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/.exec(css);
  if (!m) return null;
  const alpha = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : Number(m[4]);
  return [Number(m[1]) / 255, Number(m[2]) / 255, Number(m[3]) / 255, alpha];
}

interface Follower {
  /** Where the page's scheme is read: the cell's host element, in the page. */
  anchor: Element;
  /** The boxes that take the class: the cell's, and its output's when that is elsewhere. */
  boxes: Element[];
}

const followers = new WeakMap<Document, Set<Follower>>();

function apply(f: Follower): void {
  const cls = pageSchemeClass(f.anchor);
  for (const box of f.boxes) {
    box.classList.toggle('cb-dark', cls === 'cb-dark');
    box.classList.toggle('cb-light', cls === 'cb-light');
  }
}

/** Keeps `boxes` in the page's scheme at `anchor` until the returned function is called. */
export function followPageScheme(anchor: Element, boxes: Element[]): () => void {
  const doc = anchor.ownerDocument;
  let set = followers.get(doc);
  if (!set) {
    const all = new Set<Follower>();
    set = all;
    followers.set(doc, all);
    const observer = new MutationObserver(() => all.forEach(apply));
    observer.observe(doc.documentElement, { attributes: true });
    // The meta tag: its content edited, or a tag put in or taken out. The whole <head> is
    // watched (a tag may be replaced, not edited), and only a record about a <meta> re-reads:
    // pages add scripts and styles there all the time.
    const isMeta = (n: Node) => n.nodeName === 'META';
    new MutationObserver((records) => {
      if (records.some((r) => isMeta(r.target) || [...r.addedNodes].some(isMeta) || [...r.removedNodes].some(isMeta))) all.forEach(apply);
    }).observe(doc.head ?? doc.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ['name', 'content'] });
    // A page that follows the system with media queries changes its background with it.
    doc.defaultView?.matchMedia?.('(prefers-color-scheme: dark)').addEventListener('change', () => all.forEach(apply));
    const watchBody = () => doc.body && observer.observe(doc.body, { attributes: true });
    if (doc.body) watchBody();
    else doc.addEventListener('DOMContentLoaded', watchBody, { once: true });
  }
  const follower = { anchor, boxes };
  set.add(follower);
  apply(follower);
  return () => void set.delete(follower);
}
