// The styles of a cell's chrome (editor frame, bar, buttons), scoped under .cb-cell so they
// never leak into a host page; light and dark follow the system unless .cb-light/.cb-dark says.
import { forPrint } from './styles';
// Lengths in px, never rem: rem is the host page's root font size, and a course page with
// `html { font-size: 40px }` blew up every padding and gap of its cells (embed/styles.ts too).

// The dark theme's colours, set twice below: by the reader's system, and by .cb-dark. The
// token colours (the editor's tok-* classes, embed/editor.ts) keep a contrast of at least 4.5:1
// against --cb-bg, WCAG's AA for text, in each theme (test/e2e/page.test.ts measures it).
const DARK = `--cb-bg: #1f2024; --cb-fg: #ececef; --cb-muted: #a0a0a8; --cb-line: #3a3b40; --cb-accent: #7aa2ff; --cb-accent-fg: #10131a; --cb-stop: #ff8a80;
  --cb-tok-keyword: #d7a6ff; --cb-tok-atom: #f0b27a; --cb-tok-literal: #b5e08a; --cb-tok-string: #ff9e8a; --cb-tok-string2: #ffb86b;
  --cb-tok-definition: #82b1ff; --cb-tok-local: #c3a6ff; --cb-tok-type: #6fd6c4; --cb-tok-class: #7fd1e0; --cb-tok-special: #9ecbff;
  --cb-tok-property: #8fb8ff; --cb-tok-comment: #a5a58a; --cb-tok-invalid: #ff6b6b; --cb-tok-meta: #b8bcc8;`;

const LIGHT = `--cb-bg: #ffffff; --cb-fg: #1d1d1f; --cb-muted: #6b6b70; --cb-line: #d9d9de; --cb-accent: #2456d6; --cb-accent-fg: #ffffff; --cb-stop: #b3261e;
  --cb-tok-keyword: #770088; --cb-tok-atom: #221199; --cb-tok-literal: #116644; --cb-tok-string: #aa1111; --cb-tok-string2: #c2410c;
  --cb-tok-definition: #0000ff; --cb-tok-local: #3300aa; --cb-tok-type: #00704f; --cb-tok-class: #116677; --cb-tok-special: #225566;
  --cb-tok-property: #0000cc; --cb-tok-comment: #994400; --cb-tok-invalid: #dd0000; --cb-tok-meta: #404740;`;

/** A cell's card, as data-theme's (below), for a cell printed from a dark scheme. */
const PRINT_CARD = 'border: 1px solid var(--cb-line); border-radius: 10px; padding: 9.6px;';

