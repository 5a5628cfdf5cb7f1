// One long-poll for every running cell of a page and server: GET /api/v1/poll with a
// `c=<id>:<after>` per cell. Thirty embedded cells hold one connection, not thirty, so they
// never exhaust the browser's six connections per host.
import type { MessagesAnswer, PollAnswer } from '../protocol/api';
import { MAX_POLL_CELLS, MAX_WAIT_SECONDS } from '../protocol/limits';

export interface Follower {
  /** New messages of the cell (maybe none) and whether it is done. */
  onAnswer(a: MessagesAnswer): void;
  /** The poll failed for good: the follower is dropped. */
  onError(e: unknown): void;
}

/** GETs a URL as JSON; throws an error with `status` for an HTTP failure. */
export type Fetcher = (url: string, init: RequestInit) => Promise<PollAnswer>;

/** Failed polls in a row before the followers are told; the waits between them in ms. */
const RETRY_DELAYS_MS = [250, 1000, 2000];

export class Poller {
  private readonly followers = new Map<string, { after: number; follower: Follower }>();
  private current: AbortController | null = null;
  private looping = false;

  constructor(private readonly server: string, private readonly get: Fetcher, private readonly waitSeconds = MAX_WAIT_SECONDS - 5) {}

  /** Follows a cell from message `after` on; returns a function that stops following it. */
  follow(cellId: string, after: number, follower: Follower): () => void {
    this.followers.set(cellId, { after, follower });
    // The open poll does not know this cell: end it, and the loop asks again with it.
    this.current?.abort();
    if (!this.looping) void this.loop();
    return () => {
      if (this.followers.get(cellId)?.follower === follower) this.followers.delete(cellId);
    };
  }

  private async loop(): Promise<void> {
    this.looping = true;
    let failures = 0;
    try {
      while (this.followers.size > 0) {
        // Beyond the server's limit per poll, the rest wait for a place (cells end, places free).
        const asked = [...this.followers.entries()].slice(0, MAX_POLL_CELLS);
        const query = asked.map(([id, f]) => `c=${encodeURIComponent(`${id}:${f.after}`)}`).join('&');
        const controller = new AbortController();
        this.current = controller;
        let answer: PollAnswer;
        try {
          // Raced with the abort itself: a fetch that is slow to give up must not hold the loop.
          answer = await Promise.race([
            this.get(`${this.server}/api/v1/poll?${query}&wait=${this.waitSeconds}`, { signal: controller.signal }),
            whenAborted(controller.signal),
          ]);
          failures = 0;
        } catch (e) {
          if (controller.signal.aborted) continue; // a new cell to follow: ask again at once
          if (failures < RETRY_DELAYS_MS.length && !isClientError(e)) {
            await new Promise((r) => setTimeout(r, RETRY_DELAYS_MS[failures++]));
            continue;
          }
          for (const [id, f] of asked) {
            this.followers.delete(id);
            f.follower.onError(e);
          }
          failures = 0;
          continue;
        } finally {
          if (this.current === controller) this.current = null;
        }
        for (const [id, f] of asked) {
          const a = answer.cells[id];
          const entry = this.followers.get(id);
          if (!entry || entry.follower !== f.follower) continue; // stopped meanwhile
          if (!a) {
            // The server forgot the cell (retention): nothing more will come.
            this.followers.delete(id);
            f.follower.onError(new Error('The server no longer knows this cell.'));
            continue;
          }
          entry.after = a.next;
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

/** A 4xx will not get better by asking again. */
function isClientError(e: unknown): boolean {
  const status = (e as { status?: number }).status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 429;
}
