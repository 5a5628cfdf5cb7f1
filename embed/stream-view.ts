// One stream block's <pre>, brought up to date with what its text shows (embed/stream-text.ts)
// by adding what is new, rather than by rendering the whole text again for each chunk. Text
// too long to show has its middle cut (a head, a note of how much, the tail): the tail keeps
// its last `tail` characters by dropping what scrolls out of it at the front.
//
// Each part is a box of its own (.cb-part, embed/styles.ts: an inline block as wide as the
// <pre>) that ends with a newline: the browser lays out the new part alone, where one run of
// text made it lay out all of the text again on each frame. The boxes show the lines as one
// run of text does, and copy and innerText read them the same.
//
// Colours go on across chunks as across lines: the text is read through one ansi_up in order,
// and each part keeps a copy of its state where it begins, so that it can be rendered again
// from any point inside it (the tail's new start) with the colours of that point.
import { AnsiUp } from 'ansi_up';
import { setSafeHTML } from './trusted-types';
import { StreamText } from './stream-text';

/**
 * About the most characters in one part: what is rendered again when the tail's start moves
 * into it. A part ends at a newline, so one line longer than this is a part alone.
 */
const PART_CHARS = 4096;

export function newAnsi(): AnsiUp {
  const a = new AnsiUp();
  // Classes, not inline colours: embed/ansi-styles.ts colours them for the theme.
  a.use_classes = true;
  return a;
}

/**
 * What ansi_up carries from one call to the next: the graphic rendition in force, and an escape
 * sequence the last call's text ended inside. Private fields of ansi_up 6 (test/embed/stream-view.test.ts
 * checks that a copy renders on as the original does).
 */
const ANSI_STATE = ['fg', 'bg', 'bold', 'faint', 'italic', 'underline', '_buffer'] as const;

export function copyAnsi(from: AnsiUp): AnsiUp {
  const to = newAnsi();
  for (const k of ANSI_STATE) (to as unknown as Record<string, unknown>)[k] = (from as unknown as Record<string, unknown>)[k];
  return to;
}

/**
 * Terminal text that ansi_up escaped, as `el`'s content. ansi_up makes links of OSC 8
 * hyperlinks (http and https only); those open in a new tab, as every other link in an output
 * does, rather than taking the page, and the code and output on it, away.
 */
export function setTerminalHTML(el: HTMLElement, html: string): void {
  setSafeHTML(el, html);
  for (const a of el.querySelectorAll('a')) {
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
  }
}

/** Committed text on screen: where it starts in the whole, and the colours there. */
interface Part {
  start: number;
  text: string;
  state: AnsiUp;
  el: HTMLSpanElement;
}

export class StreamView {
  private readonly text = new StreamText();
  /** Has read every complete line so far: its state is that at the start of the current line. */
  private ansi = newAnsi();
  /** Every complete line, for a head that is still growing or a text no longer cut. */
  private lines: string[] = [];
  private committed = 0;
  /** The complete lines shown, in order: all of them, or those of the tail. */
  private parts: Part[] = [];
  private readonly lineEl: HTMLSpanElement;
  private shownLine: string | null = null;
  private shownLineFrom = 0;
  /** While the text is cut: its head (fixed once the complete lines are longer) and the note. */
  private cut: { head: HTMLSpanElement; note: HTMLSpanElement; fixed: boolean } | null = null;

  constructor(
    readonly pre: HTMLPreElement,
    /** Characters shown before the middle is cut. */
    private readonly maxChars: number,
  ) {
    this.lineEl = pre.ownerDocument.createElement('span');
    pre.append(this.lineEl);
  }

  /** Adds a chunk of text; shown at the next render(). */
  write(text: string): void {
    this.text.write(text);
  }

