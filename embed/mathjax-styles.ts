// MathJax's stylesheets as constructed sheets. MathJax 4 writes its CSS into <style> elements
// that it puts in the document's head, and adds rules to them as it meets new characters. A
// host page whose style-src has no 'unsafe-inline' refuses such elements: a violation reported
// for each, and math drawn without its fonts (@font-face) and its layout. Sheets made through
// the CSSOM are not subject to the policy (the cells' own are such, embed/styles.ts), so
// Cellbox's own MathJax is made to keep its stylesheets out of the head, their CSS going to
// sheets that the document (for the fonts, which a shadow root's sheet cannot declare) and each
// cell's shadow root adopt. A page's own MathJax is left as the page configured it.
import { ensureStyles } from './styles';

/** The part of MathJax's DOM adaptor class (adaptors/HTMLAdaptor) that handles its stylesheets. */
export interface StyleAdaptor {
  append(parent: unknown, child: unknown): unknown;
  insertRules(node: unknown, rules: string[]): void;
  cssText(node: unknown): string;
}

/** Per document: the CSS of Cellbox's MathJax's stylesheets, by their ids. */
const sheets = new WeakMap<Document, Map<string, string>>();

/** The CSS of Cellbox's MathJax's stylesheets in `doc`, by id (none where MathJax is the page's). */
export function mathjaxSheets(doc: Document): ReadonlyMap<string, string> {
  return sheets.get(doc) ?? new Map();
}

/**
 * Makes MathJax's adaptor keep each of its stylesheets as CSS, adopted by the document as a
 * constructed sheet, instead of appending a <style> to the head and inserting rules into it.
 */
export function constructMathjaxStyles(adaptorClass: { prototype: StyleAdaptor }, doc: Document): void {
  const adaptor = adaptorClass.prototype;
  let css = sheets.get(doc);
  if (!css) sheets.set(doc, (css = new Map()));
  const known = css;
  /** Each stylesheet kept out of the head, with the rules MathJax added to it since. */
  const kept = new Map<HTMLElement, string[]>();
  // Made by MathJax's adaptor as a stand-in element (embed/mathjax-adaptor.ts), not a <style>.
  const isSheet = (node: unknown): node is HTMLElement =>
    node instanceof (doc.defaultView?.HTMLElement ?? HTMLElement) && node.id.startsWith('MJX-');

  function sync(style: HTMLElement): void {
    const text = [style.textContent ?? '', ...(kept.get(style) ?? [])].join('\n');
    known.set(style.id, text);
    ensureStyles(doc, `cellbox-mathjax-${style.id}`, text);
  }

  const append = adaptor.append;
  adaptor.append = function (parent, child) {
    if (parent !== doc.head || !isSheet(child)) return append.call(this, parent, child);
    // Not appended: MathJax asks again after each typesetting (its sheet still has no parent),
    // which brings the adopted copy up to date.
    if (!kept.has(child)) kept.set(child, []);
    sync(child);
    return child;
  };
  const insertRules = adaptor.insertRules;
  adaptor.insertRules = function (node, rules) {
    if (!isSheet(node)) return insertRules.call(this, node, rules);
    // Its <style> has no sheet to insert into, never having been in the document.
    const added = kept.get(node) ?? [];
    kept.set(node, added);
    added.push(...rules);
    sync(node);
  };
  const cssText = adaptor.cssText;
  adaptor.cssText = function (node) {
    return isSheet(node) && kept.has(node) ? known.get(node.id) ?? '' : cssText.call(this, node);
  };
}
