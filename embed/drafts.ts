// An embedded cell's draft: the code a student typed in a cell of a teacher's page, kept in the
// host page's localStorage, so that a reload or a return to the page does not lose it (Cellbox's
// own page keeps its one draft in app/draft.ts). A draft belongs to the code the teacher wrote:
// its key holds a hash of that code and its language, so that once the teacher changes the
// cell, the old draft is never shown over the new code. Storage is the host's, shared with its
// own data: a bounded number and size of drafts, the oldest dropped first, and none kept past
// MAX_DRAFT_AGE_MS unused. Nothing leaves the browser; storage refused (a sandboxed frame,
// storage off, quota full) only means no draft.

/** Every key of ours starts so: the cap counts them, and no other data of the page is touched. */
export const DRAFT_PREFIX = 'cellbox:embed-draft:';
/** At most this many drafts per origin of host pages; past it the oldest go. */
export const MAX_DRAFTS = 50;
/** At most this many characters of drafts together (about 1 MB as browsers store them). */
export const MAX_DRAFT_TOTAL_CHARS = 500_000;
/** A draft longer than this is not kept (the server runs no more than 64 KiB of code anyway). */
export const MAX_DRAFT_CHARS = 64 * 1024;

/**
 * A draft neither edited nor shown for this long is dropped: 120 days, a course's term (some 15
 * weeks of teaching, then its exams) and a little more. A student's edit made in week 1 is
 * still there for revision at the term's end; one from the last time the course ran is not
 * shown over this year's page (on a lab's shared computer, another student's), nor does it
 * hold the origin's storage for good. Each showing keeps it another 120 days: a draft still in
 * use is never dropped for its age.
 */
export const MAX_DRAFT_AGE_MS = 120 * 24 * 60 * 60 * 1000;

export interface CellDraft {
  code: string;
  language: string;
}

/**
 * A kept draft as storage holds it: with when it was last saved or shown, which orders the
 * dropping and ages it. (Every draft written so far has it; one without, edited by hand, is
 * given one when next shown, and until then dropped first under the caps but never for age.)
 */
interface Stored extends CellDraft {
  saved: number;
}

/** Whether a draft last saved or shown at `saved` has gone unused too long by `now`. */
function expired(saved: number, now: number): boolean {
  return saved > 0 && now - saved > MAX_DRAFT_AGE_MS;
}

/**
 * cyrb53: a 53-bit hash, synchronous (crypto.subtle is asynchronous and missing on plain-http
 * host pages), so that two codes a teacher wrote hardly ever share a draft.
 */
export function codeHash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

/**
 * The key of one cell's draft. `page` is the page's URL, its fragment left out (a link to a
 * heading of the notes is the same page); `place` tells apart the cells of a page with the same
 * code: the markup's id when it has one, else which of the page's cells with this code and
 * language it is. Not the cell's position among all cells: a cell the teacher inserts above
 * would then move every draft below onto another cell.
 */
export function draftKey(page: string, place: string, code: string, language: string): string {
  return `${DRAFT_PREFIX}${page.replace(/#.*$/s, '')} ${place} ${codeSignature(code, language)}`;
}

/** What ties the cells of a page with the same code together: their code and language. */
export function codeSignature(code: string, language: string): string {
  return codeHash(`${language}\n${code}`);
}

/**
 * The drafts to drop, oldest first, so that with `keep` (the one being saved) there are at most
 * `maxCount` and at most `maxChars` characters of them. `keep` itself is never dropped.
 */
export function evictions(entries: readonly { key: string; saved: number; size: number }[], keep: string, maxCount = MAX_DRAFTS, maxChars = MAX_DRAFT_TOTAL_CHARS): string[] {
  let count = entries.length;
  let chars = entries.reduce((n, e) => n + e.size, 0);
  const drop: string[] = [];
  for (const e of [...entries].filter((x) => x.key !== keep).sort((a, b) => a.saved - b.saved)) {
    if (count <= maxCount && chars <= maxChars) break;
    drop.push(e.key);
    count--;
    chars -= e.size;
  }
  return drop;
}

