// What a route handler reads of a request. Next.js hands its routes a Fetch API `Request`; the
// web server's own router (router.ts) answers most requests without Next.js, and making a
// `Request` for each of them (its Headers, a web stream over the body, an AbortSignal) cost
// more of the web server's CPU than anything else on a long-poll's path (docs/performance.md).
// So route bodies take an ApiRequest, made from either.
import type { IncomingMessage } from 'node:http';
import { readAtMost } from '../../protocol/streams';

export interface ApiRequest {
  readonly method: string;
  /** Absolute, as a Fetch API request's is, so that `new URL(req.url)` reads it. */
  readonly url: string;
  /** A header's value, duplicates joined with ", "; null when it was not sent. */
  readonly headers: { get(name: string): string | null };
  /** Aborted when the client goes away before its answer. */
  readonly signal: AbortSignal;
  /** The body's bytes, or null as soon as they pass `max`: a bigger body is never held whole. */
  bytes(max: number): Promise<Uint8Array | null>;
}

/** The request Next.js gave a route. */
export function fromFetch(req: Request): ApiRequest {
  return {
    method: req.method,
    url: req.url,
    headers: req.headers,
    signal: req.signal,
    bytes: (max) => (req.body ? readAtMost(req.body, max) : Promise.resolve(new Uint8Array())),
  };
}

/**
 * A request straight over Node's. Its signal is made only when a handler asks for it (the
 * long-polls do); `clientGone()` aborts it.
 */
export class NodeRequest implements ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  private controller: AbortController | null = null;
  private goneReason: unknown = null;

  constructor(private readonly req: IncomingMessage) {
    this.method = req.method ?? 'GET';
    this.url = `http://localhost${req.url ?? '/'}`;
    const raw = req.headers;
    this.headers = {
      get(name) {
        // Node joins repeated headers with ", " as Headers.get() does, save Set-Cookie's array.
        const value = raw[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    };
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.goneReason) this.controller.abort(this.goneReason);
    }
    return this.controller.signal;
  }

  /** The client closed the connection before its answer was written. */
  clientGone(reason: unknown): void {
    this.goneReason = reason;
    this.controller?.abort(reason);
  }

  bytes(max: number): Promise<Uint8Array | null> {
    const req = this.req;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const stop = () => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
        req.off('close', onClose);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size <= max) return void chunks.push(chunk);
        // Too big: keep nothing more. Node reads and drops the rest once the answer (413) is
        // written, and the connection stays usable.
        stop();
        resolve(null);
      };
      const onEnd = () => {
        stop();
        resolve(Buffer.concat(chunks, size));
      };
      const onError = (e: Error) => {
        stop();
        reject(e);
      };
      // Node reports a client gone mid-body as an error ('aborted'); 'close' is the last word
      // should a stream ever end otherwise: the handler must not wait for ever.
      const onClose = () => onError(new Error('the client closed the connection before its body ended'));
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onError);
      req.on('close', onClose);
    });
  }
}
