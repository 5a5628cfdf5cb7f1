// The browser's cell client, shared by Cellbox's page and the embed: posts a cell, long-polls
// its messages, and turns HTTP failures into one readable sentence from one table.
import type { CellCreated, CellState, MessagesAnswer } from '../protocol/api';
import type { ErrorBody } from '../protocol/errors';
import type { Message } from '../protocol/messages';
import { blockedByPolicy, watchPolicy } from './csp';
import type { InteractValues } from './interact';
import { Poller } from './poller';

/** What a person reads when a request fails, by HTTP status. */
const STATUS_MESSAGES: Record<number, string> = {
  0: 'The Cellbox server could not be reached. Check your connection and try again.',
  403: 'This Cellbox server does not accept cells from this page.',
  413: 'The code is too large to run here.',
  429: 'Too many runs in a short time; wait a moment and try again.',
  503: 'The Cellbox server is busy; try again in a few seconds.',
};

export class CellClientError extends Error {
  /** `retryAfter`: the server's Retry-After in seconds, when it sent one (429, 503). */
  constructor(readonly status: number, message: string, readonly retryAfter?: number) {
    super(message);
    this.name = 'CellClientError';
  }
}

/** Fetches JSON; a failure is a CellClientError (status 0: no answer), an abort its AbortError. */
export async function request<T>(url: string, init?: RequestInit): Promise<T> {
  let res: Response;
  if (typeof document !== 'undefined') watchPolicy(document);
  try {
    res = await fetch(url, init);
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    if (await blockedByPolicy(url)) {
      const origin = new URL(url, location.href).origin;
      throw new CellClientError(0, `This page's Content-Security-Policy does not let it reach the Cellbox server: its connect-src must name ${origin}.`);
    }
    // Outside a browser (the tests' Node) there is no page, and so no mixed content.
    if (typeof location !== 'undefined' && isMixedContent(location.href, url)) {
      const server = new URL(url, location.href).origin;
      throw new CellClientError(0, `This page is served over https and the Cellbox server over http (${server}): browsers refuse such requests. The server must be reached over https.`);
    }
    throw new CellClientError(0, STATUS_MESSAGES[0]);
  }
  if (res.ok) return (await res.json()) as T;
  let detail = '';
  try {
    detail = ((await res.json()) as ErrorBody).error.message;
  } catch {
    // not our JSON error: the table's sentence will do
  }
  const retryAfter = Number(res.headers.get('Retry-After') ?? NaN);
  const wait = Number.isFinite(retryAfter) ? retryAfter : undefined;
  throw new CellClientError(res.status, statusMessage(res.status, wait, detail) ?? (detail || `The server answered ${res.status}.`), wait);
}

/**
 * The sentence for a failed request's status. A rate limit says how long to wait, from the
 * server's Retry-After: "wait a moment" left a reader pressing Run again and again, each press
 * refused, with no word of how long the wait was. Too large says the server's `detail`.
 */
function statusMessage(status: number, retryAfter: number | undefined, detail = ''): string | undefined {
  if (status === 429 && retryAfter !== undefined && retryAfter > 0) {
    return `Too many runs from this address in a short time; try again in ${Math.ceil(retryAfter)} s.`;
  }
  // With the server's words for how large and what the limit is: "too large" alone left a reader
  // whose editor counted 25,000 characters of Japanese (75,000 bytes) with no idea of either.
  if (status === 413 && detail) return `${STATUS_MESSAGES[413].slice(0, -1)}: ${detail}`;
  return STATUS_MESSAGES[status];
}

/**
 * Whether a browser blocks a request from `page` to `target` as mixed content: an https page
 * asking an http server that is not this machine's loopback (which browsers count as secure).
 * The fetch then fails as a lost connection would, and "check your connection" misled authors.
 */
export function isMixedContent(page: string, target: string): boolean {
  const from = new URL(page);
  const to = new URL(target, page);
  if (from.protocol !== 'https:' || to.protocol !== 'http:') return false;
  return !['localhost', '127.0.0.1', '[::1]'].includes(to.hostname) && !to.hostname.endsWith('.localhost');
}

