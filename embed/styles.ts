// The output area's styles, every selector under .cb-output so nothing leaks into a host page,
// and the helper that puts a stylesheet into a document or shadow root once.
import { ansiCss } from './ansi-styles';

const LIGHT = '--cb-out-bg: #ffffff; --cb-out-fg: #1d1d1f; --cb-out-muted: #6b6b70; --cb-out-line: #e2e2e6; --cb-out-err: #b3261e; --cb-out-err-bg: #fdf1f0; --cb-out-warn-bg: #fff8e6; --cb-out-link: #2456d6; --cb-out-link-fg: #ffffff; --cb-out-scheme: light;';
const DARK = '--cb-out-bg: #1f2024; --cb-out-fg: #ececef; --cb-out-muted: #a0a0a8; --cb-out-line: #3a3b40; --cb-out-err: #ff8a80; --cb-out-err-bg: #2d1b1a; --cb-out-warn-bg: #2b2616; --cb-out-link: #7aa2ff; --cb-out-link-fg: #10131a; --cb-out-scheme: dark;';

/**
 * A block of variables for the dark theme: by the reader's system, or by .cb-dark, on the cell
 * around the output or on the output itself (placed elsewhere in the page, outside its cell).
 */
const dark = (vars: string) => `@media (prefers-color-scheme: dark) {
  .cb-output:not(.cb-light *):not(.cb-light) { ${vars} }
}
.cb-dark .cb-output, .cb-output.cb-dark { ${vars} }`;

/**
 * On paper, always the light colours: a printer leaves out backgrounds (the browser's default),
 * and the dark theme's light text was printed on white, next to invisible. Each variable
 * `!important`, over every theme's selector however specific.
 */
export const forPrint = (selector: string, vars: string) => `@media print {
  ${selector} { ${vars.replace(/;/g, ' !important;')} }
}`;

const PRINT_CARD = 'border: 1px solid var(--cb-out-line); border-radius: 10px; padding: 9.6px 12px 1.6px;';

