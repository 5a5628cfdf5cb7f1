// Reading requests safely: bodies under a byte limit and valid UTF-8, JSON or form fields,
// ids and query numbers checked, each failure an ApiError naming what is wrong.
import { parse as parseContentType } from 'content-type';
import type { z } from 'zod';
import { CellRequest, describeIssues, ServiceRequest, SnippetRequest, type CellState } from '../../protocol/api';
import { ApiError } from '../../protocol/errors';
import {
  DEFAULT_WAIT_SECONDS, MAX_BODY_BYTES, MAX_CODE_BYTES, MAX_INTERACT_BYTES, MAX_LINKED_CELLS, MAX_LINKED_TOTAL_BYTES, MAX_SNIPPET_BYTES, MAX_WAIT_SECONDS,
} from '../../protocol/limits';
import type { ApiRequest } from './api-request';

/** Reads the body, stopping at `max` bytes: a bigger one is refused without being read whole. */
export async function readBody(req: ApiRequest, max: number): Promise<string> {
  // A compressed body was read as if it were plain, and refused as "not valid UTF-8" or "not
  // valid JSON", which sent its sender looking in the wrong place.
  const encoding = (req.headers.get('content-encoding') ?? '').trim().toLowerCase();
  if (encoding !== '' && encoding !== 'identity') {
    throw new ApiError('unsupported_media_type', `Content-Encoding ${JSON.stringify(encoding.slice(0, 32))} is not accepted; send the body uncompressed.`);
  }
  const declared = Number(req.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    throw new ApiError('too_large', `The request body is ${declared} bytes; the limit is ${max}.`);
  }
  // A body that fails mid-way is the client's doing (it closed the connection, or its Content-Length
  // promised more than it sent): a 400 nobody may read, not a failure of ours to log as one.
  const bytes = await req.bytes(max).catch(() => {
    throw new ApiError('bad_request', 'The request body ended before its end: the connection was closed while it was being sent.');
  });
  if (!bytes) throw new ApiError('too_large', `The request body is over ${max} bytes, the limit.`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError('invalid_utf8', 'The request body is not valid UTF-8.');
  }
}

/** A number as JSON writes one: what a form's numeric field may hold (no hex, no blanks, no `Infinity`). */
const DECIMAL = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * A form body's fields, held to what a JSON body is: every field given (so an unknown one is
 * refused by the schema, not dropped), each at most once, and each value valid UTF-8 once
 * percent-decoded. URLSearchParams would turn `%ff` into U+FFFD and keep the first of two
 * values without a word. `numeric` fields become numbers, or NaN (refused as not a number).
 * An `optional` field left empty is not given: an HTML form sends its blank inputs as `name=`,
 * so a page's form with a Timeout box left blank was refused ("timeout must be a number").
 * `json` fields hold JSON text (a cell's `interact` and `linked`), parsed here so the schema checks the value
 * as it checks a JSON body's.
 */
function formFields(text: string, numeric: readonly string[], optional: readonly string[], json: readonly string[] = []): Record<string, unknown> {
  const fields = new Map<string, unknown>();
  const seen = new Set<string>();
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const [key, value] = [eq < 0 ? pair : pair.slice(0, eq), eq < 0 ? '' : pair.slice(eq + 1)].map((part) => {
      try {
        return decodeURIComponent(part.replace(/\+/g, ' '));
      } catch {
        throw new ApiError('invalid_utf8', `The form field ${JSON.stringify(part.slice(0, 32))} has a bad percent-escape, or is not UTF-8 once decoded.`);
      }
    });
    if (seen.has(key)) throw new ApiError('invalid_field', `The form gives the field ${JSON.stringify(key.slice(0, 32))} more than once.`);
    seen.add(key);
    if (value === '' && optional.includes(key)) continue;
    fields.set(key, numeric.includes(key) ? (DECIMAL.test(value) ? Number(value) : NaN) : json.includes(key) ? formJson(key, value) : value);
  }
  // Own properties, `__proto__` included: a plain assignment of that key would be dropped.
  return Object.fromEntries(fields);
}

