// The colour scheme of the page around an embedded cell, for the `auto` theme: the cell should
// look like part of the page it sits on. In order:
// - a CSS `color-scheme` naming one scheme, which elements inherit (a documentation theme's
//   dark-mode switch sets it on <html>): a cell that followed the reader's system alone stayed
//   light on a page switched to dark;
// - else the page's own background colour behind the cell, dark or light: a course page with a
//   white background and no dark mode got a dark cell from a reader whose system is dark;
// - else, with no background of its own, the canvas: white unless the page lets the reader's
//   system choose (`light dark`), in which case the system does, as before.
// One observer per document re-reads it when <html> or <body> attributes change (where theme
// toggles write) and when the reader's system scheme changes.

import { isDark } from './luminance';

/** The class for the page's scheme at `element`, or null to follow the reader's system. */
function pageSchemeClass(element: Element): 'cb-light' | 'cb-dark' | null {
  const view = element.ownerDocument.defaultView;
  if (!view) return null;
  const words = view.getComputedStyle(element).colorScheme.split(/\s+/);
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
