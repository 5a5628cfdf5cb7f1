// A stream's text as a terminal shows it, worked out as the text comes rather than all over
// again for each chunk: a loop printing 10,000 lines, one message each, made the page redo
// the whole text every time, and the work grew with the square of the lines.
//
// The result is the same as applyCarriageReturns(applyBackspaces(all the text)) (embed/render.ts)
// however the text was cut into chunks: both rules act within a line, so a line that has its
// newline can no longer change, and only the line still being written is worked on again.

/** What the block shows: complete lines, and the line still being written (no newline yet). */
export class StreamText {
  /** Complete lines (each with its newline) not yet taken by takeLines(). */
  private fresh: string[] = [];
  /** The current line as written, backspaces already applied (they act on the text before `\r`s do). */
  private raw = '';
  /** The current line as shown, and where the next character goes: `\r` takes it back to 0. */
  private shown = '';
  private cursor = 0;
  /** `shown` no longer follows from `raw` by the quick path (a backspace took back a `\r`'s effects): worked out from `raw` when needed. */
  private stale = false;
  /** How many `\r`s `raw` holds: with none, `shown` is `raw`. */
  private returns = 0;

  /** Adds a chunk of the stream. */
  write(text: string): void {
    const controls = /[\n\r\b]/g;
    let from = 0;
    for (let m = controls.exec(text); m; m = controls.exec(text)) {
      if (m.index > from) this.print(text.slice(from, m.index));
      from = m.index + 1;
      const c = m[0];
      if (c === '\n') this.endLine();
      else if (c === '\r') this.carriageReturn();
      else this.backspace();
    }
    if (from < text.length) this.print(text.slice(from));
  }

  /** The lines completed since the last call, as one string ('' for none). */
  takeLines(): string {
    const lines = this.fresh.join('');
    this.fresh = [];
    return lines;
  }

  /** The line still being written, as shown. */
  get line(): string {
    if (this.stale) {
      this.shown = overwrite(this.raw);
      this.cursor = cursorAfter(this.raw);
      this.stale = false;
    }
    return this.shown;
  }

  private print(s: string): void {
    this.raw += s;
    if (this.stale) return;
    // As applyCarriageReturns: each part after a `\r` writes over the start of the line.
    this.shown = this.cursor === this.shown.length ? this.shown + s : this.shown.slice(0, this.cursor) + writeOver(this.shown.slice(this.cursor), s);
    this.cursor += s.length;
  }

  private carriageReturn(): void {
    this.raw += '\r';
    this.returns++;
    this.cursor = 0;
  }

  private endLine(): void {
    this.fresh.push(`${this.line}\n`);
    this.raw = '';
    this.shown = '';
    this.cursor = 0;
    this.stale = false;
    this.returns = 0;
  }

  /** Takes back the last character of the line, as applyBackspaces does (one code point, a `\r` too). */
  private backspace(): void {
    const n = this.raw.length;
    if (n === 0) return;
    const pair = n >= 2 && isLow(this.raw.charCodeAt(n - 1)) && isHigh(this.raw.charCodeAt(n - 2));
    const taken = this.raw.slice(n - (pair ? 2 : 1));
    this.raw = this.raw.slice(0, n - taken.length);
    if (taken === '\r') this.returns--;
    if (!this.stale && this.returns === 0 && taken !== '\r') {
      // A plain line (no `\r` in it): what shows is what was written.
      this.shown = this.raw;
      this.cursor = this.raw.length;
    } else {
      this.stale = true;
    }
  }
}

const isHigh = (u: number) => u >= 0xd800 && u <= 0xdbff;
const isLow = (u: number) => u >= 0xdc00 && u <= 0xdfff;

/**
 * `over` written at the start of `under`, as a terminal writes after a `\r`: one character in
 * place of one, counted in code points as a backspace takes them back. Counted in UTF-16 units,
 * `"😀😀😀\rabc"` kept the second half of the second emoji alone, shown as U+FFFD.
 */
export function writeOver(under: string, over: string): string {
  let at = 0;
  for (let i = 0; i < over.length && at < under.length; i++) {
    if (isHigh(over.charCodeAt(i)) && isLow(over.charCodeAt(i + 1))) i++;
    at += isHigh(under.charCodeAt(at)) && isLow(under.charCodeAt(at + 1)) ? 2 : 1;
  }
  return over + under.slice(at);
}

/** One line (no newline) with its `\r`s applied: each part writes over the start of what came before. */
function overwrite(line: string): string {
  let out = '';
  for (const p of line.split('\r')) out = writeOver(out, p);
  return out;
}

/** Where the next character of a line goes: after the last part, which a `\r` began at 0. */
function cursorAfter(line: string): number {
  return line.length - line.lastIndexOf('\r') - 1;
}
