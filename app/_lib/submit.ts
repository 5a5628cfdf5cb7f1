// Accepting a cell: the checks that need the server (language on offer, timeout within the
// limit, room in the queue) and the insert.
import type { CellRequest } from '../../protocol/api';
import { ApiError } from '../../protocol/errors';
import { languages } from './cells';
import type { Server } from './server';

export function submitCell(s: Server, body: CellRequest): { id: string; msgId: string } {
  const names = languages(s).map((l) => l.name);
  if (!names.includes(body.language)) {
    throw new ApiError('unknown_language', `language "${body.language}" is not offered here; choose one of: ${names.join(', ')}.`);
  }
  const max = s.config.limits.wallSeconds;
  if (body.timeout !== undefined && body.timeout > max) {
    throw new ApiError('invalid_field', `timeout must be at most ${max} seconds on this server, not ${body.timeout}.`);
  }
  if (s.store.cells.queuedCount() >= s.config.queueLimit) {
    throw new ApiError('queue_full', `The server is busy: ${s.config.queueLimit} cells are waiting. Try again in a few seconds.`, { 'Retry-After': '5' });
  }
  const timeoutMs = Math.round((body.timeout ?? max) * 1000);
  return s.store.createCell(body.code, body.language, timeoutMs);
}