export const CELL_CSS = `
.cb-cell {
  ${LIGHT}
  color: var(--cb-fg); font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; text-align: left;
}
@media (prefers-color-scheme: dark) {
  .cb-cell:not(.cb-light *):not(.cb-light) { ${DARK} }
}
.cb-dark .cb-cell, .cb-cell.cb-dark { ${DARK} }
/* A theme the author fixed (data-theme) may differ from the page under it: the chrome's text
   and the output's would sit on the page's background in the other theme's colours (light
   grey on white). Such a cell is a card with its theme's background. An auto cell takes
   its class on the box around it, never on .cb-cell, and stays transparent: it matches. */
.cb-cell.cb-light, .cb-cell.cb-dark { background: var(--cb-bg); border: 1px solid var(--cb-line); border-radius: 10px; padding: 9.6px; }
.cb-cell.cb-light .cb-bar, .cb-cell.cb-dark .cb-bar { margin-bottom: 6.4px; }
/* contain: inline-size: the editor's long lines count nothing towards the width of what holds
   the cell. A grid's 1fr column or a flex item is as wide as its content at least, and a line
   of code made a documentation page's text column as wide as itself, its table of contents
   pushed off the page; the line scrolls in the editor instead. In a box only as wide as its
   content the cell is as wide as its bar. */
.cb-cell .cb-editor { border: 1px solid var(--cb-line); border-radius: 8px; overflow: hidden; background: var(--cb-bg); contain: inline-size; }
.cb-cell .cb-editor .cm-editor { min-height: var(--cb-editor-min-height, 96px); max-height: 70vh; font-size: 14px; background: var(--cb-bg); color: var(--cb-fg); }
.cb-cell .cb-editor .cm-scroller { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; }
.cb-cell .cb-editor .cm-gutters { background: var(--cb-bg); color: var(--cb-muted); border-right: 1px solid var(--cb-line); }
.cb-cell .cb-editor .cm-activeLine, .cb-cell .cb-editor .cm-activeLineGutter { background: color-mix(in srgb, var(--cb-accent) 7%, transparent); }
.cb-cell .cb-editor .cm-cursor { border-left-color: var(--cb-fg); }
/* The focus ring goes round the box: CodeMirror's own, on the editor inside, was cut off by
   the box's overflow: hidden (which rounds its corners), so no focus showed at all. */
.cb-cell .cb-editor:focus-within { outline: 2px solid var(--cb-accent); outline-offset: 2px; }
.cb-cell .cb-editor .cm-editor.cm-focused { outline: none; }
/* What Tab and Esc do (embed/editor.ts), at the right of a row of its own below the code
   while the editor has focus: in the corner over the code it hid the end of the last line,
   where a reader types, cursor and all, in a one-line cell. The row comes with the editor's
   first focus (the editor does not move: what is below it does) and stays, the hint hidden,
   when the focus leaves: had the row gone then, the Run button below moved up under the
   pointer between the press that took the focus and the release, and the click missed it.
   A touch screen has no Tab to explain. */
.cb-cell .cb-editor .cb-keys { display: none; width: max-content; max-width: calc(100% - 11.2px); margin: 3.2px 5.6px 4.8px auto; pointer-events: none;
  font-size: 12px; line-height: 1.4; padding: 0 6.4px; border: 1px solid var(--cb-line); border-radius: 4px; background: var(--cb-bg); color: var(--cb-muted); }
.cb-cell .cb-editor.cb-keys-room .cb-keys { display: block; visibility: hidden; }
.cb-cell .cb-editor.cb-keys-room:focus-within .cb-keys { visibility: visible; }
@media (pointer: coarse) { .cb-cell .cb-editor .cb-keys, .cb-cell .cb-editor.cb-keys-room .cb-keys { display: none; } }
.cb-cell .cb-editor .tok-keyword { color: var(--cb-tok-keyword); }
.cb-cell .cb-editor .tok-atom, .cb-cell .cb-editor .tok-bool, .cb-cell .cb-editor .tok-url, .cb-cell .cb-editor .tok-labelName { color: var(--cb-tok-atom); }
.cb-cell .cb-editor .tok-literal, .cb-cell .cb-editor .tok-number, .cb-cell .cb-editor .tok-inserted { color: var(--cb-tok-literal); }
.cb-cell .cb-editor .tok-string, .cb-cell .cb-editor .tok-deleted { color: var(--cb-tok-string); }
.cb-cell .cb-editor .tok-string2 { color: var(--cb-tok-string2); }
.cb-cell .cb-editor .tok-variableName.tok-definition { color: var(--cb-tok-definition); }
.cb-cell .cb-editor .tok-variableName.tok-local { color: var(--cb-tok-local); }
.cb-cell .cb-editor .tok-typeName, .cb-cell .cb-editor .tok-namespace { color: var(--cb-tok-type); }
.cb-cell .cb-editor .tok-className { color: var(--cb-tok-class); }
.cb-cell .cb-editor .tok-variableName2, .cb-cell .cb-editor .tok-macroName { color: var(--cb-tok-special); }
.cb-cell .cb-editor .tok-propertyName.tok-definition { color: var(--cb-tok-property); }
.cb-cell .cb-editor .tok-comment { color: var(--cb-tok-comment); }
.cb-cell .cb-editor .tok-invalid { color: var(--cb-tok-invalid); }
.cb-cell .cb-editor .tok-meta { color: var(--cb-tok-meta); }
.cb-cell .cb-editor .tok-heading, .cb-cell .cb-editor .tok-strong { font-weight: bold; }
.cb-cell .cb-editor .tok-emphasis { font-style: italic; }
.cb-cell .cb-editor .tok-link { text-decoration: underline; }
/* CodeMirror's own selection, panels and tooltips are drawn for a light background; these
   follow the theme (more specific than its rules, which come later in the cascade). */
.cb-cell .cb-editor .cm-editor .cm-selectionLayer .cm-selectionBackground,
.cb-cell .cb-editor .cm-editor.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground { background: color-mix(in srgb, var(--cb-accent) 25%, var(--cb-bg)); }
.cb-cell .cb-editor .cm-editor .cm-panels, .cb-cell .cb-editor .cm-editor .cm-tooltip { background: var(--cb-bg); color: var(--cb-fg); border-color: var(--cb-line); }
/* The search panel's (Ctrl+F) fields and buttons: drawn white and light grey, they took the
   theme's text colour, and in the dark theme what a reader typed to find was near-white on white. */
.cb-cell .cb-editor .cm-editor .cm-textfield,
.cb-cell .cb-editor .cm-editor .cm-button, .cb-cell .cb-editor .cm-editor .cm-button:active { background: var(--cb-bg); color: var(--cb-fg); border: 1px solid var(--cb-line); }
.cb-cell .cb-bar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 9.6px 0; }
.cb-cell .cb-bar button, .cb-cell .cb-bar select {
  font: inherit; font-size: 14px; padding: 6.4px 14.4px; border-radius: 8px; border: 1px solid var(--cb-line);
  background: var(--cb-bg); color: var(--cb-fg); cursor: pointer; min-height: 36px;
}
.cb-cell .cb-bar .cb-run { background: var(--cb-accent); border-color: var(--cb-accent); color: var(--cb-accent-fg); min-width: 88px; font-weight: 600; }
.cb-cell .cb-bar .cb-run.cb-stop { background: var(--cb-stop); border-color: var(--cb-stop); }
.cb-cell .cb-bar button:focus-visible, .cb-cell .cb-bar select:focus-visible { outline: 2px solid var(--cb-accent); outline-offset: 2px; }
/* The status takes the room left in the bar (nearly all of it: the spacer only when it is
   hidden) and wraps its own text, so a long sentence never pushes Share, Copy and Reset onto
   a line of their own. */
.cb-cell .cb-status { color: var(--cb-muted); font-size: 14px; font-variant-numeric: tabular-nums; flex: 100 1 0; min-width: 0; }
.cb-cell .cb-status.cb-status-error { color: var(--cb-stop); font-weight: 600; }
.cb-cell .cb-status.cb-status-warn { color: var(--cb-fg); font-weight: 600; }
.cb-cell .cb-spacer { flex: 1; }
.cb-cell .cb-bar .cb-copy, .cb-cell .cb-bar .cb-reset { padding: 4.8px 11.2px; font-size: 13px; }
.cb-cell [hidden], .cb-output[hidden] { display: none !important; }
/* Read by screen readers, not shown (what Copy did: its button shows it). */
.cb-cell .cb-said { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.cb-cell .cb-note { margin: 0 0 9.6px; font-size: 13px; color: var(--cb-muted); }
/* The reader's kept draft: the note says so (in the body's colour, to be seen), its button the way back. */
.cb-cell .cb-draft-note { color: var(--cb-fg); display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; }
.cb-cell .cb-draft-note .cb-original {
  font: inherit; font-size: 13px; padding: 4.8px 11.2px; border-radius: 8px; border: 1px solid var(--cb-line);
  background: var(--cb-bg); color: var(--cb-fg); cursor: pointer; min-height: 32px;
}
.cb-cell .cb-draft-note .cb-original:focus-visible { outline: 2px solid var(--cb-accent); outline-offset: 2px; }
/* On paper the note still says whose code is printed; its button is of no use there. */
@media print { .cb-cell .cb-draft-note .cb-original { display: none; } }
/* For the page's author: a setting the cell could not use, said in the cell itself. */
.cb-cell .cb-problems { margin: 0 0 9.6px; padding: 6px 10px 6px 26px; font-size: 13px; color: var(--cb-stop); border: 1px solid var(--cb-stop); border-radius: 8px; }
.cb-cell .cb-problems[hidden] { display: none; }
.cb-cell .cb-share { display: grid; gap: 8px; margin: 0 0 12px; padding: 12px; border: 1px solid var(--cb-line); border-radius: 8px; font-size: 14px; }
.cb-cell .cb-share p { margin: 0; }
.cb-cell .cb-share-error { color: var(--cb-stop); }
.cb-cell .cb-share-note { color: var(--cb-muted); font-size: 13px; }
.cb-cell .cb-share-row { display: grid; grid-template-columns: 1fr auto; gap: 4px 8px; align-items: start; }
.cb-cell .cb-share-label { grid-column: 1 / -1; color: var(--cb-muted); font-size: 13px; }
.cb-cell .cb-share-value { font: 13px/1.4 ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; padding: 5.6px 8px; border: 1px solid var(--cb-line);
  border-radius: 6px; background: var(--cb-bg); color: var(--cb-fg); min-width: 0; width: 100%; box-sizing: border-box; resize: vertical; }
.cb-cell .cb-share-copy { font: inherit; font-size: 13px; padding: 4.8px 11.2px; border-radius: 8px; border: 1px solid var(--cb-line); background: var(--cb-bg); color: var(--cb-fg); cursor: pointer; }
.cb-cell .cb-bar .cb-share-button { padding: 4.8px 11.2px; font-size: 13px; }
/* Printed notes: the code and the output, not the controls, and all of the code. On screen
   the editor stops at 70% of the window and scrolls, and a long line scrolls sideways: on
   paper the rest of a long listing and the end of a long line were cut off. Lines wrap
   there instead, and the line numbers, which would no longer line up with wrapped lines, are
   left out. (CodeMirror draws every line, not only those in view, when the page is printed.) */
${forPrint('.cb-cell', LIGHT)}
/* The dark ink of paper on a page printed dark: with the browser's "Background graphics" on, a
   dark page's background is printed, and a cell dark on screen, transparent over it, printed
   its output in dark ink on it, unreadable (the code was on the editor's white). A cell dark
   on screen, by the page, by data-theme or by the reader's system, is a light card on paper;
   a light one keeps its place in the page's text. */
@media print {
  .cb-cell { background: var(--cb-bg); }
  .cb-dark > .cb-cell { ${PRINT_CARD} }
}
@media print and (prefers-color-scheme: dark) {
  .cb-cell:not(.cb-light *):not(.cb-light) { ${PRINT_CARD} }
}
@media print {
  .cb-cell .cb-bar, .cb-cell .cb-share, .cb-cell .cb-editor .cb-keys { display: none !important; }
  .cb-cell .cb-editor { overflow: visible; }
  .cb-cell .cb-editor .cm-editor { max-height: none; }
  .cb-cell .cb-editor .cm-scroller { overflow: visible !important; }
  .cb-cell .cb-editor .cm-gutters { display: none; }
  .cb-cell .cb-editor .cm-content { white-space: pre-wrap; overflow-wrap: anywhere; flex-shrink: 1; }
  .cb-cell .cb-editor .cm-activeLine { background: none; }
}
@media (max-width: 520px) {
  /* Two rows of big touch targets: language and Run; then the status and the small actions. */
  .cb-cell .cb-bar select { flex: 1 1 96px; min-width: 0; min-height: 44px; }
  .cb-cell .cb-bar .cb-run { flex: 1 1 72px; min-width: 72px; min-height: 44px; }
  .cb-cell .cb-spacer { order: 3; flex-basis: 100%; height: 0; }
  .cb-cell .cb-status { order: 4; flex: 1 1 0; }
  .cb-cell .cb-bar .cb-copy, .cb-cell .cb-bar .cb-reset, .cb-cell .cb-bar .cb-share-button { order: 5; min-height: 44px; }
}
/* An iPhone zooms the page in on an editable box whose text is under 16 px as it takes the
   focus (a tap on the code, on the language menu), and leaves it zoomed: the page then
   scrolled sideways under the reader's finger. On a touch screen, 16 px (here, after the
   bar's own sizes, to win over them). */
@media (pointer: coarse) { .cb-cell .cb-editor .cm-editor, .cb-cell .cb-bar select { font-size: 16px; } }
`;
