import { describe, expect, it } from 'vitest';
import { shorten } from '../../protocol/shorten';

describe('shorten', () => {
  it('keeps text that fits, and cuts longer text to the length with an ellipsis', () => {
    expect(shorten('short', 5)).toBe('short');
    expect(shorten('abcdef', 5)).toBe('abcd…');
    expect(shorten('日本語のテキスト', 4)).toBe('日本語…');
  });

  it('never leaves half of a surrogate pair', () => {
    // '😀' is two UTF-16 units: a cut after 3 units falls inside the second one.
    const cut = shorten('😀😀😀', 4);
    expect(cut).toBe('😀…');
    expect(cut).not.toMatch(/\p{Cs}/u);
    expect(shorten('a😀😀😀', 4)).toBe('a😀…');
    for (let max = 1; max < 12; max++) expect(shorten(`x${'😀'.repeat(10)}`, max), `max ${max}`).not.toMatch(/\p{Cs}/u);
  });
});