  /** The <pre> as truncateMiddle(the whole text) says: all of it, or its head, a note and its tail. */
  render(): void {
    const fresh = this.text.takeLines();
    const line = this.text.line;
    const total = this.committed + fresh.length + line.length;
    const tail = Math.floor(this.maxChars * 0.2);
    const head = this.maxChars - tail;
    const tailStart = total > this.maxChars ? total - tail : 0;
    if (tailStart === 0 && this.cut) this.uncut();
    if (fresh) this.commit(fresh, tailStart);
    if (tailStart > 0) {
      this.dropBefore(tailStart);
      this.showHead(head, line, total - this.maxChars);
    }
    const lineFrom = Math.max(0, tailStart - this.committed);
    if (fresh || line !== this.shownLine || lineFrom !== this.shownLineFrom) {
      const state = copyAnsi(this.ansi);
      if (lineFrom > 0) state.ansi_to_html(line.slice(0, lineFrom));
      const html = state.ansi_to_html(line.slice(lineFrom));
      setTerminalHTML(this.lineEl, html);
      // A box too, or spaces it starts with would hang at the end of the part before it. Empty
      // (no line yet, or escape codes alone), a box would still take a line of its own.
      this.lineEl.className = html ? 'cb-part' : '';
      this.shownLine = line;
      this.shownLineFrom = lineFrom;
    }
  }

  /** Complete lines read through ansi_up in parts; those before `tailStart` are read for their colours alone. */
  private commit(fresh: string, tailStart: number): void {
    this.lines.push(fresh);
    const doc = this.pre.ownerDocument;
    for (let at = 0, end = 0; at < fresh.length; at = end) {
      end = fresh.lastIndexOf('\n', at + PART_CHARS - 1) + 1;
      if (end <= at) end = fresh.indexOf('\n', at) + 1;
      const text = fresh.slice(at, end);
      const start = this.committed;
      this.committed += text.length;
      if (this.committed <= tailStart) {
        this.ansi.ansi_to_html(text);
        continue;
      }
      const state = copyAnsi(this.ansi);
      const el = doc.createElement('span');
      el.className = 'cb-part';
      setTerminalHTML(el, this.ansi.ansi_to_html(text));
      this.lineEl.before(el);
      this.parts.push({ start, text, state, el });
    }
  }

  /** Takes out of the tail what is now before its start: whole parts, and the front of the first. */
  private dropBefore(tailStart: number): void {
    while (this.parts.length && this.parts[0]!.start + this.parts[0]!.text.length <= tailStart) this.parts.shift()!.el.remove();
    const first = this.parts[0];
    if (!first || first.start >= tailStart) return;
    const state = copyAnsi(first.state);
    state.ansi_to_html(first.text.slice(0, tailStart - first.start));
    first.text = first.text.slice(tailStart - first.start);
    first.start = tailStart;
    first.state = state;
    setTerminalHTML(first.el, copyAnsi(state).ansi_to_html(first.text));
  }

  /** The head (the first `length` characters) and the note of what is not shown. */
  private showHead(length: number, line: string, cut: number): void {
    const doc = this.pre.ownerDocument;
    if (!this.cut) {
      const note = doc.createElement('span');
      note.className = 'cb-truncated';
      this.cut = { head: doc.createElement('span'), note, fixed: false };
      this.pre.prepend(this.cut.head, note);
    }
    if (!this.cut.fixed) {
      // Until the complete lines are longer than the head, part of it is the current line.
      const all = this.lines.join('');
      this.lines = [all];
      setTerminalHTML(this.cut.head, newAnsi().ansi_to_html((all + line).slice(0, length)));
      this.cut.fixed = all.length >= length;
    }
    this.cut.note.textContent = `\n… ${cut.toLocaleString('en')} characters not shown …\n`;
  }

  /** Shown whole again (the current line got shorter): every complete line, from the start. */
  private uncut(): void {
    this.cut!.head.remove();
    this.cut!.note.remove();
    this.cut = null;
    for (const p of this.parts) p.el.remove();
    this.parts = [];
    const all = this.lines.join('');
    this.lines = [];
    this.ansi = newAnsi();
    this.committed = 0;
    this.commit(all, 0);
  }
}
