// The keys and the cap of embedded cells' drafts (embed/drafts.ts): a draft belongs to one page
// (its fragment aside), one place on it and the code the teacher wrote; past the cap the oldest
// drafts go, never the one being saved; a draft unused for a term and more goes by its age. The
// real localStorage is exercised by test/e2e/embed-drafts.test.ts; here, a Map behind Storage's
// methods (test/helpers/memory-storage.ts).
import { describe, expect, it } from 'vitest';
import { DRAFT_PREFIX, MAX_DRAFTS, MAX_DRAFT_AGE_MS, MAX_DRAFT_TOTAL_CHARS, codeHash, draftKey, evictions, readCellDraft, saveCellDraft } from '../../embed/drafts';
import { memoryStorage } from '../helpers/memory-storage';

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

describe('drafts by their age', () => {
  const DAY = 24 * 60 * 60 * 1000;
  const now = Date.UTC(2026, 11, 7);
  const kept = (code: string, saved?: number) => JSON.stringify({ code, language: 'python', ...(saved === undefined ? {} : { saved }) });
  const key = (name: string) => `${DRAFT_PREFIX}${name}`;

  it('lasts a course term: 120 days', () => {
    expect(MAX_DRAFT_AGE_MS).toBe(120 * DAY);
  });

  it('drops, when drafts are first read, those unused for longer, and keeps the rest', () => {
    const s = memoryStorage({
      [key('last year')]: kept('print("old")', now - 200 * DAY),
      [key('just past')]: kept('print("past")', now - 121 * DAY),
      [key('this term')]: kept('print("mine")', now - 119 * DAY),
      [key('no time')]: kept('print("by hand")'),
      'the page\'s own': 'kept',
    });
    expect(readCellDraft(s, key('last year'), now)).toBe(null);
    expect(s.getItem(key('last year'))).toBe(null);
    // Not the one read: all of them, once per page.
    expect(s.getItem(key('just past'))).toBe(null);
    expect(s.getItem('the page\'s own')).toBe('kept');
    expect(readCellDraft(s, key('this term'), now)).toEqual({ code: 'print("mine")', language: 'python' });
    // One with no time of its own (none is written so) is kept, and dated from its showing.
    expect(readCellDraft(s, key('no time'), now)).toEqual({ code: 'print("by hand")', language: 'python' });
    expect(JSON.parse(s.getItem(key('no time'))!).saved).toBe(now);
  });

  it('keeps a draft still shown another 120 days from its showing', () => {
    const s = memoryStorage({ [key('mine')]: kept('print("mine")', now - 100 * DAY) });
    expect(readCellDraft(s, key('mine'), now)).not.toBe(null);
    const later = now + 100 * DAY;
    expect(readCellDraft(s, key('mine'), later)).toEqual({ code: 'print("mine")', language: 'python' });
    // Unshown past its age, even on a page that swept its storage already (open for months).
    expect(readCellDraft(s, key('mine'), later + 121 * DAY)).toBe(null);
    expect(s.getItem(key('mine'))).toBe(null);
  });

  it('drops, when a draft is saved, those unused for longer', () => {
    const s = memoryStorage({
      [key('last year')]: kept('print("old")', now - 200 * DAY),
      [key('this term')]: kept('print("mine")', now - DAY),
    });
    expect(saveCellDraft(s, key('new'), { code: 'print("new")', language: 'python' }, now)).toBe(true);
    expect(s.getItem(key('last year'))).toBe(null);
    expect(s.getItem(key('this term'))).not.toBe(null);
    expect(JSON.parse(s.getItem(key('new'))!)).toEqual({ code: 'print("new")', language: 'python', saved: now });
  });
});
