// Reading a cell's messages for HTTP: the long-poll (wait until something new or the time is up),
// the many-cell poll, the wait of the routes that answer once the cell is done, and the cell's
// public description.
import type { CellInfo, CellState, CellStatus, LanguageInfo } from '../../protocol/api';
import { ApiError } from '../../protocol/errors';
import type { ExecuteReplyContent, FileInfo, Message, StreamContent } from '../../protocol/messages';
import { MAX_MESSAGES_PER_ANSWER } from '../../protocol/limits';
import { encodeFileUrl } from '../../filestore/names';
import type { Server } from './server';

export interface Answer { json: string[]; next: number; done: boolean; state: CellState }

function read(s: Server, cellId: string, after: number): Answer | null {
  const r = s.store.messages.readCell(cellId, after, MAX_MESSAGES_PER_ANSWER);
  if (!r) return null;
  const done = r.finalSeq !== null && r.next >= r.finalSeq;
  return { json: r.json, next: r.next, done, state: cellState(r.status, done, after + r.json.length > 0) };
}

/**
 * Where the cell is, for a reader who has no message yet to tell: the device claims a cell
 * (`running`) when it has room for it, then waits for its worker before writing `status: busy`
 * (device/run.ts: a cell without messages has not started, and is queued again if the device
 * stops). So a cell claimed and still without messages is one whose worker is being made: a
 * language's first cells after a start wait seconds for its fork server. Taken from the row the
 * read fetches anyway: no work of its own.
 */
export function cellState(status: CellStatus, done: boolean, hasMessages: boolean): CellState {
  if (done) return 'done';
  if (status === 'queued') return 'queued';
  return hasMessages ? 'running' : 'starting';
}

/**
 * How long a long-poll that has new messages of a running cell holds them for the ones that
 * follow. A trivial cell's messages (busy, its input, its output, its reply) come within a few
 * milliseconds of each other: one answer instead of three saves each client the round trips,
 * and the server their work, and a person watching output cannot see 10 ms.
 */
export const LINGER_MS = 10;

/**
 * Answers once any of the cells has a message past its `after` (then up to LINGER_MS later,
 * unless a cell is done or its answer full), or its state differs from the one its client last
 * saw (`seen`, for the cells it names), or after `waitMs`, or at once when the web server stops
 * (`closing`): the client then asks again, of the next one, instead of losing its answer. One
 * subscription to the cells for the whole wait, taken before the first read: a message (or, for
 * a cell in `seen`, a change of status) committed after any read wakes it, and each wake-up is
 * one read.
 */
export async function readMessages(s: Server, wanted: ReadonlyMap<string, number>, waitMs: number, signal?: AbortSignal, seen: ReadonlyMap<string, CellState> = new Map()): Promise<Map<string, Answer>> {
  const readAll = () => {
    const out = new Map<string, Answer>();
    for (const [id, after] of wanted) {
      const a = read(s, id, after);
      if (a) out.set(id, a);
    }
    return out;
  };
  /** Something to tell: new messages, the end, or a state the client has not seen. */
  const ready = (id: string, a: Answer) => a.json.length > 0 || a.done || (seen.has(id) && seen.get(id) !== a.state);
  const closing = s.closing.signal;
  if (waitMs <= 0 || signal?.aborted || closing.aborted) return readAll();
  const deadline = Date.now() + waitMs;
  /** New messages came since the last read. */
  let changed = false;
  /** Ends the current pause early: a wake-up, or the client gone. */
  let resume: (() => void) | null = null;
  // A cell's state moves without a message from queued to starting (the device's claim) and back
  // (a device that stops hands an unstarted cell back): a client that says it saw one of those
  // two is woken by a change of the cell's status too. From running on, every move is a message:
  // no status is read for those cells at each change of the database.
  const quiet = [...seen].filter(([id, state]) => wanted.has(id) && (state === 'queued' || state === 'starting')).map(([id]) => id);
  const unwatch = s.store.watcher.watchCells([...wanted.keys()], () => {
    changed = true;
    resume?.();
  }, quiet);
  const gone = () => resume?.();
  signal?.addEventListener('abort', gone, { once: true });
  closing.addEventListener('abort', gone, { once: true });
  try {
    let now = readAll();
    if (now.size === 0) return now;
    /** Reads at each wake-up until `enough`, `end` or the client is gone; leaves the last read in `now`. */
    const until = async (enough: (id: string, a: Answer) => boolean, end: number) => {
      while (![...now].some(([id, a]) => enough(id, a))) {
        if (!changed) {
          const left = end - Date.now();
          if (left <= 0 || signal?.aborted || closing.aborted) return;
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((r) => {
            resume = r;
            timer = setTimeout(r, left);
          });
          resume = null;
          clearTimeout(timer);
          if (!changed) continue; // the time is up or the client gone: the loop's check says which
        }
        changed = false;
        // A wake-up may bring only messages at or before `after` (a client that saw them already): wait on.
        now = readAll();
      }
    };
    await until(ready, deadline);
    if (![...now].some(([id, a]) => ready(id, a))) {
      // The time is up with nothing new. A cell that was queued at the last read is read again,
      // so that the answer's `state` is the cell's now: for a client that did not say which
      // state it saw, the device's claim of it woke nothing, and the cell, taken since, waits
      // for its worker.
      const stale = [...now.values()].some((a) => a.state === 'queued');
      return stale && !signal?.aborted && !closing.aborted ? readAll() : now;
    }
    // Only new messages are worth holding for the ones that follow: a change of state alone is answered at once.
    if ([...now.values()].some((a) => a.json.length > 0 && !a.done)) {
      await until((_, a) => a.done || a.json.length >= MAX_MESSAGES_PER_ANSWER, Math.min(deadline, Date.now() + LINGER_MS));
    }
    return now;
  } finally {
    unwatch();
    signal?.removeEventListener('abort', gone);
    closing.removeEventListener('abort', gone);
  }
}

