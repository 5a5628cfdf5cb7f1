// Who is asking: the client's address, and the per-address limits of a public server: cells
// submitted per minute (a token bucket) and long-polls held open at once.
import { ApiError } from '../../protocol/errors';
import type { Config } from '../../store/config';
import type { ApiRequest } from './api-request';

/**
 * The client's address. scripts/web.mjs puts the connection's peer in `x-cellbox-peer`
 * (replacing whatever a client sent); behind a reverse proxy (`trustProxy`), the peer is the
 * proxy and the client is the last X-Forwarded-For entry, the one the proxy added.
 */
export function clientAddress(req: ApiRequest, config: Pick<Config, 'trustProxy'>): string {
  const peer = req.headers.get('x-cellbox-peer') ?? '';
  if (config.trustProxy) {
    const last = req.headers.get('x-forwarded-for')?.split(',').map((s) => s.trim()).filter(Boolean).pop();
    if (last) return last;
  }
  return peer || 'unknown';
}

interface Bucket { tokens: number; at: number }

/** Buckets idle this long are full again, so they are forgotten. */
const IDLE_MS = 10 * 60 * 1000;

export class ClientLimits {
  private readonly buckets = new Map<string, Bucket>();
  private readonly polls = new Map<string, number>();
  private lastSweep = Date.now();

  constructor(private readonly config: Pick<Config, 'cellsPerMinute' | 'cellsBurst' | 'longPollsPerClient'>) {}

  /** Takes one submission from the client's bucket, or throws 429 saying when to come back. */
  submit(client: string, now = Date.now()): void {
    const { cellsPerMinute: rate, cellsBurst: burst } = this.config;
    if (rate <= 0) return;
    this.sweep(now);
    const perMs = rate / 60_000;
    const b = this.buckets.get(client) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + (now - b.at) * perMs);
    b.at = now;
    this.buckets.set(client, b);
    if (b.tokens < 1) {
      const wait = Math.ceil((1 - b.tokens) / perMs / 1000);
      throw new ApiError('rate_limited', `Too many cells from ${client}: at most ${rate} a minute (${burst} at once). Try again in ${wait} s.`, { 'Retry-After': String(wait) });
    }
    b.tokens -= 1;
  }

  /** Counts a long-poll in while it waits; throws 429 past the limit. Call the result when it ends. */
  poll(client: string): () => void {
    const release = this.tryPoll(client);
    if (!release) {
      throw new ApiError('rate_limited', `Too many long-polls open from ${client}: at most ${this.config.longPollsPerClient}. Use /api/v1/poll to follow many cells in one request.`, { 'Retry-After': '1' });
    }
    return release;
  }

  /** As poll(), but null past the limit: for a wait the request can do without. */
  tryPoll(client: string): (() => void) | null {
    const open = this.polls.get(client) ?? 0;
    if (open >= this.config.longPollsPerClient) return null;
    this.polls.set(client, open + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.polls.get(client) ?? 1) - 1;
      if (n <= 0) this.polls.delete(client);
      else this.polls.set(client, n);
    };
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < IDLE_MS) return;
    this.lastSweep = now;
    for (const [k, b] of this.buckets) if (now - b.at > IDLE_MS) this.buckets.delete(k);
  }
}

interface Limited { config: Pick<Config, 'trustProxy'>; limits: ClientLimits }

/** Counts a cell or snippet against its client's rate; throws 429 past it. */
export function countSubmission(s: Limited, req: ApiRequest): void {
  s.limits.submit(clientAddress(req, s.config));
}

/**
 * Runs `fn(true)` while holding one of the client's long-poll slots, or `fn(false)` at once
 * when none is free: for a request whose wait is a saving, not its purpose (a POST of a cell).
 */
export async function waitingIfFree<T>(s: Limited, req: ApiRequest, fn: (waiting: boolean) => Promise<T>): Promise<T> {
  const release = s.limits.tryPoll(clientAddress(req, s.config));
  try {
    return await fn(release !== null);
  } finally {
    release?.();
  }
}

/** Runs a long-poll while holding one of its client's slots; throws 429 when none is free. */
export async function holdingPoll<T>(s: Limited, req: ApiRequest, wait: number, fn: () => Promise<T>): Promise<T> {
  if (wait <= 0) return fn();
  const release = s.limits.poll(clientAddress(req, s.config));
  try {
    return await fn();
  } finally {
    release();
  }
}