export const OUTPUT_CSS = `
.cb-output { ${LIGHT}
  color: var(--cb-out-fg); font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; overflow-wrap: anywhere; }
${dark(DARK)}
${forPrint('.cb-output', LIGHT)}
/* On paper the output's own light background, under its dark ink: a dark page's background,
   printed with "Background graphics" on, was under it otherwise (embed/cell-styles.ts makes
   the cell around it a card). Output placed elsewhere from a dark scheme is a card itself. */
@media print {
  .cb-output { background: var(--cb-out-bg); }
  .cb-root.cb-dark > .cb-output { ${PRINT_CARD} }
}
@media print and (prefers-color-scheme: dark) {
  .cb-root > .cb-output:not(.cb-light *):not(.cb-light) { ${PRINT_CARD} }
}
${ansiCss({ light: (vars) => `.cb-output { ${vars} }`, dark, print: (vars) => forPrint('.cb-output', vars) })}
.cb-output:empty { display: none; }
.cb-output { border-top: 1px solid var(--cb-out-line); padding-top: 8px; }
.cb-output > * { margin: 0 0 8px; }
/* Output placed elsewhere (data-output) under a theme the author fixed: the class is on the
   output itself (an auto cell's goes on the box around it). As the cell's own card
   (embed/cell-styles.ts), it brings its theme's background, or its text would sit on the
   page's in the other theme's colours. */
.cb-output.cb-light, .cb-output.cb-dark { background: var(--cb-out-bg); border: 1px solid var(--cb-out-line); border-radius: 10px; padding: 9.6px 12px 1.6px; }
.cb-output pre { margin: 0 0 8px; padding: 0; white-space: pre-wrap; word-break: break-word; background: none; border: 0;
  font: 13.5px/1.45 ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; color: inherit; }
/* A long text (a loop's 10,000 lines) scrolls in a box of its own rather than making the
   page around it tens of thousands of pixels long: course notes with thirty cells stay
   notes. Its last lines show while it grows (embed/render.ts), as in a terminal. On paper,
   all of it. At most 70% of the window's height, as the editor: on a phone held sideways
   (390 px) the 600 px box filled the screen, every swipe scrolled its lines, and nothing
   scrolled the page back to the code and Run. */
.cb-output pre.cb-stream, .cb-output pre.cb-plain { max-height: min(600px, 70vh); overflow: auto; }
.cb-output pre.cb-stream > .cb-part { display: inline-block; width: 100%; vertical-align: top; }
.cb-output pre.cb-stream:focus-visible, .cb-output pre.cb-plain:focus-visible { outline: 2px solid var(--cb-out-link); outline-offset: 2px; }
@media print { .cb-output pre.cb-stream, .cb-output pre.cb-plain { max-height: none; overflow: visible; } }
/* A stream's parts (embed/stream-view.ts) are boxes on screen, so that the browser lays out a
   new one alone; on paper, one run of text, which a page break may cut anywhere: a box a page
   could not hold is not split across pages. */
@media print { .cb-output pre.cb-stream > .cb-part { display: inline; } }
.cb-output pre.cb-stderr { background: var(--cb-out-warn-bg); padding: 4px 8px; border-radius: 6px; }
.cb-output pre.cb-error { background: var(--cb-out-err-bg); color: var(--cb-out-err); padding: 8px; border-radius: 6px; }
.cb-output img { max-width: 100%; height: auto; display: block; }
/* A Sage 3D graphic (embed/viewer3d.ts): the frame's page fills its box, 400px high as in
   Jupyter; away from the viewport, or while its frame loads, a still image of it does. At
   most 70% of the window's height: on a phone held sideways (390 px) the graphic filled the
   screen, and every swipe turned it instead of scrolling the page. */
.cb-output .cb-viewer3d-box { display: block; position: relative; height: min(400px, 70vh); border: 1px solid var(--cb-out-line); border-radius: 6px; margin: 0 0 8px; overflow: hidden; }
.cb-output .cb-viewer3d-box > iframe.cb-viewer3d, .cb-output .cb-viewer3d-box > img.cb-viewer3d-still { position: absolute; inset: 0; display: block; width: 100%; height: 100%; max-width: none; border: 0; }
.cb-output .cb-viewer3d-box > img.cb-viewer3d-still { object-fit: contain; color: var(--cb-out-muted); }
/* Over a frame still loading: the reader's drag reaches the frame as soon as it can take it. */
.cb-output .cb-viewer3d-box > iframe + img.cb-viewer3d-still { pointer-events: none; }
.cb-output a { color: var(--cb-out-link); }
/* inline-size, as for the editor (embed/cell-styles.ts): a wide table or formula scrolls in its
   box rather than widening the page's column around the cell. */
.cb-output .cb-html { overflow-x: auto; contain: inline-size paint; }
/* contain: paint, as for HTML: math styled by a page's own MathJax (not filtered as ours is) must not
   cover the page with position: fixed. */
.cb-output .cb-latex { overflow-x: auto; padding: 4px 0; contain: inline-size paint; }
.cb-output .cb-html:focus-visible, .cb-output .cb-latex:focus-visible { outline: 2px solid var(--cb-out-link); outline-offset: 2px; }
/* MathJax centres display math ($$…$$, Sage's results) and leaves inline math (sympy's
   $\\displaystyle …$) at the left: one page showed both. Results read from the left, as text
   does. More specific than MathJax's mjx-container[jax="CHTML"][display="true"]. */
.cb-output .cb-latex mjx-container[jax][display="true"] { text-align: left; margin: 0.25em 0; }
.cb-output .cb-files { list-style: none; padding: 0; margin: 0 0 8px; font-size: 14px; }
.cb-output .cb-files li { padding: 2.4px 0; }
.cb-output .cb-files .cb-size { color: var(--cb-out-muted); margin-left: 8px; }
.cb-output .cb-client-error { color: var(--cb-out-err); }
.cb-output .cb-truncated { color: var(--cb-out-muted); font-style: italic; font-size: 13px; }
.cb-output details.cb-json > summary { cursor: pointer; color: var(--cb-out-muted); font-size: 13px; }
/* An interact's controls (embed/interact.ts): a label column and a control column, in the
   output's colours; the browser's own sliders, boxes and menus drawn for the theme's scheme. */
.cb-output .cb-interact { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 8px 14px; align-items: center;
  padding: 10px 12px; border: 1px solid var(--cb-out-line); border-radius: 8px; color-scheme: var(--cb-out-scheme); accent-color: var(--cb-out-link); font-size: 14px; }
.cb-output .cb-ia-label { color: var(--cb-out-fg); font-weight: 600; max-width: 240px; overflow-wrap: anywhere; }
.cb-output .cb-ia-control { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; min-width: 0; }
.cb-output .cb-ia-slider { flex: 1 1 160px; max-width: 420px; min-width: 100px; margin: 0; min-height: 28px; }
/* A range: two thumbs on one track, each its own <input type=range> laid over the other; only
   the thumbs take the pointer, so either can be dragged where it is. */
.cb-output .cb-ia-range { position: relative; flex: 1 1 160px; max-width: 420px; min-width: 100px; height: 28px; }
.cb-output .cb-ia-range::before { content: ''; position: absolute; left: 0; right: 0; top: 12px; height: 4px; border-radius: 2px; background: var(--cb-out-muted); }
.cb-output .cb-ia-range-fill { position: absolute; top: 12px; height: 4px; background: var(--cb-out-link); }
.cb-output .cb-ia-range .cb-ia-thumb { position: absolute; inset: 0; width: 100%; height: 28px; min-height: 0; margin: 0; background: none;
  -webkit-appearance: none; appearance: none; pointer-events: none; outline: none; }
.cb-output .cb-ia-range.cb-ia-lo-on-top .cb-ia-thumb:first-of-type { z-index: 1; }
.cb-output .cb-ia-range .cb-ia-thumb::-webkit-slider-runnable-track { background: none; border: 0; }
.cb-output .cb-ia-range .cb-ia-thumb::-webkit-slider-thumb { -webkit-appearance: none; pointer-events: auto; cursor: pointer;
  width: 18px; height: 18px; border-radius: 50%; background: var(--cb-out-link); border: 2px solid var(--cb-out-bg); box-shadow: 0 0 0 1px var(--cb-out-link); }
.cb-output .cb-ia-range .cb-ia-thumb::-moz-range-thumb { pointer-events: auto; cursor: pointer;
  width: 14px; height: 14px; border-radius: 50%; background: var(--cb-out-link); border: 2px solid var(--cb-out-bg); box-shadow: 0 0 0 1px var(--cb-out-link); }
.cb-output .cb-ia-range .cb-ia-thumb:focus-visible::-webkit-slider-thumb { box-shadow: 0 0 0 2px var(--cb-out-bg), 0 0 0 4px var(--cb-out-link); }
.cb-output .cb-ia-range .cb-ia-thumb:focus-visible::-moz-range-thumb { box-shadow: 0 0 0 2px var(--cb-out-bg), 0 0 0 4px var(--cb-out-link); }
.cb-output .cb-ia-value { font: 13.5px/1.45 ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-variant-numeric: tabular-nums; min-width: 4ch; }
.cb-output .cb-ia-input, .cb-output .cb-ia-select, .cb-output .cb-ia-button, .cb-output .cb-ia-update {
  font: inherit; color: var(--cb-out-fg); background: var(--cb-out-bg); border: 1px solid var(--cb-out-muted); border-radius: 6px; padding: 4.8px 9.6px; max-width: 100%; box-sizing: border-box; min-height: 32px; }
.cb-output .cb-ia-input { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 13.5px; min-width: 12ch; }
.cb-output .cb-ia-textarea { resize: vertical; width: 100%; line-height: 1.45; }
.cb-output .cb-ia-grid { display: grid; gap: 4px; max-width: 100%; overflow-x: auto; }
.cb-output .cb-ia-input.cb-ia-cell { min-width: 0; width: auto; text-align: right; }
.cb-output .cb-ia-checkbox { width: 18px; height: 18px; margin: 0; }
.cb-output .cb-ia-color { width: 48px; height: 32px; padding: 2px; border: 1px solid var(--cb-out-muted); border-radius: 6px; background: var(--cb-out-bg); }
.cb-output .cb-ia-buttons { gap: 0; }
.cb-output .cb-ia-button { cursor: pointer; border-radius: 0; margin-left: -1px; }
.cb-output .cb-ia-button:first-child { border-radius: 6px 0 0 6px; margin-left: 0; }
.cb-output .cb-ia-button:last-child { border-radius: 0 6px 6px 0; }
.cb-output .cb-ia-button:only-child { border-radius: 6px; }
.cb-output .cb-ia-button[aria-pressed="true"], .cb-output .cb-ia-update { background: var(--cb-out-link); border-color: var(--cb-out-link); color: var(--cb-out-link-fg); }
.cb-output .cb-ia-update { grid-column: 2; justify-self: start; cursor: pointer; font-weight: 600; padding: 4.8px 16px; }
.cb-output .cb-ia-text { grid-column: 1 / -1; }
.cb-output .cb-ia-note { grid-column: 1 / -1; margin: 0; font-size: 0.85em; opacity: 0.8; font-style: italic; }
.cb-output .cb-interact :focus-visible { outline: 2px solid var(--cb-out-link); outline-offset: 2px; position: relative; z-index: 1; }
/* A range's thumb shows its focus on the thumb (above), and stays laid over the other. */
.cb-output .cb-interact .cb-ia-range .cb-ia-thumb:focus-visible { outline: none; position: absolute; z-index: 2; }
/* Sage's layout: boxes of controls above, below, left and right of the function's output (the
   slot); a box's rows side by side, each control with its label before it. */
.cb-output .cb-ia-layout { display: flex; flex-direction: column; gap: 8px; }
.cb-output .cb-interact.cb-ia-region { display: flex; flex-direction: column; align-items: stretch; gap: 8px; }
.cb-output .cb-ia-row { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px; }
.cb-output .cb-ia-item { display: flex; align-items: center; gap: 6px 14px; flex: 1 1 auto; min-width: 0; }
.cb-output .cb-ia-item > .cb-ia-control { flex: 1 1 auto; }
.cb-output .cb-ia-middle { display: flex; gap: 12px; align-items: flex-start; }
.cb-output .cb-ia-middle > .cb-ia-region { flex: 0 1 auto; max-width: 40%; }
.cb-output .cb-ia-slot { flex: 1 1 0; min-width: 0; }
.cb-output .cb-ia-region .cb-ia-update { grid-column: auto; align-self: flex-start; }
@media (max-width: 520px) {
  /* A narrow page: the left and right boxes above and below the output. */
  .cb-output .cb-ia-middle { flex-direction: column; align-items: stretch; }
  .cb-output .cb-ia-middle > .cb-ia-region { max-width: none; }
  .cb-output .cb-ia-item { flex-direction: column; align-items: stretch; gap: 4px; }
  /* On a phone the label goes above its control, and the slider takes the width. */
  .cb-output .cb-interact { grid-template-columns: minmax(0, 1fr); gap: 4px; }
  .cb-output .cb-ia-control { margin-bottom: 6px; }
  .cb-output .cb-ia-slider { max-width: none; min-height: 36px; }
  .cb-output .cb-ia-update { grid-column: 1; }
}
/* On a touch screen: text boxes of 16 px, as the editor (embed/cell-styles.ts), since an iPhone
   zooms the page in on a box of smaller text as it takes the focus; a checkbox and a range's
   thumbs a finger can hit, since 18 px is under the 24 px of WCAG's target size (a range's
   track takes no pointer, only its thumbs do). */
@media (pointer: coarse) {
  .cb-output .cb-ia-input, .cb-output .cb-ia-select { font-size: 16px; }
  .cb-output .cb-ia-checkbox { width: 24px; height: 24px; }
  .cb-output .cb-ia-range .cb-ia-thumb::-webkit-slider-thumb { width: 24px; height: 24px; }
  .cb-output .cb-ia-range .cb-ia-thumb::-moz-range-thumb { width: 20px; height: 20px; }
}
@media print { .cb-output .cb-ia-update { display: none; } }
`;

