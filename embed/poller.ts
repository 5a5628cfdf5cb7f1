// One long-poll for every running cell of a page and server: GET /api/v1/poll with a
// `c=<id>:<after>` per cell. Thirty embedded cells hold one connection, not thirty, so they
// never exhaust the browser's six connections per host.
//
// A cell runs on at the server whatever the page's connection does, and the server keeps every
// message: so a poll that fails for want of a connection (offline, a web server restarting, a
// 5xx, a 429) is asked again, from the last message seen, for as long as the page follows the
// cell. Only an answer that will not change (a 4xx) ends the following.
//
// Each cell is named with the state the page last saw (`c=<id>:<after>:<state>`): the server
// then answers when that state moves too (queued to starting, as a device takes the cell), not
// only at its next message, so "Waiting in the queue…" does not stay up for a cell that has left it.
import type { CellState, MessagesAnswer, PollAnswer } from '../protocol/api';
import { MAX_POLL_CELLS, MAX_WAIT_SECONDS } from '../protocol/limits';

export interface Follower {
  /** New messages of the cell (maybe none) and whether it is done. */
  onAnswer(a: MessagesAnswer): void;
  /** The poll failed for good (the server refused it): the follower is dropped. */
  onError(e: unknown): void;
  /** The poll failed and is asked again in `retryInMs`: the connection is down, not the cell. */
  onRetry?(e: unknown, retryInMs: number): void;
  /** A poll succeeded again after failures: the connection is back. */
  onReconnect?(): void;
}

/** GETs a URL as JSON; throws an error with `status` (and `retryAfter`, in seconds) for an HTTP failure. */
export type Fetcher = (url: string, init: RequestInit) => Promise<PollAnswer>;

/**
 * The waits in ms after 1, 2, 3 … failed polls in a row; the last one repeats. Capped at a few
 * seconds so that a connection that returns is noticed soon (the browser's `online` event,
 * see wake(), cuts a wait short where there is one).
 */
export const RETRY_DELAYS_MS = [250, 1000, 2000, 4000];
/** A Retry-After longer than this is not waited out in full: the page asks again by then. */
const MAX_RETRY_AFTER_MS = 60_000;

export class Poller {
  private readonly followers = new Map<string, { after: number; state?: CellState; follower: Follower }>();
  private current: AbortController | null = null;
  private looping = false;
  /** Ends the wait before a retry (the connection is said to be back). */
  private wakeUp: (() => void) | null = null;

  constructor(private readonly server: string, private readonly get: Fetcher, private readonly waitSeconds = MAX_WAIT_SECONDS - 5) {}

  /** Follows a cell from message `after` on, last seen in `state` (if known); returns a function that stops following it. */
  follow(cellId: string, after: number, follower: Follower, state?: CellState): () => void {
    this.followers.set(cellId, { after, state, follower });
    // The open poll does not know this cell: end it, and the loop asks again with it.
    this.current?.abort();
    this.wake();
    if (!this.looping) void this.loop();
    return () => {
      if (this.followers.get(cellId)?.follower === follower) this.followers.delete(cellId);
    };
  }

  /** Asks again now instead of waiting out a retry's delay (the browser went back online). */
  wake(): void {
    this.wakeUp?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async loop(): Promise<void> {
    this.looping = true;
    let failures = 0;
    try {
      while (this.followers.size > 0) {
        // Beyond the server's limit per poll, the rest wait for a place (cells end, places free).
        const asked = [...this.followers.entries()].slice(0, MAX_POLL_CELLS);
        const query = asked.map(([id, f]) => `c=${encodeURIComponent(`${id}:${f.after}${f.state ? `:${f.state}` : ''}`)}`).join('&');
        const controller = new AbortController();
        this.current = controller;
        // After a failure the first poll answers at once: it tells the followers the
        // connection is back without waiting for the cell's next message.
        const wait = failures > 0 ? 0 : this.waitSeconds;
        let answer: PollAnswer;
        try {
          // Raced with the abort itself: a fetch that is slow to give up must not hold the loop.
          answer = await Promise.race([
            this.get(`${this.server}/api/v1/poll?${query}&wait=${wait}`, { signal: controller.signal }),
            whenAborted(controller.signal),
          ]);
        } catch (e) {
          if (controller.signal.aborted) continue; // a new cell to follow: ask again at once
          if (isClientError(e)) {
            for (const [id, f] of asked) {
              this.followers.delete(id);
              f.follower.onError(e);
            }
            continue;
          }
          const delay = retryDelay(e, failures++);
          for (const [id, f] of asked) if (this.followers.get(id)?.follower === f.follower) f.follower.onRetry?.(e, delay);
          await this.sleep(delay);
          continue;
        } finally {
          if (this.current === controller) this.current = null;
        }
        const reconnected = failures > 0;
        failures = 0;
        for (const [id, f] of asked) {
          const a = answer.cells[id];
          const entry = this.followers.get(id);
          if (!entry || entry.follower !== f.follower) continue; // stopped meanwhile
          if (reconnected) f.follower.onReconnect?.();
          if (!a) {
            // The server forgot the cell (retention): nothing more will come.
            this.followers.delete(id);
            f.follower.onError(new Error('The server no longer knows this cell.'));
            continue;
          }
          entry.after = a.next;
          // Absent from an older server's answers: the next poll then waits for messages only.
          entry.state = a.state;
          if (a.done) this.followers.delete(id);
          f.follower.onAnswer(a);
        }
      }
    } finally {
      this.looping = false;
    }
  }
}

function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true }));
}

/** A 4xx will not get better by asking again; a 429 says when to ask. Anything else may pass. */
export function isClientError(e: unknown): boolean {
  const status = (e as { status?: number }).status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 429;
}

/** The wait before the next poll: the backoff, or the server's Retry-After when it is longer. */
function retryDelay(e: unknown, failuresBefore: number): number {
  const backoff = RETRY_DELAYS_MS[Math.min(failuresBefore, RETRY_DELAYS_MS.length - 1)]!;
  const retryAfter = (e as { retryAfter?: number }).retryAfter;
  if (typeof retryAfter !== 'number' || !(retryAfter > 0)) return backoff;
  return Math.max(backoff, Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS));
}
