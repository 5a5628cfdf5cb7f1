// The browser's cell client, shared by Cellbox's page and the embed: posts a cell, long-polls
// its messages, and turns HTTP failures into one readable sentence from one table.
import type { CellCreated, MessagesAnswer } from '../protocol/api';
import type { ErrorBody } from '../protocol/errors';
import type { Message } from '../protocol/messages';

/** What a person reads when a request fails, by HTTP status. */
const STATUS_MESSAGES: Record<number, string> = {
  0: 'The Cellbox server could not be reached. Check your connection and try again.',
  403: 'This Cellbox server does not accept cells from this page.',
  413: 'The code is too large to run here.',
  429: 'Too many runs in a short time; wait a moment and try again.',
  503: 'The Cellbox server is busy; try again in a few seconds.',
};

export class CellClientError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'CellClientError';
  }
}

async function request<T>(url: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new CellClientError(0, STATUS_MESSAGES[0]);
  }
  if (res.ok) return (await res.json()) as T;
  let detail = '';
  try {
    detail = ((await res.json()) as ErrorBody).error.message;
  } catch {
    // not our JSON error: the table's sentence will do
  }
  throw new CellClientError(res.status, STATUS_MESSAGES[res.status] ?? (detail || `The server answered ${res.status}.`));
}

export interface RunOptions {
  server?: string;
  signal?: AbortSignal;
  onMessage: (m: Message) => void;
  /** Called once the server accepted the cell, with its id (for Stop). */
  onCreated?: (id: string) => void;
}

/** Runs a cell to its end, handing each message over as it arrives. Resolves with the cell id. */
export async function runCell(code: string, language: string, opts: RunOptions): Promise<string> {
  const base = opts.server ?? '';
  const created = await request<CellCreated>(`${base}/api/v1/cells`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code, language }),
    signal: opts.signal,
  });
  opts.onCreated?.(created.id);
  let after = 0;
  for (;;) {
    const a = await request<MessagesAnswer>(`${base}/api/v1/cells/${created.id}/messages?after=${after}&wait=25`, { signal: opts.signal });
    for (const m of a.messages) opts.onMessage(m);
    after = a.next;
    if (a.done) return created.id;
  }
}

/** Asks the server to stop a cell. */
export async function interruptCell(id: string, server = ''): Promise<void> {
  await request(`${server}/api/v1/cells/${id}/interrupt`, { method: 'POST' });
}

export async function listLanguages(server = ''): Promise<{ name: string; display_name: string }[]> {
  return request(`${server}/api/v1/languages`);
}