/** The host page's storage if it can be used at all: null in a sandboxed frame, with storage off. */
export function draftStorage(win: Window): Storage | null {
  try {
    const s = win.localStorage;
    // Reading may work where writing never does (Safari's private mode once): tried once.
    const probe = `${DRAFT_PREFIX}probe`;
    s.setItem(probe, '');
    s.removeItem(probe);
    return s;
  } catch {
    return null;
  }
}

/** Storages whose expired drafts were dropped already: once per page, not once per cell. */
const swept = new WeakSet<Storage>();

/** Drops the drafts in `storage` unused past MAX_DRAFT_AGE_MS. */
function dropExpired(storage: Storage, now: number): void {
  for (const e of keptDrafts(storage)) if (expired(e.saved, now)) storage.removeItem(e.key);
}

/**
 * The draft kept under `key`, if there is a usable one, which is shown now: it is kept another
 * MAX_DRAFT_AGE_MS from `now`. The first read on a page drops every expired draft.
 */
export function readCellDraft(storage: Storage, key: string, now = Date.now()): CellDraft | null {
  try {
    if (!swept.has(storage)) {
      swept.add(storage);
      dropExpired(storage, now);
    }
    const raw = storage.getItem(key);
    const d = JSON.parse(raw ?? 'null') as Partial<Stored> | null;
    if (!d || typeof d.code !== 'string' || typeof d.language !== 'string') return null;
    // A page left open for months read its drafts before they expired: checked again here.
    if (expired(Number(d.saved) || 0, now)) {
      storage.removeItem(key);
      return null;
    }
    try {
      storage.setItem(key, JSON.stringify({ code: d.code, language: d.language, saved: now } satisfies Stored));
    } catch {
      // Full: shown all the same, and aged from when it was saved.
    }
    return { code: d.code, language: d.language };
  } catch {
    // Not JSON (edited by hand) or storage refused: no draft.
  }
  return null;
}

/** Forgets the draft under `key` (the student went back to the original code). */
export function dropCellDraft(storage: Storage, key: string): void {
  try {
    storage.removeItem(key);
  } catch {
    // refused: nothing kept to forget
  }
}

/** Our drafts in `storage`, with when each was saved and its size. */
function keptDrafts(storage: Storage): { key: string; saved: number; size: number }[] {
  const out: { key: string; saved: number; size: number }[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (!key?.startsWith(DRAFT_PREFIX)) continue;
    const raw = storage.getItem(key) ?? '';
    let saved = 0;
    try {
      saved = Number((JSON.parse(raw) as Partial<Stored>).saved) || 0;
    } catch {
      // unreadable: the oldest of all, dropped first
    }
    out.push({ key, saved, size: key.length + raw.length });
  }
  return out;
}

/**
 * Keeps `draft` under `key`, dropping the drafts unused past MAX_DRAFT_AGE_MS, the oldest past
 * the caps, and the oldest again while the browser says its storage is full. False when it
 * could not be kept.
 */
export function saveCellDraft(storage: Storage, key: string, draft: CellDraft, now = Date.now()): boolean {
  try {
    if (draft.code.length > MAX_DRAFT_CHARS) {
      storage.removeItem(key);
      return false;
    }
    const value = JSON.stringify({ code: draft.code, language: draft.language, saved: now } satisfies Stored);
    const others: { key: string; saved: number; size: number }[] = [];
    for (const e of keptDrafts(storage)) {
      if (e.key === key) continue;
      if (expired(e.saved, now)) storage.removeItem(e.key);
      else others.push(e);
    }
    const entries = [...others, { key, saved: now, size: key.length + value.length }];
    for (const k of evictions(entries, key)) storage.removeItem(k);
    const left = others.filter((e) => storage.getItem(e.key) !== null).sort((a, b) => a.saved - b.saved);
    for (;;) {
      try {
        storage.setItem(key, value);
        return true;
      } catch {
        // Full with the page's own data too: our oldest go, one by one, until it fits.
        const oldest = left.shift();
        if (!oldest) return false;
        storage.removeItem(oldest.key);
      }
    }
  } catch {
    return false;
  }
}