export interface RunOptions {
  server?: string;
  /** The values of the cell's interacts' controls, for a run they asked for (embed/interact.ts). */
  interact?: InteractValues;
  signal?: AbortSignal;
  /**
   * The code of the linked cells before this one on the page, in page order: the server runs it
   * first, output hidden (docs/api.md, "Linked cells"). Absent or empty: the cell runs alone.
   */
  linked?: string[];
  onMessage: (m: Message) => void;
  /** Called once the server accepted the cell, with its id (for Stop). */
  onCreated?: (id: string) => void;
  /** Where the cell is, with each answer: queued, its worker starting, running, done. */
  onState?: (state: CellState) => void;
  /** Following the cell failed and is tried again in `retryInMs` (the cell runs on at the server). */
  onConnectionLost?: (e: unknown, retryInMs: number) => void;
  /** Following the cell works again after onConnectionLost: nothing was missed. */
  onReconnect?: () => void;
}

/** One poller per server for the whole page (see poller.ts). */
const pollers = new Map<string, Poller>();

function pollerFor(server: string): Poller {
  let p = pollers.get(server);
  if (!p) {
    const poller = new Poller(server, (url, init) => request(url, init));
    // Back online: ask at once rather than at the end of the retry's wait.
    if (typeof window !== 'undefined') window.addEventListener('online', () => poller.wake());
    p = poller;
    pollers.set(server, p);
  }
  return p;
}

/**
 * How long the POST waits for the cell's first messages. A quick cell's whole output then
 * comes in the POST's answer: one round trip over the network instead of two. It is also how
 * long Stop may wait for the cell's id when the server's queue holds the cell.
 */
const CREATE_WAIT_SECONDS = 1;

/** Runs a cell to its end, handing each message over as it arrives. Resolves with the cell id. */
export async function runCell(code: string, language: string, opts: RunOptions): Promise<string> {
  const base = opts.server ?? '';
  const created = await request<CellCreated>(`${base}/api/v1/cells?wait=${CREATE_WAIT_SECONDS}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      code,
      language,
      ...(opts.interact ? { interact: opts.interact } : {}),
      ...(opts.linked?.length ? { linked: opts.linked } : {}),
    }),
    signal: opts.signal,
  });
  opts.onCreated?.(created.id);
  const first = created.answer;
  if (first) {
    for (const m of first.messages) opts.onMessage(m);
    opts.onState?.(first.state);
    if (first.done) return created.id;
  }
  return new Promise<string>((resolve, reject) => {
    const stop = pollerFor(base).follow(created.id, first?.next ?? 0, {
      onAnswer: (a: MessagesAnswer) => {
        try {
          for (const m of a.messages) opts.onMessage(m);
          // Absent from an older server's answers: nothing to say then.
          if (a.state) opts.onState?.(a.state);
        } catch (e) {
          stop();
          reject(e);
          return;
        }
        if (a.done) {
          opts.signal?.removeEventListener('abort', onAbort);
          resolve(created.id);
        }
      },
      onError: (e) => {
        opts.signal?.removeEventListener('abort', onAbort);
        reject(e);
      },
      onRetry: (e, ms) => opts.onConnectionLost?.(e, ms),
      onReconnect: () => opts.onReconnect?.(),
    }, first?.state);
    const onAbort = () => {
      stop();
      reject(new DOMException('The run was abandoned.', 'AbortError'));
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Asks the server to stop a cell. */
export async function interruptCell(id: string, server = ''): Promise<void> {
  await request(`${server}/api/v1/cells/${id}/interrupt`, { method: 'POST' });
}

/** Per server, the one request for its languages: fifty cells on a page asked fifty times. */
const languageLists = new Map<string, Promise<{ name: string; display_name: string }[]>>();

export function listLanguages(server = ''): Promise<{ name: string; display_name: string }[]> {
  let list = languageLists.get(server);
  if (!list) {
    list = request(`${server}/api/v1/languages`);
    // A failed answer is not kept: the next cell asks again.
    list.catch(() => languageLists.delete(server));
    languageLists.set(server, list);
  }
  return list;
}

export interface SnippetCreated { id: string; url: string }

/** Saves code as a snippet (content-addressed: the same code gives the same id). */
export async function shareSnippet(code: string, language: string, server = ''): Promise<SnippetCreated> {
  return request(`${server}/api/v1/snippets`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code, language }),
  });
}
