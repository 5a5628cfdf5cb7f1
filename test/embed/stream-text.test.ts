// A stream's text worked out chunk by chunk (embed/stream-text.ts) is what the whole text,
// worked out at once, was: however the text is cut, wherever the `\r`s and backspaces fall.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBackspaces, applyCarriageReturns } from '../../embed/render';
import { StreamText } from '../../embed/stream-text';

/** The whole text as the renderer showed it, every chunk re-rendered. */
const whole = (text: string) => applyCarriageReturns(applyBackspaces(text));

function chunked(chunks: string[]): { lines: string; line: string; asRead: string } {
  const s = new StreamText();
  let lines = '';
  // Read between some chunks as a frame would, so that cached parts are used and redone.
  for (const [i, c] of chunks.entries()) {
    s.write(c);
    if (i % 2) {
      lines += s.takeLines();
      void s.line;
    }
  }
  lines += s.takeLines();
  return { lines, line: s.line, asRead: lines + s.line };
}

describe('StreamText', () => {
  it('shows complete lines as they come and the last line as it is rewritten', () => {
    const s = new StreamText();
    s.write('a\nb');
    expect(s.takeLines()).toBe('a\n');
    expect(s.line).toBe('b');
    s.write('c\r1');
    expect(s.takeLines()).toBe('');
    expect(s.line).toBe('1c');
    s.write('0%\r');
    expect(s.line).toBe('10%');
    s.write('\n');
    expect(s.takeLines()).toBe('10%\n');
    expect(s.line).toBe('');
  });

  it('keeps \\r\\n cut between chunks a newline, and a backspace that takes back a \\r', () => {
    expect(chunked(['abc\r', '\ndef']).asRead).toBe(whole('abc\r\ndef'));
    expect(chunked(['abc\r', '\bX']).asRead).toBe(whole('abc\r\bX'));
    expect(chunked(['abcdef\rXY', '\b\b\bZ']).asRead).toBe(whole('abcdef\rXY\b\b\bZ'));
    expect(chunked(['😀', '\b', 'x']).asRead).toBe(whole('😀\bx'));
    // Written over an emoji's place, one character takes it whole, as in applyCarriageReturns.
    expect(chunked(['😀😀😀😀', '\rabc']).asRead).toBe('abc😀');
    expect(chunked(['😀😀😀😀\r', 'a', 'b']).line).toBe('ab😀😀');
    expect(chunked(['spin |', '\b/', '\b-', '\b\\', '\bdone\n']).asRead).toBe('spin done\n');
  });

  it('matches the whole text worked out at once, however it is cut', () => {
    const piece = fc.oneof(
      fc.constantFrom('\n', '\r', '\b', '\r\n', '\x1b[31m', '\x1b[0m', '😀', 'ab', '10%', '100%'),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 8 }), { maxLength: 12 }), (parts) => {
        const chunks = parts.map((p) => p.join(''));
        const got = chunked(chunks);
        const want = whole(chunks.join(''));
        expect(got.asRead).toBe(want);
        // Only complete lines are handed on; the last line is what is after the last newline.
        expect(got.lines.endsWith('\n') || got.lines === '').toBe(true);
        expect(got.line).not.toContain('\n');
      }),
      { numRuns: 500 },
    );
  });
});
