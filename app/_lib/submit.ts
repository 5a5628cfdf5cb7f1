// Accepting a cell: the checks that need the server (language on offer, timeout within the
// limit, room in the queue) and the insert.
import type { CellRequest, LanguageInfo } from '../../protocol/api';
import { ApiError } from '../../protocol/errors';
import { LINKED_LANGUAGES, linkable } from '../../protocol/linked';
import { languageLimits } from '../../store/config';
import { languages } from './cells';
import type { Server } from './server';

/**
 * Other names a language goes by (Jupyter's kernel names, interpreters' commands), each the
 * name Cellbox knows it by. Suggested, never taken in its place: a cell, its permalink and its
 * language menu hold one name.
 */
const OTHER_NAMES: Record<string, string> = {
  python3: 'python', py: 'python', ipython: 'python', js: 'javascript', node: 'javascript', nodejs: 'javascript',
  sh: 'bash', shell: 'bash', sagemath: 'sage', ir: 'r', pari: 'gp', pari_gp: 'gp', matlab: 'octave',
  gcc: 'c', gfortran: 'fortran', f90: 'fortran',
};

/** Refuses a language the server does not offer, naming those it does (and the one meant, for a known other name); returns its entry. */
export function offeredLanguage(s: Server, language: string): LanguageInfo {
  const all = languages(s);
  const found = all.find((l) => l.name === language);
  if (!found) {
    const meant = all.find((l) => l.name === OTHER_NAMES[language]);
    const hint = meant ? ` Did you mean "${meant.name}"?` : '';
    throw new ApiError('unknown_language', `language "${language}" is not offered here; choose one of: ${all.map((l) => l.name).join(', ')}.${hint}`);
  }
  return found;
}

export function submitCell(s: Server, body: CellRequest): { id: string; msgId: string } {
  offeredLanguage(s, body.language);
  // Refused, not run alone: the cell was sent to use the definitions of the cells before it.
  if (body.linked !== null && !linkable(body.language)) {
    throw new ApiError('invalid_field', `linked cells are for ${LINKED_LANGUAGES.join(' and ')} cells; a ${body.language} cell runs alone, so leave linked out.`);
  }
  // The language's own wall time, when the config gives it one.
  const max = languageLimits(s.config, body.language).wallSeconds;
  if (body.timeout !== undefined && body.timeout > max) {
    throw new ApiError('invalid_field', `timeout must be at most ${max} seconds on this server, not ${body.timeout}.`);
  }
  const full = queueFull(s);
  if (full) throw full;
  // Rounded up: any timeout over 0 (as the schema asks) is at least a millisecond, never none.
  const timeoutMs = Math.ceil((body.timeout ?? max) * 1000);
  return s.store.createCell(body.code, body.language, timeoutMs, body.interact, body.linked);
}

/** The refusal of a new cell while the queue is full, or null while there is room. */
export function queueFull(s: Server): ApiError | null {
  if (s.store.cells.queuedCount() < s.config.queueLimit) return null;
  const waiting = s.config.queueLimit === 1 ? '1 cell is waiting' : `${s.config.queueLimit} cells are waiting`;
  return new ApiError('queue_full', `The server is busy: ${waiting}. Try again in a few seconds.`, { 'Retry-After': '5' });
}
