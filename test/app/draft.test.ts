// The page's draft (app/draft.ts): what comes back from the browser's storage is checked before
// it reaches the editor, and a storage that refuses never breaks the page. The real
// localStorage is exercised by test/e2e/page.test.ts; here, a Map behind Storage's methods.
import { describe, expect, it } from 'vitest';
import { DRAFT_KEY, readDraft, saveDraft } from '../../app/draft';

function storage(initial: Record<string, string> = {}): Storage {
  const m = new Map(Object.entries(initial));
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

const refusing: Storage = {
  length: 0,
  clear() {},
  key: () => null,
  getItem() {
    throw new DOMException('denied', 'SecurityError');
  },
  removeItem() {
    throw new DOMException('denied', 'SecurityError');
  },
  setItem() {
    throw new DOMException('full', 'QuotaExceededError');
  },
};

const start = { code: 'print(1)', language: 'python' };

describe('the page draft', () => {
  it('comes back as it was kept', () => {
    const s = storage();
    saveDraft(s, { code: 'x = 2\nx', language: 'python' }, start);
    expect(readDraft(s, ['python'])).toEqual({ code: 'x = 2\nx', language: 'python' });
  });

  it('is forgotten when the cell is back at its start', () => {
    const s = storage({ [DRAFT_KEY]: JSON.stringify({ code: 'y', language: 'python' }) });
    saveDraft(s, start, start);
    expect(s.getItem(DRAFT_KEY)).toBeNull();
  });

  it('is ignored when it is not a draft, or names a language not offered here', () => {
    for (const raw of ['not json', 'null', '[]', '{"code": 5, "language": "python"}', '{"code": "x"}', '{"code": "x", "language": "cobol"}']) {
      expect(readDraft(storage({ [DRAFT_KEY]: raw }), ['python', 'javascript']), raw).toBeNull();
    }
    expect(readDraft(null, ['python'])).toBeNull();
  });

  it('never throws when the browser refuses its storage', () => {
    expect(readDraft(refusing, ['python'])).toBeNull();
    expect(() => saveDraft(refusing, { code: 'z', language: 'python' }, start)).not.toThrow();
    expect(() => saveDraft(refusing, start, start)).not.toThrow();
  });
});
