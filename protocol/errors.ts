// Error codes: the request was bad (4xx, naming the field) or the server could not take it.
// A cell's own failure is never one of these: it is an `error` message with HTTP 200.

export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  invalid_utf8: 400,
  invalid_field: 400,
  unknown_language: 400,
  unsupported_media_type: 415,
  origin_not_allowed: 403,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  too_large: 413,
  range_not_satisfiable: 416,
  headers_too_large: 431,
  rate_limited: 429,
  queue_full: 503,
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody { error: { code: ErrorCode; message: string } }

/** Marks an ApiError, whichever copy of this module made it. */
const API_ERROR = Symbol.for('cellbox.ApiError');

/** Thrown by route bodies and turned into HTTP in exactly one place (app/_lib/respond.ts). */
export class ApiError extends Error {
  /**
   * The web server holds this module twice, in Next.js's bundle and in dist/api.mjs (the hot
   * routes), and the one store and client limits of the process may come from either: an error
   * one copy throws must be an ApiError to the other's `instanceof`.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [API_ERROR]?: boolean })[API_ERROR] === true;
  }

  readonly [API_ERROR] = true;
  readonly status: number;
  constructor(readonly code: ErrorCode, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_STATUS[code];
  }
  body(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

/** The ename of each way the sandbox can stop a cell. */
export const CELL_ERRORS = {
  timeout: 'TimeoutError',
  memory: 'MemoryError',
  output: 'OutputLimitExceeded',
  interrupted: 'Interrupted',
  crashed: 'WorkerCrashed',
} as const;