function formJson(key: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new ApiError('invalid_field', `The form field ${key} must be JSON text: ${(e as Error).message}.`);
  }
}

/** The fields of a body's schema that may be left out: a default or `optional()` takes their absence. */
function optionalFields(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape).filter(([, field]) => field.safeParse(undefined).success).map(([name]) => name);
}

/**
 * A POST body as JSON or form fields: JSON must be an object (checked by the schema), a form
 * gives its fields as strings (or numbers, for `numeric` ones), its empty `optional` ones left
 * out. Read through MAX_BODY_BYTES.
 */
async function readFields(req: ApiRequest, numeric: readonly string[], optional: readonly string[], json: readonly string[] = []): Promise<unknown> {
  const { type, parameters } = parseContentType(req.headers.get('content-type') ?? '');
  // The body is read as UTF-8 whatever it says: a Latin-1 or UTF-16 body whose bytes happened to
  // decode would have run other code than its sender wrote, without a word.
  const charset = parameters.charset;
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new ApiError('unsupported_media_type', `The charset ${JSON.stringify(charset.slice(0, 32))} is not accepted; send the body as UTF-8 (charset=utf-8, or no charset).`);
  }
  const text = await readBody(req, MAX_BODY_BYTES);
  if (type === 'application/x-www-form-urlencoded') return formFields(text, numeric, optional, json);
  if (type === 'application/json' || type === '' || type.endsWith('+json')) {
    if (text.trim() === '') throw new ApiError('invalid_json', 'The request body is empty; send a JSON object like {"code": "print(1)"}.');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new ApiError('invalid_json', `The request body is not valid JSON: ${(e as Error).message}.`);
    }
    const twice = repeatedKey(text);
    if (twice?.within != null) {
      throw new ApiError('invalid_field', `${twice.within.slice(0, 32)} gives the key ${JSON.stringify(twice.key.slice(0, 32))} more than once in one object.`);
    }
    if (twice) throw new ApiError('invalid_field', `The JSON body gives the field ${JSON.stringify(twice.key.slice(0, 32))} more than once.`);
    return parsed;
  }
  throw new ApiError('unsupported_media_type', `Content-Type ${type} is not accepted; send application/json or application/x-www-form-urlencoded.`);
}

/**
 * The first key an object of `text` (valid JSON) gives twice, or null. JSON.parse keeps the
 * last of two without a word, so `{"code": "a", "code": "b"}` ran "b" while a filter in front
 * of Cellbox that read the first saw "a"; a form giving a field twice is refused too. Every
 * object, not only the top level: a cell's `interact` nests its controls' values, and
 * `{"n": 1, "n": 9}` there ran 9 where the page meant either. `within` names the body's field
 * whose value holds the object, for a key that is not one of the body's own fields.
 */
function repeatedKey(text: string): { key: string; within: string | null } | null {
  if (!text.trimStart().startsWith('{')) return null; // not an object: the schema refuses it
  // Per open bracket, the keys its object has given so far (null for an array).
  const open: (Set<string> | null)[] = [];
  let prev = ''; // the last character outside strings and blanks
  let field = ''; // the body's field whose value is being read
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      // In an object, a string after "{" or "," is a key (the text is valid JSON).
      const keys = open.at(-1);
      if (keys && (prev === '{' || prev === ',')) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (keys.has(key)) return { key, within: open.length > 1 ? field : null };
        keys.add(key);
        if (open.length === 1) field = key;
      }
      prev = '"';
      continue;
    }
    if (c === '{') open.push(new Set());
    else if (c === '[') open.push(null);
    else if (c === '}' || c === ']') open.pop();
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') prev = c;
  }
  return null;
}

/**
 * The characters of a text, as an editor counts them (a pair of surrogates is one), without an
 * array of them: `[...code]` of too-large code cost the web server 20–30 ms per refusal.
 */
function codePoints(text: string): number {
  let count = text.length;
  for (let i = 1; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff && (text.charCodeAt(i - 1) & 0xfc00) === 0xd800) count--;
  }
  return count;
}

