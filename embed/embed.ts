// The embed script (built into /embed.js and /embed/v1.js): finds cells marked up in any page
// and mounts each in its own shadow root, so the page's styles and the cell's never meet.
//
// Options, weakest first: built-in defaults < the page's <script type="application/json"
// data-cellbox-config> block < the element's data-* attributes < options passed to
// Cellbox.mount(). docs/embedding.md shows each.
import { HIDEABLE, mountCell, type CellHandle, type Hideable, type RunResult } from './cell';
import { followPageScheme } from './page-scheme';
import type { Message } from '../protocol/messages';

export const EMBED_VERSION = '1';

/** Markup that holds a cell's code. */
export const CELL_SELECTOR = 'pre[data-cellbox], div[data-cellbox], textarea[data-cellbox], script[type="text/x-cellbox"]';

export interface EmbedOptions {
  code?: string;
  language?: string;
  server?: string;
  autorun?: boolean;
  readonly?: boolean;
  hide?: Hideable[] | string;
  /** A selector (or an element) for where the output goes. */
  output?: string | HTMLElement;
  theme?: 'light' | 'dark' | 'auto';
  /** Text shown as the output until the first run. */
  outputPreview?: string;
}

export interface PageConfig extends EmbedOptions {
  /** false: cells are mounted only by Cellbox.mount() or Cellbox.scan(). */
  autoMount?: boolean;
}

/** The handle of an embedded cell: the cell's own, with `element` its host in the page. */
export type EmbeddedCell = CellHandle;

const DEFAULTS = { language: 'python', autorun: false, readonly: false, hide: [] as Hideable[], theme: 'auto' as const };

/** Removes leading and trailing blank lines and the indentation common to every line. */
export function dedent(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length && !lines[0].trim()) lines.shift();
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  const indents = lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join('\n');
}

function parseBool(v: string | null | undefined): boolean | undefined {
  if (v === null || v === undefined) return undefined;
  return !['false', '0', 'no', 'off'].includes(v.trim().toLowerCase());
}

export function parseHide(v: Hideable[] | string | undefined): Hideable[] {
  if (v === undefined) return [];
  const words = typeof v === 'string' ? v.split(/[\s,]+/) : v;
  return words.map((w) => w.trim().toLowerCase()).filter((w): w is Hideable => (HIDEABLE as readonly string[]).includes(w));
}

/** The options an element's data-* attributes give. */
export function attributeOptions(e: HTMLElement): EmbedOptions {
  const d = e.dataset;
  const o: EmbedOptions = {};
  if (d.language) o.language = d.language;
  if (d.server) o.server = d.server;
  const autorun = parseBool(d.autorun);
  if (autorun !== undefined) o.autorun = autorun;
  const readonly = parseBool(d.readonly);
  if (readonly !== undefined) o.readonly = readonly;
  if (d.hide !== undefined) o.hide = d.hide;
  if (d.output) o.output = d.output;
  if (d.theme === 'light' || d.theme === 'dark' || d.theme === 'auto') o.theme = d.theme;
  if (d.outputPreview !== undefined) o.outputPreview = d.outputPreview;
  return o;
}

/** The page's defaults: the first <script type="application/json" data-cellbox-config>. */
export function pageConfig(doc: Document): PageConfig {
  const block = doc.querySelector('script[type="application/json"][data-cellbox-config]');
  if (!block) return {};
  try {
    const parsed = JSON.parse(block.textContent ?? '');
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as PageConfig) : {};
  } catch (e) {
    console.warn(`Cellbox: the data-cellbox-config block is not JSON (${(e as Error).message}); using the defaults.`);
    return {};
  }
}

function readCode(e: HTMLElement): string {
  if (e instanceof HTMLTextAreaElement) return e.value;
  return e.textContent ?? '';
}

const handles = new WeakMap<HTMLElement, EmbeddedCell>();

