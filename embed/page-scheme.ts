// The colour scheme of the page around an embedded cell, for the `auto` theme. The reader's
// system is the default, but a page whose reader switched it to dark or light (a documentation
// theme's toggle) says so through CSS `color-scheme`, which its elements inherit: a cell that
// followed the system alone stayed light on a page switched to dark. A `color-scheme` naming one
// scheme is followed; none, or both ("light dark"), leaves the choice to the system, as before.
// One observer per document watches `<html>` and `<body>`, where such toggles write.

/** The class for a scheme the page fixes at `element`, or null to follow the reader's system. */
export function pageSchemeClass(element: Element): 'cb-light' | 'cb-dark' | null {
  const view = element.ownerDocument.defaultView;
  const words = (view?.getComputedStyle(element).colorScheme ?? '').split(/\s+/);
  const light = words.includes('light');
  const dark = words.includes('dark');
  if (dark && !light) return 'cb-dark';
  if (light && !dark) return 'cb-light';
  return null;
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
    const watchBody = () => doc.body && observer.observe(doc.body, { attributes: true });
    if (doc.body) watchBody();
    else doc.addEventListener('DOMContentLoaded', watchBody, { once: true });
  }
  const follower = { anchor, boxes };
  set.add(follower);
  apply(follower);
  return () => void set.delete(follower);
}
