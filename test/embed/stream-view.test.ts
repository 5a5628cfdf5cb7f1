// The copy of ansi_up's state a stream block keeps where each part of its text begins
// (embed/stream-view.ts): rendering on from a copy is rendering on from the original. The copy
// reads private fields of ansi_up; an ansi_up that renamed them fails here, not in a page.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyAnsi, newAnsi } from '../../embed/stream-view';

describe('copyAnsi', () => {
  it('carries colours, bold and an escape sequence cut in two', () => {
    const a = newAnsi();
    a.ansi_to_html('\x1b[1;31mred and bold ');
    expect(copyAnsi(a).ansi_to_html('still')).toBe(newAnsi().ansi_to_html('\x1b[1;31mstill'));
    a.ansi_to_html('\x1b[0mplain \x1b[3');
    expect(copyAnsi(a).ansi_to_html('4mblue')).toBe('<span class="ansi-blue-fg">blue</span>');
    a.ansi_to_html('\x1b]8;;https://example.invalid/\x1b\\link');
    expect(copyAnsi(a).ansi_to_html('\x1b]8;;\x1b\\')).toBe('<a href="https://example.invalid/">link</a>');
  });

  it('renders on as the original would, wherever the text is cut', () => {
    const piece = fc.oneof(fc.constantFrom('\x1b[31m', '\x1b[0m', '\x1b[1m', '\x1b[44m', '\x1b[38;5;208m', '\x1b[38;2;1;2;3m', '\x1b[', '3', 'm', 'a', '<&>'), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), fc.nat(), (parts, at) => {
        const text = parts.join('');
        const cut = at % (text.length + 1);
        const whole = newAnsi();
        whole.ansi_to_html(text.slice(0, cut));
        const copy = copyAnsi(whole);
        expect(copy.ansi_to_html(text.slice(cut))).toBe(whole.ansi_to_html(text.slice(cut)));
      }),
      { numRuns: 300 },
    );
  });
});
