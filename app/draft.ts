// The page's draft: the code and language last typed at /, kept in the browser's localStorage,
// so that a reload, a closed tab or a slip of the back button does not lose it (as the Rust and
// TypeScript playgrounds keep theirs). Only the plain page keeps one: a link (?z=, #z=) or a
// permalink says which code to show. Nothing leaves the browser.
export const DRAFT_KEY = 'cellbox:draft';

export interface Draft {
  code: string;
  language: string;
}

/** The page's storage, or null where the browser refuses it (storage off, a sandboxed frame). */
export function draftStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** The kept draft if there is a usable one: text, in a language this server offers. */
export function readDraft(storage: Storage | null, offered: readonly string[]): Draft | null {
  let raw: string | null;
  try {
    raw = storage?.getItem(DRAFT_KEY) ?? null;
  } catch {
    return null;
  }
  if (raw === null) return null;
  try {
    const d = JSON.parse(raw) as Partial<Draft> | null;
    if (d && typeof d.code === 'string' && typeof d.language === 'string' && offered.includes(d.language)) {
      return { code: d.code, language: d.language };
    }
  } catch {
    // not JSON: another version's, or edited by hand
  }
  return null;
}

/** Keeps `draft`, or forgets it when it is the page's starting cell again (after Reset, say). */
export function saveDraft(storage: Storage | null, draft: Draft, start: Draft): void {
  try {
    if (draft.code === start.code && draft.language === start.language) storage?.removeItem(DRAFT_KEY);
    else storage?.setItem(DRAFT_KEY, JSON.stringify(draft));
  } catch {
    // Full or refused: the draft is a convenience, the cell works without it.
  }
}
