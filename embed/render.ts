// Outputs by MIME type, richest first: the output area of a cell. Every string from a cell is
// either set as text, escaped by ansi_up, or sanitised by DOMPurify: no cell runs script here.
// HTML and Markdown go into a shadow root each, so their own <style> styles them and nothing
// else: not Cellbox's page, not the cell's buttons, not the page a cell is embedded in.
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import { HTML_CSS, ensureStyles } from './styles';
import { inNextFrame, cancel, runNow, type FrameJob } from './frame';
import { StreamView, newAnsi, setTerminalHTML } from './stream-view';
import { writeOver } from './stream-text';
import { cellboxPolicy, setSafeHTML } from './trusted-types';
import { THREEJS_MIME, VIEWER3D_PATH, viewer3d } from './viewer3d';
import { MATH_SPAN, standardDelimiters } from './math-delimiters';
import type { Typeset } from './mathjax';
import { INTERACT_MIME } from '../protocol/interact';
import { FILES_MIME, type DisplayDataContent, type ErrorContent, type FileInfo, type Message, type MimeBundle, type StreamContent } from '../protocol/messages';

/**
 * The MIME types shown, richest first: Jupyter's order (the notebook's display_order,
 * JupyterLab's renderer ranks), so a bundle shows here what it shows there. Markdown and LaTeX
 * come before images: an object that offers both is drawn as math, not as a picture of it.
 */
export const MIME_ORDER = [FILES_MIME, THREEJS_MIME, 'text/html', 'text/markdown', 'text/latex', 'image/svg+xml', 'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/bmp', 'application/json', 'text/plain'];

/**
 * An image's text alternative: the words its bundle carries for readers without pictures (its
 * `text/plain`: Sage's "Graphics object consisting of 2 graphics primitives", matplotlib's
 * "Figure size 640x480 with 2 Axes"), its angle brackets taken off, as a screen reader reads
 * them out ("less than"). A bare object repr ("<IPython.core.display.Image object>") says
 * nothing: 'output image', as every image said before.
 */
export function imageAlt(data: MimeBundle): string {
  const plain = data['text/plain'];
  const text = (typeof plain === 'string' ? plain : Array.isArray(plain) ? plain.join('') : '').trim();
  if (!text || text.length > 300 || /^<[\w.]+ object( at 0x[\da-f]+)?>$/i.test(text)) return 'output image';
  return text.replace(/^<(.*)>$/s, '$1');
}

export function chooseMime(data: MimeBundle): string | null {
  return MIME_ORDER.find((t) => t in data && data[t] !== null && data[t] !== undefined) ?? null;
}

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Applies backspaces as Jupyter does: `\b` takes back the character before it on its line.
 * One pass, so that a megabyte of them costs no more than a megabyte of text.
 */
export function applyBackspaces(text: string): string {
  if (!text.includes('\b')) return text;
  const out: string[] = [];
  for (const c of text) {
    if (c !== '\b') out.push(c);
    else if (out.length > 0 && out[out.length - 1] !== '\n') out.pop();
  }
  return out.join('');
}

/** Applies carriage returns the way a terminal does: `\r` goes back to the start of the line, and what follows writes over it (writeOver). */
export function applyCarriageReturns(text: string): string {
  if (!text.includes('\r')) return text;
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => {
      const parts = line.split('\r');
      let out = '';
      for (const p of parts) out = writeOver(out, p);
      return out;
    })
    .join('\n');
}

/** Takes $…$ and $$…$$ out of markdown before it is parsed (so `_` in math stays math), to put back after. */
export function protectMath(md: string): { text: string; math: string[] } {
  const math: string[] = [];
  const text = md.replace(MATH_SPAN, (m) => {
    math.push(m);
    return `@@CBMATH${math.length - 1}@@`;
  });
  return { text, math };
}

export function restoreMath(html: string, math: string[]): string {
  // A marker the cell's own text spelled (no math taken out under that number) stays as it is.
  return html.replace(/@@CBMATH(\d+)@@/g, (marker, i) => (Number(i) < math.length ? escapeHtml(standardDelimiters(math[Number(i)])) : marker));
}