/** Mounts one cell for `source` (markup holding code, or any element to mount into). */
export function mount(source: HTMLElement, options: EmbedOptions = {}, defaultServer = ''): EmbeddedCell {
  const existing = handles.get(source);
  if (existing) return existing;
  const doc = source.ownerDocument;
  const page = pageConfig(doc);
  const o = { ...DEFAULTS, server: defaultServer, ...withoutUndefined(page), ...attributeOptions(source), ...withoutUndefined(options) };
  const isMarkup = source.matches(CELL_SELECTOR) || source.hasAttribute('data-cellbox');
  const code = options.code ?? dedent(readCode(source));

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
  const shadow = host.attachShadow({ mode: 'open' });
  const box = doc.createElement('div');
  box.className = 'cb-root';
  shadow.append(isolation(doc), box);

  let preview: Node[] | undefined;
  const out = source.nextElementSibling;
  if (isMarkup && out instanceof HTMLOutputElement) {
    preview = [...out.childNodes].map((n) => n.cloneNode(true));
    out.hidden = true;
  } else if (o.outputPreview) {
    const pre = doc.createElement('pre');
    pre.textContent = o.outputPreview;
    preview = [pre];
  }
  const target = typeof o.output === 'string' ? (doc.querySelector(o.output) as HTMLElement | null) ?? undefined : o.output;
  if (typeof o.output === 'string' && !target) console.warn(`Cellbox: no element matches data-output="${o.output}"; the output stays below the cell.`);
  // Output placed elsewhere in the page gets a shadow root of its own, like the cell.
  let outputTarget: HTMLElement | undefined;
  if (target) {
    const outHost = doc.createElement('cellbox-output');
    outHost.className = 'cellbox-output';
    target.append(outHost);
    const outShadow = outHost.attachShadow({ mode: 'open' });
    outputTarget = doc.createElement('div');
    outputTarget.className = 'cb-root';
    outShadow.append(isolation(doc), outputTarget);
  }

  // `auto`: the page's own colour scheme where it fixes one, else the reader's system.
  const unfollow = o.theme === 'auto' ? followPageScheme(host, outputTarget ? [box, outputTarget] : [box]) : () => {};
  const fire = (type: string, detail: unknown) => host.dispatchEvent(new CustomEvent(`cellbox:${type}`, { bubbles: true, composed: true, detail }));
  const server = (o.server ?? '').replace(/\/+$/, '');
  const cell: CellHandle = mountCell(box, {
    code,
    language: o.language,
    server,
    readOnly: o.readonly,
    hide: parseHide(o.hide),
    outputTarget,
    preview,
    theme: o.theme,
    onRun: (r) => fire('run', r),
    onMessage: (m: Message) => fire('output', { message: m }),
    onDone: (r: RunResult) => {
      fire('done', r);
      if (!r.ok) fire('error', r);
    },
  });
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
      cell.destroy();
      host.remove();
      handles.delete(source);
      if (isMarkup) {
        source.hidden = false;
        source.style.display = '';
      }
    },
  };
  handles.set(source, handle);
  source.setAttribute('data-cellbox-mounted', '');
  fire('ready', { cell: handle });
  if (o.autorun) void handle.run();
  return handle;
}

/** Mounts every cell markup under `root` not mounted yet. */
export function scan(root: ParentNode, defaultServer = ''): EmbeddedCell[] {
  return [...root.querySelectorAll<HTMLElement>(CELL_SELECTOR)]
    .filter((e) => !e.hasAttribute('data-cellbox-mounted'))
    .map((e) => mount(e, {}, defaultServer));
}

/**
 * The first style of a shadow root. Nothing inherited from the page (fonts, colours, spacing)
 * reaches into the cell: the page's rules can still reach the host element, never the box
 * inside, which starts from scratch. An embedded editor is as tall as its code.
 */
function isolation(doc: Document): HTMLStyleElement {
  const style = doc.createElement('style');
  style.textContent = ':host { display: block; margin: 1em 0; } .cb-root { all: initial; display: block; --cb-editor-min-height: 0; }';
  return style;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
