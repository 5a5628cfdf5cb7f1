// The embed script (built into /embed.js and /embed/v1.js): finds cells marked up in any page
// and mounts each in its own shadow root, so the page's styles and the cell's never meet.
// Its options: embed/options.ts; docs/embedding.md shows each.
import { mountCell, type CellHandle, type RunResult } from './cell';
import { codeSignature, draftKey, draftStorage, dropCellDraft, readCellDraft, saveCellDraft, type CellDraft } from './drafts';
import { chainName, codeBefore, joinChain, leaveChain } from './linked';
import { attributeSlips, readCode, resolveOptions, type EmbedOptions } from './options';
import { followPageScheme } from './page-scheme';
import { ensureStyles } from './styles';
import type { Message } from '../protocol/messages';

export const EMBED_VERSION = '1';

/**
 * Markup that holds a cell's code. `text/x-sage` is SageMathCell's: pages written for it
 * (`<div class="compute"><script type="text/x-sage">`) run as Sage cells unchanged.
 */
export const CELL_SELECTOR = 'pre[data-cellbox], div[data-cellbox], textarea[data-cellbox], script[type="text/x-cellbox"], script[type="text/x-sage"]';

/** The handle of an embedded cell: the cell's own, with `element` its host in the page. */
export type EmbeddedCell = CellHandle;

const handles = new WeakMap<HTMLElement, EmbeddedCell>();

/** The code signature (embed/drafts.ts) of each mounted cell that keeps drafts, by its host. */
const signatures = new Map<HTMLElement, string>();