/** How long a cell may wait in the queue on top of its own timeout before an answer that waits for its end gives up. */
export const QUEUE_GRACE_MS = 60_000;

/**
 * Every message of the cell `id` until it is done, or `deadline` (ms since the epoch) passes, or
 * the request is gone (`signal`), or the web server stops: for the routes that answer once, with
 * everything (POST /execute, POST /service).
 */
export async function messagesUntilDone(s: Server, id: string, deadline: number, signal: AbortSignal): Promise<{ messages: Message[]; done: boolean }> {
  const messages: Message[] = [];
  let after = 0;
  let done = false;
  // Given up early when the web server stops: the caller answers with what there is.
  while (!done && Date.now() < deadline && !signal.aborted && !s.closing.signal.aborted) {
    const a = (await readMessages(s, new Map([[id, after]]), Math.min(25_000, deadline - Date.now()), signal)).get(id)!;
    for (const text of a.json) messages.push(JSON.parse(text));
    after = a.next;
    done = a.done;
  }
  return { messages, done };
}

/** The text of a cell's `stream` messages, stdout's and stderr's, each joined. */
export function streamsOf(messages: Message[]): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  for (const m of messages) {
    if (m.header.msg_type !== 'stream') continue;
    const c = m.content as StreamContent;
    if (c.name === 'stdout') stdout += c.text;
    else stderr += c.text;
  }
  return { stdout, stderr };
}

/** The `status` of a cell's `execute_reply` among `messages` (`ok` or `error`), or null if it has none. */
export function replyStatus(messages: Message[]): ExecuteReplyContent['status'] | null {
  const reply = messages.find((m) => m.header.msg_type === 'execute_reply');
  return reply ? (reply.content as ExecuteReplyContent).status : null;
}

export function answerJson(a: Answer): string {
  return `{"messages":[${a.json.join(',')}],"next":${a.next},"done":${a.done},"state":"${a.state}"}`;
}

export function cellFiles(s: Server, cellId: string): FileInfo[] {
  return s.files.list(cellId).map((f) => ({ name: f.name, size: f.size, content_type: f.content_type, url: encodeFileUrl(cellId, f.name) }));
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function describeCell(s: Server, cellId: string): CellInfo {
  const cell = s.store.cells.get(cellId);
  if (!cell) throw new ApiError('not_found', `There is no cell ${cellId}; cells are kept for ${s.config.retentionHours} hours.`);
  // A claimed cell (`running` in its row) has begun once it has a message: until then its
  // worker is being made, and the cell's `state` says `starting`, as the long-polls' answers do.
  const done = cell.status === 'done';
  const begun = cell.status === 'running' && s.store.messages.lastSeq(cellId) > 0;
  return {
    id: cell.id,
    language: cell.language,
    status: cell.status,
    state: cellState(cell.status, done, begun),
    created: iso(cell.created)!,
    started: iso(cell.started),
    finished: iso(cell.finished),
    files: cell.status === 'done' ? cellFiles(s, cellId) : [],
    interact: cell.interact === null ? null : JSON.parse(cell.interact),
    linked: cell.linked === null ? null : JSON.parse(cell.linked),
  };
}

/** The languages on offer: what the device found running, or the configured list before it has reported. */
export function languages(s: Server): LanguageInfo[] {
  const found = s.store.languages.list();
  if (found.length) return found;
  return s.config.languages.map((l) => ({ name: l.name, display_name: l.display_name, version: '', file_extension: l.file_extension, codemirror_mode: l.codemirror_mode }));
}