function checkCodeSize(code: string, max: number): void {
  const bytes = Buffer.byteLength(code);
  if (bytes <= max) return;
  // Code in Japanese or Greek is well under the limit by an editor's count of characters, and
  // two or three times that in bytes: said, or the reader could not see how it was over.
  const chars = codePoints(code);
  const counted = chars === bytes ? '' : ` UTF-8 bytes, not characters: its ${chars} characters include some of 2 to 4 bytes (é, 日, 😀).`;
  throw new ApiError('too_large', `code is ${bytes} bytes; the limit is ${max}.${counted}`);
}

/** Measured as it is stored and handed to the worker: compact JSON, whatever blanks the client sent. */
function checkInteractSize(interact: CellRequest['interact']): void {
  if (interact === null) return;
  const bytes = Buffer.byteLength(JSON.stringify(interact));
  if (bytes > MAX_INTERACT_BYTES) throw new ApiError('too_large', `interact is ${bytes} bytes as JSON; the limit is ${MAX_INTERACT_BYTES}.`);
}

/**
 * A linked cell's run is one process running every linked code and then the cell's own: each
 * linked code is held to a cell's size, and all of them with the cell's own code to
 * MAX_LINKED_TOTAL_BYTES; too many cells is refused as too large too.
 */
function checkLinkedSize(code: string, linked: CellRequest['linked']): void {
  if (linked === null) return;
  if (linked.length > MAX_LINKED_CELLS) {
    throw new ApiError('too_large', `linked holds the code of ${linked.length} cells; the limit is ${MAX_LINKED_CELLS}.`);
  }
  let total = Buffer.byteLength(code);
  for (const [i, earlier] of linked.entries()) {
    const bytes = Buffer.byteLength(earlier);
    if (bytes > MAX_CODE_BYTES) throw new ApiError('too_large', `linked[${i}] is ${bytes} bytes; the limit for a cell's code is ${MAX_CODE_BYTES}.`);
    total += bytes;
  }
  if (total > MAX_LINKED_TOTAL_BYTES) {
    throw new ApiError('too_large', `linked and code are ${total} bytes together; the limit is ${MAX_LINKED_TOTAL_BYTES}.`);
  }
}

const CELL_OPTIONAL = optionalFields(CellRequest);
const SNIPPET_OPTIONAL = optionalFields(SnippetRequest);
const SERVICE_OPTIONAL = optionalFields(ServiceRequest);

/** The body of POST /cells and /execute, as JSON or form fields, checked field by field. */
export async function readCellRequest(req: ApiRequest): Promise<CellRequest> {
  const parsed = CellRequest.safeParse(await readFields(req, ['timeout'], CELL_OPTIONAL, ['interact', 'linked']));
  if (!parsed.success) throw new ApiError('invalid_field', describeIssues(parsed.error));
  checkCodeSize(parsed.data.code, MAX_CODE_BYTES);
  checkInteractSize(parsed.data.interact);
  checkLinkedSize(parsed.data.code, parsed.data.linked);
  return parsed.data;
}

/** The body of POST /service (SageMathCell's), as form fields (as its clients send it) or JSON. */
export async function readServiceRequest(req: ApiRequest): Promise<ServiceRequest> {
  const parsed = ServiceRequest.safeParse(await readFields(req, [], SERVICE_OPTIONAL));
  if (!parsed.success) throw new ApiError('invalid_field', describeIssues(parsed.error));
  checkCodeSize(parsed.data.code, MAX_CODE_BYTES);
  return parsed.data;
}

/** The body of POST /snippets, as JSON or form fields; code past MAX_SNIPPET_BYTES is 413. */
export async function readSnippetRequest(req: ApiRequest): Promise<SnippetRequest> {
  const parsed = SnippetRequest.safeParse(await readFields(req, [], SNIPPET_OPTIONAL));
  if (!parsed.success) throw new ApiError('invalid_field', describeIssues(parsed.error));
  checkCodeSize(parsed.data.code, MAX_SNIPPET_BYTES);
  return parsed.data;
}

