// Snippets: shared code, kept for good under a content-addressed id, so sharing the same
// language and code twice gives the same permalink.
import crypto from 'node:crypto';
import type { Db } from './db';

export interface SnippetRow {
  id: string;
  language: string;
  code: string;
  title: string | null;
  created: number;
}

/** Snippet ids: 10 characters of the URL-safe base64 alphabet. */
export const SNIPPET_ID = /^[A-Za-z0-9_-]{10}$/;

/**
 * The id recipe (pinned by test/store/snippets.test.ts; changing it breaks every permalink):
 * the first 10 characters of base64url(sha256(UTF-8 of language + "\0" + code)), unpadded.
 * The title is not part of it. 60 bits: a collision is not expected before about a billion
 * snippets, and `share` refuses one rather than hand out someone else's code.
 */
export function snippetId(language: string, code: string): string {
  return crypto.createHash('sha256').update(`${language}\0${code}`, 'utf8').digest('base64url').slice(0, 10);
}

export type SnippetTable = ReturnType<typeof createSnippetTable>;

export function createSnippetTable(db: Db) {
  const insert = db.prepare(`INSERT OR IGNORE INTO snippets (id, language, code, title, created) VALUES (?, ?, ?, ?, ?)`);
  const byId = db.prepare(`SELECT id, language, code, title, created FROM snippets WHERE id = ?`);

  return {
    /**
     * Stores a snippet unless it is there already. The first share wins: a second one (with
     * any title) keeps the stored title and `created`. `fresh` says whether this call stored it.
     */
    share(s: { language: string; code: string; title: string | null }, now = Date.now()): { row: SnippetRow; fresh: boolean } {
      const id = snippetId(s.language, s.code);
      const fresh = insert.run(id, s.language, s.code, s.title, now).changes === 1;
      const row = byId.get(id) as SnippetRow;
      if (row.language !== s.language || row.code !== s.code) throw new Error(`snippet id collision on ${id}`);
      return { row, fresh };
    },

    get(id: string): SnippetRow | null {
      return (byId.get(id) as SnippetRow | undefined) ?? null;
    },
  };
}
