// Snippets for HTTP and the permalink page: sharing (language on offer, content-addressed id),
// reading by id, and the file extension a download gets.
import type { SnippetCreated, SnippetInfo, SnippetRequest } from '../../protocol/api';
import { ApiError } from '../../protocol/errors';
import { SNIPPET_ID, type SnippetRow } from '../../store/snippets';
import { languages } from './cells';
import type { Server } from './server';
import { offeredLanguage } from './submit';

/** Stores the snippet unless the same language and code were shared before; `fresh` tells which. */
export function shareSnippet(s: Server, body: SnippetRequest): { answer: SnippetCreated; fresh: boolean } {
  offeredLanguage(s, body.language);
  const { row, fresh } = s.store.snippets.share({ language: body.language, code: body.code, title: body.title });
  const answer: SnippetCreated = { id: row.id, url: `/s/${row.id}`, raw: `/s/${row.id}/raw`, language: row.language, created: new Date(row.created).toISOString() };
  return { answer, fresh };
}

/** The snippet, or null for an unknown or malformed id (the page answers both with its 404). */
export function findSnippet(s: Server, id: string): SnippetRow | null {
  return SNIPPET_ID.test(id) ? s.store.snippets.get(id) : null;
}

/** The snippet, or a 404 ApiError that says what a snippet id looks like when this one cannot be one. */
export function getSnippet(s: Server, id: string): SnippetRow {
  const shown = JSON.stringify(id.slice(0, 64));
  if (!SNIPPET_ID.test(id)) throw new ApiError('not_found', `There is no snippet ${shown}: snippet ids are 10 characters of A-Z, a-z, 0-9, "_" and "-".`);
  const row = s.store.snippets.get(id);
  if (!row) throw new ApiError('not_found', `There is no snippet ${shown}.`);
  return row;
}

export function describeSnippet(row: SnippetRow): SnippetInfo {
  return { id: row.id, code: row.code, language: row.language, title: row.title, created: new Date(row.created).toISOString() };
}

/** The language's file extension (".py"), or ".txt" for a language no longer offered or an odd one. */
export function fileExtension(s: Server, language: string): string {
  const ext = languages(s).find((l) => l.name === language)?.file_extension ?? '';
  return /^\.[A-Za-z0-9]{1,16}$/.test(ext) ? ext : '.txt';
}