/** Cell ids are nanoid(12); anything else cannot exist, and is answered 404 without a lookup. */
export function checkCellId(id: string): string {
  if (!/^[A-Za-z0-9_-]{12}$/.test(id)) throw new ApiError('not_found', `There is no cell ${JSON.stringify(id.slice(0, 64))}.`);
  return id;
}

/** A query parameter every route ignores: the cache-buster jQuery's `cache: false` adds to a GET. */
const CACHE_BUSTER = '_';

/**
 * Holds a query string to what a body is: an unknown parameter is refused, not dropped (a
 * client's `since=5` or `timeout=5` had been ignored without a word, so it was sent every
 * message again from the first, or waited 25 s), and one given twice is refused rather than
 * the first taken (`after=1&after=9`). `repeatable` ones may come more than once (poll's `c`).
 */
export function checkQuery(url: URL, known: readonly string[], repeatable: readonly string[] = []): URL {
  const seen = new Set<string>();
  for (const name of url.searchParams.keys()) {
    const shown = JSON.stringify(name.slice(0, 32));
    if (name === CACHE_BUSTER) continue;
    if (!known.includes(name)) {
      const takes = known.length ? `this route takes ${known.join(', ')}` : 'this route takes none';
      throw new ApiError('invalid_field', `unknown query parameter ${shown}; ${takes}.`);
    }
    if (seen.has(name) && !repeatable.includes(name)) throw new ApiError('invalid_field', `The query parameter ${shown} is given more than once.`);
    seen.add(name);
  }
  return url;
}

/** A whole number query parameter within bounds. */
export function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ApiError('invalid_field', `${name} must be a whole number, not ${JSON.stringify(raw.slice(0, 32))}.${plusNote(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new ApiError('invalid_field', `${name} must be between ${min} and ${max}.`);
  return n;
}

const CELL_STATES: readonly CellState[] = ['queued', 'starting', 'running', 'done'];

/** The state a long-poll's client says it last saw (`state`, or the third part of poll's `c`); undefined when not given. */
export function stateParam(raw: string | null | undefined, name = 'state'): CellState | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined;
  if (!(CELL_STATES as readonly string[]).includes(raw)) throw new ApiError('invalid_field', `${name} must be one of ${CELL_STATES.join(', ')}, not ${JSON.stringify(raw.slice(0, 32))}.`);
  return raw as CellState;
}

/**
 * Why a number written with a sign in a URL (`after=+1`) is " 1": a `+` in a query string is a
 * space, and the error had quoted the space alone.
 */
function plusNote(raw: string): string {
  return /^ [\d.]/.test(raw) ? ' (A "+" in a query string stands for a space: write the number without a sign.)' : '';
}

/**
 * The long-poll wait in seconds (fractions allowed, written as decimals are: `0.5`, `.5`, `5.`),
 * 0 to MAX_WAIT_SECONDS. `.5` was refused though `0.5` was taken, and a client's own formatting
 * of a number gives either.
 */
export function waitParam(url: URL, fallback: number): number {
  const raw = url.searchParams.get('wait');
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(raw) || !Number.isFinite(n) || n > MAX_WAIT_SECONDS) {
    throw new ApiError('invalid_field', `wait must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}, not ${JSON.stringify(raw.slice(0, 32))}.${plusNote(raw)}`);
  }
  return n;
}

/**
 * A long-poll's wait: `wait=` as waitParam reads it, but none for HEAD, whose answer carries no
 * messages to wait for. A HEAD (a link checker, a monitor asking whether a cell is there) had
 * waited as GET does, up to 25 s, for messages it would never be sent. `wait=` is still checked.
 */
export function longPollWait(req: ApiRequest, url: URL): number {
  const wait = waitParam(url, DEFAULT_WAIT_SECONDS);
  return req.method === 'HEAD' ? 0 : wait;
}

/** The largest message number a long-poll's `after` may name: one JavaScript counts exactly. */
export const MAX_AFTER = Number.MAX_SAFE_INTEGER;