/** Base64 of the text's UTF-8: never throws, where encodeURIComponent threw on a lone surrogate. */
function utf8Base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let at = 0; at < bytes.length; at += 0x8000) binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  return btoa(binary);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Keeps the head and the tail of an over-long text, with how much was cut. */
export function truncateMiddle(text: string, max: number): { text: string; cut: number; headEnd: number } {
  if (text.length <= max) return { text, cut: 0, headEnd: text.length };
  const tail = Math.floor(max * 0.2);
  const head = max - tail;
  return { text: text.slice(0, head) + text.slice(text.length - tail), cut: text.length - max, headEnd: head };
}

/**
 * The path the server gives a stored file (filestore/names.ts: encodeFileUrl). A cell can print
 * a files bundle of its own: one naming a javascript: or another site's URL would have been
 * listed, and its images loaded, as files the cell made. A file in a folder has a segment per
 * part of its name; none of them is `.` or `..`, which would lead elsewhere.
 */
const FILE_PATH = /^\/files\/[A-Za-z0-9_-]+(?:\/(?!\.\.?(?:\/|$))[^/?#]+)+$/;

// The Unicode bidirectional controls: in a name they reorder what a reader sees, so that
// "\u202Egnp.exe" reads as "exe.png". device/collect.ts writes them out in its notes alike.
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A file name as a reader should see it: bidirectional controls written out as `\uXXXX`. */
export function visibleName(name: string): string {
  return name.replace(BIDI_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function isStoredFile(f: unknown): f is FileInfo {
  if (!f || typeof f !== 'object') return false;
  const { name, url, size, content_type: type } = f as Record<string, unknown>;
  return typeof name === 'string' && typeof url === 'string' && FILE_PATH.test(url)
    && typeof size === 'number' && Number.isFinite(size) && size >= 0 && typeof type === 'string';
}

/**
 * Most characters of TeX in one output typeset without asking (see typesetOrSay below). MathJax
 * holds the page's only thread while it typesets: measured in Chromium on a loaded 2-core
 * machine, 2,100 characters of sympy's output held it for 1.1 s, 5,100 for 3.8 s, 10,300 for
 * 4.7 s, and expand((x+1)**400), 38,700, for 12 s in tasks of up to 3.5 s. Under this many a
 * formula costs a second or two at worst; over it, the reader sees the TeX and decides (a button
 * typesets it anyway).
 */
export const MAX_TYPESET_CHARS = 5_000;

/**
 * Deepest nesting of elements an HTML output is shown as HTML with: beyond it, its source is
 * shown instead. `'<div>' * 50000` held Chromium's page for over 5 s in one task (sanitising,
 * parsing and laying out a tree that deep); real outputs (pandas' tables, Sage's html(), a
 * styled report) nest a few dozen deep, and Chromium's parser itself stops nesting at 512.
 */
export const MAX_HTML_DEPTH = 256;

/** Elements that have no end tag, or whose end tag may be left out (a next one closes them): no deeper for them. */
const FLAT_ELEMENTS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr', 'param', 'keygen', 'p', 'li', 'dt', 'dd', 'tr', 'td', 'th', 'option', 'optgroup', 'thead', 'tbody', 'tfoot', 'colgroup', 'rt', 'rp']);

/**
 * How deep the HTML's elements nest, as its tags say (a scan of the text, linear, no parsing),
 * stopping once past `stopAt`. It errs deep rather than shallow: a tag in a comment counts.
 */
export function htmlDepth(html: string, stopAt = Infinity): number {
  let depth = 0;
  let deepest = 0;
  for (const m of html.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*?(\/?)>/g)) {
    if (FLAT_ELEMENTS.has(m[2].toLowerCase()) || m[3]) continue;
    if (m[1]) depth = Math.max(0, depth - 1);
    else if (++depth > deepest && (deepest = depth) > stopAt) break;
  }
  return deepest;
}

/** Characters of TeX in an HTML or Markdown output: those inside its math delimiters. */
export function mathLength(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/\\\([\s\S]*?\\\)|\\\[[\s\S]*?\\\]|\$\$[\s\S]+?\$\$|\$[^$\n]+?\$/g)) n += m[0].length;
  return n;
}

export interface OutputArea {
  readonly element: HTMLElement;
  clear(): void;
  handle(m: Message): void;
  /**
   * A re-run of an interact: what is shown stays until the run's first output, which replaces
   * it, except the interacts' controls, which stay in place for the run's interacts to take.
   */
  replaceOnNextOutput(): void;
  /** The re-run ended: the controls it did not take go, unless it ended in an error. */
  endReplace(failed: boolean): void;
  /** Shows now what waits for the next animation frame (the cell ended: its output is whole). */
  flush(): void;
}

export interface OutputOptions {
  /** Base URL that /files/ links are resolved against ('' for this origin). */
  serverBase?: string;
  typeset?: Typeset;
  /** Characters of text shown per stream block before the middle is cut. */
  maxChars?: number;
  /** Leave out the list of files the cell created (an embed's `data-hide="files"`). */
  hideFiles?: boolean;
  /**
   * Draws an interact bundle (embed/interact.ts): the element of `previous`, the controls the
   * run before showed in its place, when they are the same; null for a bundle that is not one.
   */
  interact?: (value: unknown, previous: HTMLElement | null, shown: readonly HTMLElement[]) => HTMLElement | null;
  /** Where the output after an interact's controls goes (its layout puts them around it), or null: after them. */
  interactSlot?: (element: HTMLElement) => HTMLElement | null;
}

/**
 * Styles are kept (<style>, style=""): in the output's own shadow root they shape that output
 * alone, as pandas' tables and styled divs mean them to, and the box around it (contain: paint)
 * holds even fixed positioning inside it. FORCE_BODY keeps a <style> that comes first (pandas
 * starts its tables so), which parsing would otherwise move into a head and drop.
 */
const SANITIZE = {
  FORBID_TAGS: ['script', 'iframe', 'object', 'embed', 'form', 'input', 'button', 'textarea', 'select', 'frame', 'frameset', 'base', 'meta', 'link'],
  ALLOW_DATA_ATTR: false,
  FORCE_BODY: true,
};

export function createOutputArea(doc: Document, opts: OutputOptions = {}): OutputArea {
  const base = opts.serverBase ?? '';
  const maxChars = opts.maxChars ?? 200_000;
  const win = doc.defaultView!;
  const purify = DOMPurify(doc.defaultView!);
  purify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  });
  const element = doc.createElement('div');
  element.className = 'cb-output';
  element.setAttribute('role', 'log');
  element.setAttribute('aria-live', 'polite');

  let lastStream: { view: StreamView; name: string; job: FrameJob } | null = null;
  /** The stream blocks' frame jobs since the output was last cleared. */
  const streamJobs = new Set<FrameJob>();
  let clearPending = false;
  const displays = new Map<string, HTMLElement[]>();
  /** The interacts' controls shown, and those a re-run has yet to take (in order). */
  const interacts = new WeakSet<Node>();
  let kept: HTMLElement[] = [];
  /** The interacts' controls the run being shown has shown so far (its ids taken: embed/interact.ts). */
  let shownByRun: HTMLElement[] = [];
  let replacePending = false;
  /**
   * Where outputs go: the area, or the slot of the interact shown last when its layout puts
   * its controls around its function's output (until the next interact).
   */
  let into: HTMLElement = element;

  // Under Trusted Types DOMPurify parses and returns through the embed's policy, and its
  // output is a TrustedHTML that innerHTML takes (embed/trusted-types.ts).
  const policy = cellboxPolicy(doc.defaultView!);
  const sanitizeConfig = policy ? { ...SANITIZE, TRUSTED_TYPES_POLICY: policy, RETURN_TRUSTED_TYPE: true } : SANITIZE;

  /** The HTML, sanitised: a string, or a TrustedHTML where the browser has Trusted Types. */
  function sanitize(html: string): unknown {
    return purify.sanitize(html, sanitizeConfig as typeof SANITIZE);
  }

  function resolveUrl(url: string): string {
    return url.startsWith('/') ? base + url : url;
  }

  /**
   * A box of HTML or math wider than the output scrolls sideways (embed/styles.ts), and is made
   * a stop for Tab while it does, so that a keyboard can scroll it: Chromium and Firefox make
   * such a box focusable themselves, Safari does not. Checked again whenever its size changes
   * (math typeset after it was shown, a narrower window); a box taken out of the output (a
   * display updated, the output cleared) is let go.
   */
  const sideways = typeof win.ResizeObserver === 'function'
    ? new win.ResizeObserver((entries) => {
      for (const { target } of entries) {
        const box = target as HTMLElement;
        if (!element.contains(box)) sideways!.unobserve(box);
        else if (box.scrollWidth > box.clientWidth + 1) box.tabIndex = 0;
        else box.removeAttribute('tabindex');
      }
    })
    : null;

  function clear(): void {
    cancel(win, streamJobs);
    streamJobs.clear();
    element.replaceChildren();
    into = element;
    lastStream = null;
    clearPending = false;
    replacePending = false;
    kept = [];
    shownByRun = [];
    displays.clear();
    sideways?.disconnect();
  }

  /**
   * clear_output from a cell that shows interacts clears what its function printed, not the
   * controls (as ipywidgets' interact, whose output has a box of its own, does).
   */
  function clearOutput(): void {
    // The removed blocks' text waiting for the next frame goes with them.
    cancel(win, streamJobs);
    streamJobs.clear();
    for (const child of [...element.childNodes]) {
      if (!interacts.has(child)) child.remove();
      else opts.interactSlot?.(child as HTMLElement)?.replaceChildren();
    }
    lastStream = null;
    clearPending = false;
    displays.clear();
    // Nothing observed stays: the interacts' controls are no boxes of HTML or math.
    sideways?.disconnect();
  }

  function beforeOutput(): void {
    if (replacePending) {
      kept = [...element.children].filter((e): e is HTMLElement => interacts.has(e));
      shownByRun = [];
      clearOutput();
      // The re-run's output before its first interact goes before the controls kept for it.
      into = element;
      replacePending = false;
    }
    if (clearPending) clearOutput();
  }

  /** Adds an output: in an interact's slot, or before the controls a re-run has yet to take, which come after it. */
  function place(node: Node): void {
    if (into !== element) into.append(node);
    else element.insertBefore(node, kept[0] ?? null);
  }

  /** What was placed last: the node a stream's text goes on in. */
  function lastPlaced(): Node | null {
    if (into !== element) return into.lastChild;
    return kept[0] ? kept[0].previousSibling : element.lastChild;
  }

  /**
   * Terminal text as HTML in `el`, escaped by ansi_up (embed/stream-view.ts: setTerminalHTML).
   * A fresh ansi_up for each block: a colour one output opens and never closes must not colour
   * the next (Jupyter starts each output in default colours); a stream's own chunks carry their
   * colours on through its StreamView's ansi_up instead.
   */
  function setAnsi(el: HTMLElement, text: string): void {
    setTerminalHTML(el, newAnsi().ansi_to_html(text));
  }

  /** Whether the text overflows its box, which is then made a stop for Tab (to scroll by keys). */
  function reachable(pre: HTMLPreElement): boolean {
    const overflows = pre.scrollHeight > pre.clientHeight + 1;
    if (overflows) pre.tabIndex = 0;
    else pre.removeAttribute('tabindex');
    return overflows;
  }

  /**
   * A stream's chunks are added to its block as they come, and shown at the next animation
   * frame, all that came meanwhile at once (embed/frame.ts). A long text scrolls in its own
   * box (embed/styles.ts): one a keyboard can reach, and one that keeps its last lines in view
   * while it grows, as a terminal does, unless the reader scrolled up to read. Shown whole (a
   * short text, or on paper), it is no stop for Tab.
   */
  function streamJob(view: StreamView): FrameJob {
    let atEnd = true;
    return {
      read: () => {
        const pre = view.pre;
        atEnd = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 4;
      },
      write: () => {
        try {
          view.render();
        } catch (e) {
          failed('stream', e);
        }
      },
      settle: () => {
        if (reachable(view.pre) && atEnd) view.pre.scrollTop = view.pre.scrollHeight;
      },
    };
  }

  function stream(c: StreamContent): void {
    beforeOutput();
    if (!lastStream || lastStream.name !== c.name || lastStream.view.pre.parentNode !== into || lastPlaced() !== lastStream.view.pre) {
      const pre = doc.createElement('pre');
      pre.className = c.name === 'stderr' ? 'cb-stream cb-stderr' : 'cb-stream cb-stdout';
      place(pre);
      const view = new StreamView(pre, maxChars);
      lastStream = { view, name: c.name, job: streamJob(view) };
    }
    lastStream.view.write(c.text);
    streamJobs.add(lastStream.job);
    inNextFrame(win, lastStream.job);
  }

  function image(mime: string, data: string, meta: Record<string, unknown>, alt: string): HTMLElement {
    const img = doc.createElement('img');
    const size = meta[mime] as { width?: number; height?: number; alt?: unknown } | undefined;
    // The worker's words for a figure (its titles and axis labels: workers/python/kernel.py) over the bundle's.
    img.alt = typeof size?.alt === 'string' && size.alt.trim() ? size.alt : alt;
    img.src = `data:${mime};base64,${data.replace(/\s+/g, '')}`;
    if (size?.width) img.width = size.width;
    if (size?.height) img.height = size.height;
    return img;
  }

  function files(list: FileInfo[]): HTMLElement {
    const box = doc.createElement('div');
    const ul = doc.createElement('ul');
    ul.className = 'cb-files';
    const images: HTMLElement[] = [];
    for (const f of list) {
      const li = doc.createElement('li');
      const a = doc.createElement('a');
      a.href = resolveUrl(f.url);
      a.textContent = visibleName(f.name);
      a.setAttribute('download', f.name);
      a.target = '_blank';
      a.rel = 'noopener';
      const size = doc.createElement('span');
      size.className = 'cb-size';
      size.textContent = formatSize(f.size);
      li.append(a, size);
      ul.append(li);
      // SVG too (matplotlib's savefig("plot.svg")): as an <img>, its scripts never run.
      if (/^image\/(png|jpeg|gif|webp|svg\+xml)/.test(f.content_type)) {
        const img = doc.createElement('img');
        img.src = resolveUrl(f.url);
        img.alt = visibleName(f.name);
        img.loading = 'lazy';
        images.push(img);
      }
    }
    box.append(ul, ...images);
    return box;
  }

  function json(value: unknown): HTMLElement {
    const details = doc.createElement('details');
    details.className = 'cb-json';
    details.open = true;
    const summary = doc.createElement('summary');
    summary.textContent = Array.isArray(value) ? `JSON array (${value.length})` : 'JSON';
    const pre = doc.createElement('pre');
    pre.textContent = JSON.stringify(value, null, 2);
    details.append(summary, pre);
    return details;
  }

  /**
   * Typesets `el` unless its TeX is too long to (MAX_TYPESET_CHARS): MathJax holds the page's
   * only thread while it works. Such math stays as its TeX, says so, and offers to typeset it.
   */
  function typesetOrSay(el: HTMLElement, texLength: number, noteIn: HTMLElement): void {
    const typeset = opts.typeset;
    if (!typeset) return;
    /** The math stays TeX: the reader is told why, rather than left to think it a fault of the code. */
    const sayWhy = (why: string | undefined) => {
      if (!why) return;
      const said = doc.createElement('p');
      said.className = 'cb-truncated cb-math-note';
      said.textContent = `This math is shown as TeX: ${why}.`;
      // A lone formula is shown without the box made for it (latex() below): beside it, then.
      if (noteIn.isConnected) noteIn.append(said);
      else el.after(said);
    };
    if (texLength <= MAX_TYPESET_CHARS) {
      void typeset(el).then(sayWhy);
      return;
    }
    const note = doc.createElement('p');
    note.className = 'cb-truncated';
    note.textContent = `This math is ${texLength.toLocaleString('en')} characters of TeX, more than the ${MAX_TYPESET_CHARS.toLocaleString('en')} typeset here without asking: typesetting it would hold this page for a while, so it is shown as TeX. `;
    const button = doc.createElement('button');
    button.type = 'button';
    button.className = 'cb-typeset-anyway';
    button.textContent = 'Typeset it anyway';
    button.addEventListener('click', () => {
      note.remove();
      void typeset(el).then(sayWhy);
    });
    note.append(button);
    noteIn.append(note);
  }

  /**
   * HTML nested deeper than MAX_HTML_DEPTH, shown as its source (the middle cut past maxChars)
   * with a note: sanitised and laid out, it would hold the page for seconds.
   */
  function htmlSource(cls: string, text: string): HTMLElement {
    const box = doc.createElement('div');
    box.className = `${cls} cb-html-source`;
    const note = doc.createElement('p');
    note.className = 'cb-truncated';
    note.textContent = `This HTML nests its elements more than ${MAX_HTML_DEPTH} deep: shown as HTML it would hold this page, so here is its source.`;
    const pre = doc.createElement('pre');
    pre.className = 'cb-plain';
    const cut = truncateMiddle(text, maxChars);
    pre.textContent = cut.cut ? `${cut.text.slice(0, cut.headEnd)}\n… ${cut.cut.toLocaleString('en')} characters left out …\n${cut.text.slice(cut.headEnd)}` : text;
    box.append(note, pre);
    return box;
  }

  function math(text: string, cls: string): HTMLElement {
    const div = doc.createElement('div');
    div.className = cls;
    div.textContent = standardDelimiters(text);
    sideways?.observe(div);
    const box = doc.createElement('div');
    box.append(div);
    typesetOrSay(div, text.length, box);
    return box.childNodes.length === 1 ? div : box;
  }

  /**
   * Sanitised HTML in a shadow root of its own. The root's host sits inside the box the output
   * area lays out, so that even `:host { position: fixed !important }` stays within that box.
   */
  function html(cls: string, clean: unknown, typeset: boolean, texLength = 0): HTMLElement {
    const box = doc.createElement('div');
    box.className = cls;
    const host = doc.createElement('div');
    host.className = 'cb-html-host';
    const shadow = host.attachShadow({ mode: 'open' });
    // In a layer: the output's own <style>, unlayered, wins over these defaults wherever the
    // browser puts the two (an adopted sheet comes after the root's <style> elements).
    ensureStyles(shadow, 'cellbox-html', `@layer cellbox-defaults {\n${HTML_CSS}\n}`);
    const body = doc.createElement('div');
    body.className = 'cb-html-body';
    setSafeHTML(body, clean);
    shadow.append(body);
    box.append(host);
    sideways?.observe(box);
    if (typeset) typesetOrSay(body, texLength, box);
    return box;
  }

  /** One display's element(s) for its richest MIME type. */
  function bundle(data: MimeBundle, meta: Record<string, unknown>): HTMLElement {
    const mime = chooseMime(data);
    const value = mime ? data[mime] : '';
    const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join('') : '';
    switch (mime) {
      case FILES_MIME: {
        const list = (value as { files?: unknown }).files;
        const stored = (Array.isArray(list) ? list : []).filter(isStoredFile);
        if (stored.length > 0) return files(stored);
        // Nothing in it is a stored file: the bundle's other types say what it is.
        return bundle(Object.fromEntries(Object.entries(data).filter(([type]) => type !== FILES_MIME)), meta);
      }
      case THREEJS_MIME:
        return viewer3d(doc, text, resolveUrl(VIEWER3D_PATH));
      case 'text/html': {
        // Math marked \(…\) or \[…\] in HTML (Sage's html() and table() mark theirs so) is
        // typeset, as Jupyter typesets HTML; HTML without such marks never loads MathJax.
        if (htmlDepth(text, MAX_HTML_DEPTH) > MAX_HTML_DEPTH) return htmlSource('cb-html', text);
        return html('cb-html', sanitize(text), /\\[([]/.test(text), mathLength(text));
      }
      case 'image/svg+xml': {
        // As an image, an SVG can never run its scripts.
        const img = doc.createElement('img');
        img.alt = imageAlt(data);
        img.src = `data:image/svg+xml;base64,${utf8Base64(text)}`;
        return img;
      }
      case 'image/png':
      case 'image/jpeg':
      case 'image/gif':
      case 'image/webp':
      case 'image/bmp':
        return image(mime, text, meta, imageAlt(data));
      case 'text/latex':
        return math(text, 'cb-latex');
      case 'text/markdown': {
        const { text: md, math: spans } = protectMath(text);
        const parsed = marked.parse(md, { async: false }) as string;
        if (htmlDepth(parsed, MAX_HTML_DEPTH) > MAX_HTML_DEPTH) return htmlSource('cb-markdown cb-html', text);
        return html('cb-markdown cb-html', sanitize(restoreMath(parsed, spans)), true, mathLength(text));
      }
      case 'application/json':
        return json(value);
      default: {
        const pre = doc.createElement('pre');
        pre.className = 'cb-plain';
        setAnsi(pre, text);
        return pre;
      }
    }
  }

  function display(c: DisplayDataContent, update: boolean): void {
    if (opts.hideFiles && c.data && FILES_MIME in c.data) return;
    const id = c.transient?.display_id;
    if (update) {
      if (!id) return;
      for (const old of displays.get(id) ?? []) {
        const fresh = bundle(c.data, c.metadata ?? {});
        old.replaceWith(fresh);
        displays.set(id, (displays.get(id) ?? []).map((e) => (e === old ? fresh : e)));
      }
      return;
    }
    beforeOutput();
    lastStream = null;
    if (opts.interact && c.data && INTERACT_MIME in c.data && interact(c.data[INTERACT_MIME])) return;
    const node = bundle(c.data, c.metadata ?? {});
    place(node);
    // A long value's text scrolls from its start.
    if (node.tagName === 'PRE' && node.classList.contains('cb-plain')) reachable(node as HTMLPreElement);
    lastStream = null;
    if (id) displays.set(id, [...(displays.get(id) ?? []), node]);
  }

  function error(c: ErrorContent): void {
    beforeOutput();
    const pre = doc.createElement('pre');
    pre.className = 'cb-error';
    const text = c.traceback?.length ? c.traceback.join('\n') : `${c.ename}: ${c.evalue}`;
    setAnsi(pre, text);
    place(pre);
    lastStream = null;
  }

  /** An interact's controls: the previous run's in this place when they match. False: not an interact. */
  function interact(value: unknown): boolean {
    const previous = kept[0] ?? null;
    const node = opts.interact!(value, previous, shownByRun);
    if (!node) return false;
    interacts.add(node);
    shownByRun.push(node);
    if (previous) kept.shift();
    // Controls go in the area itself, after the slot of an interact before them.
    into = element;
    if (node !== previous) {
      if (previous) previous.replaceWith(node);
      else place(node);
    }
    into = opts.interactSlot?.(node) ?? element;
    return true;
  }

  function replaceOnNextOutput(): void {
    replacePending = true;
  }

  function endReplace(failed: boolean): void {
    // No output came (refused, stopped before it began): what was shown stays as it was.
    replacePending = false;
    if (!failed) for (const e of kept) e.remove();
    kept = [];
  }

  /**
   * One message into the output area. An output that cannot be shown (a renderer's bug, input no
   * renderer expected) is said so in its place: thrown on, it ended the page's following of the
   * cell, every later output and the cell's end unseen.
   */
  function handle(m: Message): void {
    try {
      handleOne(m);
    } catch (e) {
      failed(m.header.msg_type, e);
    }
  }

  function failed(type: string, e: unknown): void {
    const note = doc.createElement('p');
    note.className = 'cb-client-error';
    note.textContent = `This ${type} output could not be shown: ${(e as Error)?.message ?? String(e)}`;
    element.append(note);
    lastStream = null;
  }

  function handleOne(m: Message): void {
    const c = m.content as unknown;
    switch (m.header.msg_type) {
      case 'stream':
        return stream(c as StreamContent);
      case 'display_data':
      case 'execute_result':
        return display(c as DisplayDataContent, false);
      case 'update_display_data':
        return display(c as DisplayDataContent, true);
      case 'clear_output':
        if ((c as { wait?: boolean }).wait) clearPending = true;
        else clearOutput();
        return;
      case 'error':
        return error(c as ErrorContent);
      default:
        return;
    }
  }

  return { element, clear, handle, replaceOnNextOutput, endReplace, flush: () => runNow(win, streamJobs) };
}