/**
 * The styles inside an HTML or Markdown output's own shadow root (embed/render.ts), where the
 * output's own <style> may override them and reaches nothing else. The output's colours come
 * in as the variables above, inherited.
 */
export const HTML_CSS = `
/* A table's text breaks only where words do: the output's overflow-wrap: anywhere, inherited,
   let a wide table squeeze into the width by splitting its numbers digit by digit. A table
   wider than the output scrolls inside its box (.cb-html) instead. */
table { border-collapse: collapse; font-size: 14px; overflow-wrap: normal; word-break: normal; }
th, td { border: 1px solid var(--cb-out-line); padding: 3.2px 8px; text-align: right; }
/* pandas' tables as Jupyter shows them: a DataFrame's (class "dataframe") and a Styler's (id
   "T_<uuid>"), with no grid, a rule under the header, banded rows, figures in columns; in the
   cell's own colours. A Styler's own colours, set on its cells, stay over the bands. */
:is(table.dataframe, table[id^="T_"]) { border: none; font-size: 13px; font-variant-numeric: tabular-nums; }
:is(table.dataframe, table[id^="T_"]) :is(th, td) { border: none; padding: 4px 10px; vertical-align: middle; line-height: 1.35; }
:is(table.dataframe, table[id^="T_"]) thead { border-bottom: 1px solid var(--cb-out-muted); }
:is(table.dataframe, table[id^="T_"]) th { font-weight: 600; }
:is(table.dataframe, table[id^="T_"]) tbody tr:nth-child(odd) { background: color-mix(in srgb, var(--cb-out-fg) 6%, transparent); }
:is(table.dataframe, table[id^="T_"]) tbody tr:hover { background: color-mix(in srgb, var(--cb-out-link) 18%, transparent); }
img { max-width: 100%; height: auto; }
a { color: var(--cb-out-link); }
/* Code and quotes: a browser's defaults set code in the page's monospace at its own size,
   with nothing to tell it from the text around it. */
code { font: 0.9em ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; padding: 0.1em 0.3em; border-radius: 4px;
  background: color-mix(in srgb, var(--cb-out-fg) 8%, transparent); }
pre { margin: 0 0 8px; padding: 8px 12px; border-radius: 6px; white-space: pre-wrap; word-break: break-word;
  font: 13.5px/1.45 ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; background: color-mix(in srgb, var(--cb-out-fg) 5%, transparent); }
pre code { padding: 0; background: none; font-size: inherit; }
blockquote { margin: 0 0 8px; padding-left: 12px; border-left: 3px solid var(--cb-out-line); color: var(--cb-out-muted); }
`;

