// Accepting a cell: the checks that need the server (language on offer, timeout within the
// limit, room in the queue) and the insert.
import type { CellRequest, LanguageInfo } from '../../protocol/api';
import { ApiError } from '../../protocol/errors';
import { languageLimits } from '../../store/config';
import { languages } from './cells';
import type { Server } from './server';

/** Refuses a language the server does not offer, naming those it does; returns its entry. */
export function offeredLanguage(s: Server, language: string): LanguageInfo {
  const all = languages(s);
  const found = all.find((l) => l.name === language);
  if (!found) {
    throw new ApiError('unknown_language', `language "${language}" is not offered here; choose one of: ${all.map((l) => l.name).join(', ')}.`);
  }
  return found;
}

export function submitCell(s: Server, body: CellRequest): { id: string; msgId: string } {
  offeredLanguage(s, body.language);
  // The language's own wall time, when the config gives it one.
  const max = languageLimits(s.config, body.language).wallSeconds;
  if (body.timeout !== undefined && body.timeout > max) {
    throw new ApiError('invalid_field', `timeout must be at most ${max} seconds on this server, not ${body.timeout}.`);
  }
  if (s.store.cells.queuedCount() >= s.config.queueLimit) {
    throw new ApiError('queue_full', `The server is busy: ${s.config.queueLimit} cells are waiting. Try again in a few seconds.`, { 'Retry-After': '5' });
  }
  const timeoutMs = Math.round((body.timeout ?? max) * 1000);
  return s.store.createCell(body.code, body.language, timeoutMs);
}
