// The page's draft (app/draft.ts): what comes back from the browser's storage is checked before
// it reaches the editor, and a storage that refuses never breaks the page. The real
// localStorage is exercised by test/e2e/page.test.ts; here, a Map behind Storage's methods
// (test/helpers/memory-storage.ts).
import { describe, expect, it } from 'vitest';
import { DRAFT_KEY, readDraft, saveDraft } from '../../app/draft';
import { memoryStorage } from '../helpers/memory-storage';

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
    const s = memoryStorage();
    saveDraft(s, { code: 'x = 2\nx', language: 'python' }, start);
    expect(readDraft(s, ['python'])).toEqual({ code: 'x = 2\nx', language: 'python' });
  });

  it('is forgotten when the cell is back at its start', () => {
    const s = memoryStorage({ [DRAFT_KEY]: JSON.stringify({ code: 'y', language: 'python' }) });
    saveDraft(s, start, start);
    expect(s.getItem(DRAFT_KEY)).toBeNull();
  });

  it('is ignored when it is not a draft, or names a language not offered here', () => {
    for (const raw of ['not json', 'null', '[]', '{"code": 5, "language": "python"}', '{"code": "x"}', '{"code": "x", "language": "cobol"}']) {
      expect(readDraft(memoryStorage({ [DRAFT_KEY]: raw }), ['python', 'javascript']), raw).toBeNull();
    }
    expect(readDraft(null, ['python'])).toBeNull();
  });

  it('never throws when the browser refuses its storage', () => {
    expect(readDraft(refusing, ['python'])).toBeNull();
    expect(() => saveDraft(refusing, { code: 'z', language: 'python' }, start)).not.toThrow();
    expect(() => saveDraft(refusing, start, start)).not.toThrow();
  });
});