/** The sheets `ensureStyles` adopted, by root and id, and the CSS each was last given. */
const adopted = new WeakMap<Document | ShadowRoot, Map<string, { sheet: CSSStyleSheet; css: string }>>();

/**
 * Adds a stylesheet with this id to a document or a shadow root, once; given other CSS for the
 * same id later, replaces its rules.
 *
 * A constructed sheet (adoptedStyleSheets), not a <style> element: a host page whose
 * Content-Security-Policy has no 'unsafe-inline' in style-src blocks every <style> a script
 * writes (the cells were left unstyled: grey buttons, the output unformatted), while sheets
 * made through the CSSOM are not subject to it. A browser without them gets a <style>.
 */
export function ensureStyles(root: Document | ShadowRoot, id: string, css: string): void {
  const doc = 'head' in root ? root : root.ownerDocument;
  const Sheet = doc.defaultView?.CSSStyleSheet;
  if (Sheet && 'adoptedStyleSheets' in root && 'replaceSync' in Sheet.prototype) {
    let sheets = adopted.get(root);
    if (!sheets) adopted.set(root, (sheets = new Map()));
    const known = sheets.get(id);
    if (known) {
      if (known.css !== css) known.sheet.replaceSync((known.css = css));
      return;
    }
    const sheet = new Sheet();
    sheet.replaceSync(css);
    sheets.set(id, { sheet, css });
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    return;
  }
  const scope: ParentNode = 'head' in root ? root.head : root;
  const existing = scope.querySelector<HTMLStyleElement>(`style[data-cellbox="${id}"]`);
  if (existing) {
    if (existing.textContent !== css) existing.textContent = css;
    return;
  }
  const style = doc.createElement('style');
  style.dataset.cellbox = id;
  style.textContent = css;
  scope.append(style);
}