/** How many cells above `host` in the page keep drafts for the same code and language. */
function sameCodeAbove(host: HTMLElement, signature: string): number {
  let n = 0;
  for (const [other, s] of signatures) {
    if (other !== host && s === signature && other.isConnected && (other.compareDocumentPosition(host) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0) n++;
  }
  return n;
}

/** What an embedded cell holding the reader's draft says, and its button back. */
export const DRAFT_NOTE = 'Your edit of this code, kept in this browser.';
export const DRAFT_RESET = 'Original code';

/** The markup whose near-miss attributes were said in the console: once, not at each mount. */
const warnedSlips = new WeakSet<HTMLElement>();

/** The cell mounted for `source`, if any. */
export function mountedCell(source: HTMLElement): EmbeddedCell | undefined {
  return handles.get(source);
}

/**
 * Mounts one cell for `source` (markup holding code, or any element to mount into).
 * `alsoRead`: data-* attributes of `source` its caller read (makeSagecell()'s data-lang), which
 * are no author's slip.
 */
export function mount(source: HTMLElement, options: EmbedOptions = {}, defaultServer = '', alsoRead: readonly string[] = []): EmbeddedCell {
  // A script's mistakes are thrown at once, naming them: they failed deep inside the cell
  // ("Cannot read properties of undefined (reading 'querySelector')").
  if (!source || typeof source !== 'object' || (source as Node).nodeType !== Node.ELEMENT_NODE) {
    const got = typeof source === 'string' ? `the string ${JSON.stringify(source)}; pass document.querySelector(${JSON.stringify(source)})` : String(source);
    throw new TypeError(`Cellbox.mount() takes an element to mount the cell in; got ${got}.`);
  }
  if (options === null || typeof options !== 'object') throw new TypeError(`Cellbox.mount()'s options are an object, such as { code: 'print(1)', language: 'python' }; got ${JSON.stringify(options)}.`);
  if (options.code !== undefined && typeof options.code !== 'string') throw new TypeError(`Cellbox.mount()'s option code is the code as a string; got ${typeof options.code}.`);
  const existing = handles.get(source);
  if (existing) return existing;
  const doc = source.ownerDocument;
  const { options: o, problems } = resolveOptions(source, options, defaultServer);
  // In the console, for the author, not in the cell: the attribute may be the page's own.
  const slips = warnedSlips.has(source) ? null : attributeSlips(source, alsoRead);
  if (slips) {
    warnedSlips.add(source);
    console.warn(slips, source);
  }
  const isMarkup = source.matches(CELL_SELECTOR) || source.hasAttribute('data-cellbox');
  let code = options.code;
  if (code === undefined) {
    const read = readCode(source);
    code = read.code;
    if (read.problem && isMarkup) problems.push(read.problem);
  }

  // The cell's own element: beside the markup, which stays in the page (hidden) for readers
  // without JavaScript and for search engines; or inside a plain container.
  // A custom element: the page's rules for div, pre or button never match it.
  const host = doc.createElement('cellbox-cell');
  host.className = 'cellbox-embed';
  if (isMarkup) {
    source.before(host);
    source.hidden = true;
    source.style.display = 'none';
  } else {
    source.append(host);
  }
  // The reader's draft (embed/drafts.ts), for a cell whose code the reader sees and can edit:
  // a read-only cell has nothing to keep, and a hidden editor's code the reader never saw would
  // run as something other than what the page says. Storage refused: no draft, the cell as ever.
  const storage = o.drafts && !o.readonly && !o.hide.includes('editor') && doc.defaultView ? draftStorage(doc.defaultView) : null;
  let keyOfDraft = '';
  let draft: CellDraft | null = null;
  if (storage) {
    const signature = codeSignature(code, o.language);
    signatures.set(host, signature);
    keyOfDraft = draftKey(doc.URL, source.id ? `id:${source.id}` : `n:${sameCodeAbove(host, signature)}`, code, o.language);
    draft = readCellDraft(storage, keyOfDraft);
    if (draft && draft.code === code && draft.language === o.language) draft = null;
  }
  const shadow = host.attachShadow({ mode: 'open' });
  ensureStyles(shadow, 'cellbox-isolation', ISOLATION_CSS);
  const box = doc.createElement('div');
  box.className = 'cb-root';
  shadow.append(box);

  let preview: Node[] | undefined;
  const out = source.nextElementSibling;
  let previewSource: HTMLOutputElement | undefined;
  if (isMarkup && out instanceof HTMLOutputElement) {
    // The page's output is of the page's code: not shown under the reader's draft.
    if (!draft) preview = [...out.childNodes].map((n) => n.cloneNode(true));
    previewSource = out;
    // As the markup: `hidden` alone loses to a page's own `output { display: block }`, and
    // the old output showed twice, in the cell and under it.
    out.hidden = true;
    out.style.display = 'none';
  } else if (o.outputPreview && !draft) {
    const pre = doc.createElement('pre');
    pre.textContent = o.outputPreview;
    preview = [pre];
  }
  const target = o.output;
  // Output placed elsewhere in the page gets a shadow root of its own, like the cell.
  let outputTarget: HTMLElement | undefined;
  if (target) {
    const outHost = doc.createElement('cellbox-output');
    outHost.className = 'cellbox-output';
    target.append(outHost);
    const outShadow = outHost.attachShadow({ mode: 'open' });
    ensureStyles(outShadow, 'cellbox-isolation', ISOLATION_CSS);
    outputTarget = doc.createElement('div');
    outputTarget.className = 'cb-root';
    outShadow.append(outputTarget);
  }

  // `auto`: the page's own colour scheme where it fixes one, else the reader's system.
  const unfollow = o.theme === 'auto' ? followPageScheme(host, outputTarget ? [box, outputTarget] : [box]) : () => {};
  const fire = (type: string, detail: unknown) => host.dispatchEvent(new CustomEvent(`cellbox:${type}`, { bubbles: true, composed: true, detail }));
  const cell: CellHandle = mountCell(box, {
    code,
    language: o.language,
    server: o.server,
    problems,
    readOnly: o.readonly,
    hide: o.hide,
    runLabel: o.runLabel,
    offer: o.languages,
    outputTarget,
    preview,
    theme: o.theme,
    linked: o.linked !== null ? () => codeBefore(host) : undefined,
    linkedChain: o.linked !== null ? chainName(o.linked) : undefined,
    ...(storage ? {
      start: draft ?? undefined,
      editedNote: DRAFT_NOTE,
      editedReset: DRAFT_RESET,
      // Kept while it differs from the page's code; the page's code again (Original code) forgets it.
      onEdit: (r: CellDraft) => {
        if (r.code === code && r.language === o.language) dropCellDraft(storage, keyOfDraft);
        else saveCellDraft(storage, keyOfDraft, r);
      },
    } : {}),
    onRun: (r) => fire('run', r),
    onMessage: (m: Message) => fire('output', { message: m }),
    onDone: (r: RunResult) => {
      fire('done', r);
      if (!r.ok) fire('error', r);
    },
  });
  if (o.linked !== null) joinChain(host, o.linked, o.server, cell);
  const handle: EmbeddedCell = {
    element: host,
    run: () => cell.run(),
    stop: () => cell.stop(),
    get code() {
      return cell.code;
    },
    set code(c: string) {
      cell.code = c;
    },
    get language() {
      return cell.language;
    },
    reset: () => cell.reset(),
    destroy() {
      unfollow();
      leaveChain(host);
      signatures.delete(host);
      cell.destroy();
      host.remove();
      handles.delete(source);
      // Markup again: scan() may mount it anew.
      source.removeAttribute('data-cellbox-mounted');
      if (isMarkup) {
        source.hidden = false;
        source.style.display = '';
      }
      if (previewSource) {
        previewSource.hidden = false;
        previewSource.style.display = '';
      }
    },
  };
  handles.set(source, handle);
  source.setAttribute('data-cellbox-mounted', '');
  fire('ready', { cell: handle });
  if (o.autorun) void handle.run();
  return handle;
}

/**
 * Ends the cells whose markup, among `nodes`, the page took out while their cell stayed in: a
 * framework re-rendering the markup replaces it and knows nothing of the cell beside it, which
 * was left there beside the new one. Markup taken out together with its cell (a view detached,
 * to come back) keeps its cell.
 */
export function forgetRemoved(nodes: Node[]): void {
  for (const n of nodes) {
    if (!(n instanceof Element) || n.isConnected) continue;
    const sources = n.matches(CELL_SELECTOR) ? [n] : [];
    sources.push(...n.querySelectorAll(CELL_SELECTOR));
    for (const e of sources) {
      const handle = handles.get(e as HTMLElement);
      if (handle?.element.isConnected) handle.destroy();
    }
  }
}

/**
 * Mounts every cell markup under `root` not mounted yet. A cell that cannot be mounted is
 * reported and skipped: the cells after it still are.
 */
export function scan(root: ParentNode, defaultServer = ''): EmbeddedCell[] {
  const cells: EmbeddedCell[] = [];
  for (const e of root.querySelectorAll<HTMLElement>(CELL_SELECTOR)) {
    if (e.hasAttribute('data-cellbox-mounted')) continue;
    try {
      cells.push(mount(e, {}, defaultServer));
    } catch (err) {
      console.error('Cellbox: a cell could not be mounted:', err, e);
    }
  }
  return cells;
}

/**
 * The first style of a shadow root. Nothing inherited from the page (fonts, colours, spacing)
 * reaches into the cell: the page's rules can still reach the host element, never the box
 * inside, which starts from scratch. An embedded editor is as tall as its code.
 *
 * In a flex container (course notes and documentation frameworks lay out with them) the host
 * is a flex item, which is only as wide as its content: a cell was a narrow box at the left of
 * the column. It takes the room left by its siblings in a row (`flex: 1 1 0%`), the row's
 * width in a column that centres its items (`align-self: stretch`), and may be narrower than
 * its longest line (`min-width: 0`: the editor scrolls it). In a column the same `flex` grew
 * the cell down to the column's end: in one of fixed height a short cell was a tall empty box,
 * pushing what came after it away. It is no taller than its content (`max-height: max-content`),
 * which in a row changes nothing: the host draws nothing of its own. Outside a flex container
 * these do nothing.
 *
 * `all` resets every property but `direction` and `unicode-bidi`: on a right-to-left page
 * (Arabic or Hebrew notes) the cell took the page's rtl, and code showed reordered (`:for i in
 * range(2)`, its indentation at the right), the line numbers at the right, typeset math reversed.
 * Code and what it prints read left to right, as code blocks do on such sites; Arabic text in
 * them is still shown right to left by the browser's bidi algorithm.
 */
const ISOLATION_CSS = ':host { display: block; margin: 16px 0; flex: 1 1 0%; min-width: 0; max-height: max-content; align-self: stretch; } .cb-root { all: initial; direction: ltr; unicode-bidi: isolate; display: block; --cb-editor-min-height: 0; }';
