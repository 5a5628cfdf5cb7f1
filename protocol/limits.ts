// Limits shared by server and browser, as named constants with units. Each says whether
// going past it rejects the request or truncates the output.

/** Largest cell code, in UTF-8 bytes. Past it: reject with 413. */
export const MAX_CODE_BYTES = 64 * 1024;

/**
 * Largest `interact` of a cell request (the values of its controls, protocol/interact.ts), in
 * UTF-8 bytes as compact JSON text. Past it: reject with 413.
 */
export const MAX_INTERACT_BYTES = 64 * 1024;

/** Longest control name in a request's `interact`, in characters (code points). Past it: reject with 400. */
export const MAX_INTERACT_NAME_CHARS = 200;

/**
 * Most linked cells a cell request may run first (its `linked`, protocol/linked.ts): a page's
 * linked cells above the one run. Past it: reject with 413.
 */
export const MAX_LINKED_CELLS = 100;

/**
 * Largest code of a linked cell's run, in UTF-8 bytes: the cell's own code and all of its
 * `linked` code together, as one process runs them all. Each linked code is a cell's code too,
 * at most MAX_CODE_BYTES. Past either: reject with 413.
 */
export const MAX_LINKED_TOTAL_BYTES = 256 * 1024;

/** Largest request body, in bytes (code plus JSON escaping). Past it: reject with 413. */
export const MAX_BODY_BYTES = 512 * 1024;

/** Long-poll wait: default and largest, in seconds. Past the largest: reject with 400. */
export const DEFAULT_WAIT_SECONDS = 25;
export const MAX_WAIT_SECONDS = 30;

/** Most cells one /api/v1/poll request may watch. Past it: reject with 400. */
export const MAX_POLL_CELLS = 100;

/** Most messages one long-poll answer carries; the client asks again with `after`. Truncates. */
export const MAX_MESSAGES_PER_ANSWER = 1000;

/** Longest file name the filestore keeps, in UTF-8 bytes. Past it: the file is skipped. */
export const MAX_FILE_NAME_BYTES = 255;

/** Largest snippet (shared code), in UTF-8 bytes; also the most a ?z=/#z= link may inflate to. Past it: reject with 413 (a link: a message on the page). */
export const MAX_SNIPPET_BYTES = 64 * 1024;

/**
 * Largest request head (request line and headers), in bytes. Node.js's default, 16 KiB, refused
 * a `?z=` link well within MAX_SNIPPET_BYTES with an empty 431: code that deflate shrinks little
 * makes a URL a third longer than itself (base64), some 88 KiB for 64 KiB of code. Past it:
 * reject with 431.
 */
export const MAX_REQUEST_HEAD_BYTES = 128 * 1024;

/** Longest snippet title, in characters (code points). Past it: reject with 400. */
export const MAX_SNIPPET_TITLE_CHARS = 200;
