// The keys and the cap of embedded cells' drafts (embed/drafts.ts): a draft belongs to one page
// (its fragment aside), one place on it and the code the teacher wrote; past the cap the oldest
// drafts go, never the one being saved.
import { describe, expect, it } from 'vitest';
import { DRAFT_PREFIX, MAX_DRAFTS, MAX_DRAFT_TOTAL_CHARS, codeHash, draftKey, evictions } from '../../embed/drafts';

describe('draftKey', () => {
  const key = draftKey('https://notes.example/week1.html?v=2#loops', 'n:0', 'print(1)', 'python');

  it('is one page\'s, whichever heading of it the link pointed at', () => {
    expect(key.startsWith(DRAFT_PREFIX)).toBe(true);
    expect(draftKey('https://notes.example/week1.html?v=2', 'n:0', 'print(1)', 'python')).toBe(key);
    expect(draftKey('https://notes.example/week1.html?v=2#functions', 'n:0', 'print(1)', 'python')).toBe(key);
    expect(draftKey('https://notes.example/week1.html?v=3', 'n:0', 'print(1)', 'python')).not.toBe(key);
    expect(draftKey('https://notes.example/week2.html?v=2', 'n:0', 'print(1)', 'python')).not.toBe(key);
  });

  it('tells apart cells by place, and belongs to the code and language the teacher wrote', () => {
    const keys = new Set([
      key,
      draftKey('https://notes.example/week1.html?v=2', 'n:1', 'print(1)', 'python'),
      draftKey('https://notes.example/week1.html?v=2', 'id:n:0', 'print(1)', 'python'),
      draftKey('https://notes.example/week1.html?v=2', 'n:0', 'print(2)', 'python'),
      draftKey('https://notes.example/week1.html?v=2', 'n:0', 'print(1)', 'sage'),
      draftKey('https://notes.example/week1.html?v=2', 'n:0', 'print(1) ', 'python'),
    ]);
    expect(keys.size).toBe(6);
  });

  it('hashes to a short, stable, spread value', () => {
    expect(codeHash('print(1)')).toBe(codeHash('print(1)'));
    const hashes = new Set(Array.from({ length: 10_000 }, (_, i) => codeHash(`x = ${i}`)));
    expect(hashes.size).toBe(10_000);
    expect(codeHash('a'.repeat(100_000)).length).toBeLessThanOrEqual(11);
  });
});

describe('evictions', () => {
  const entry = (key: string, saved: number, size = 10) => ({ key, saved, size });

  it('drops nothing under the caps', () => {
    expect(evictions([entry('a', 1), entry('b', 2)], 'b')).toEqual([]);
  });

  it('drops the oldest past the count, never the one being saved', () => {
    const entries = Array.from({ length: MAX_DRAFTS + 2 }, (_, i) => entry(`k${i}`, 100 + i));
    // The one being saved is the oldest by its old time, and stays.
    expect(evictions(entries, 'k0')).toEqual(['k1', 'k2']);
    expect(evictions(entries.reverse(), 'k51')).toEqual(['k0', 'k1']);
  });

  it('drops the oldest past the total size', () => {
    const big = MAX_DRAFT_TOTAL_CHARS / 2;
    expect(evictions([entry('new', 9, big), entry('old', 1, big), entry('mid', 5, big)], 'new')).toEqual(['old']);
    expect(evictions([entry('new', 9, 3), entry('old', 1, 3), entry('mid', 5, 3)], 'new', 10, 4)).toEqual(['old', 'mid']);
  });
});
