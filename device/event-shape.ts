// The shape an event from a worker's pipe must have to become a Jupyter message. The cell's own
// code can write anything on that pipe (workers/protocol.ts), and JSON.parse takes a value
// nested 20,000 deep where String() and JSON.stringify, later, run out of stack: every field is
// checked here, before anything formats or stores it, and what does not fit is refused by name.
import type { ErrorContent, MimeBundle } from '../protocol/messages';

/**
 * How deep JSON in a display's data (JSON MIME types) or metadata may nest. Far deeper than
 * any chart or widget spec (a Vega-Lite or Plotly figure nests some ten levels), far shallower
 * than what overflows the stack of whatever serialises, stores or renders it.
 */
export const MAX_JSON_DEPTH = 100;

/** A checked event's fields, or what is wrong with it (a phrase: "its ename is not a string"). */
export type Checked<T> = { ok: T } | { problem: string };

/** An `error` event's content: ename and evalue strings (defaults when missing), traceback an array of strings. */
export function checkError(e: Record<string, unknown>): Checked<ErrorContent> {
  const ename = e.ename ?? 'Error';
  const evalue = e.evalue ?? '';
  const traceback = e.traceback ?? [];
  if (typeof ename !== 'string') return { problem: 'its ename is not a string' };
  if (typeof evalue !== 'string') return { problem: 'its evalue is not a string' };
  if (!Array.isArray(traceback) || !traceback.every((line) => typeof line === 'string')) return { problem: 'its traceback is not a list of strings' };
  return { ok: { ename, evalue, traceback } };
}

/** A display's data, metadata and display id: see checkBundle; metadata an object; transient.display_id a string. */
export function checkDisplay(e: Record<string, unknown>): Checked<{ data: MimeBundle; metadata: Record<string, unknown>; displayId?: string }> {
  const data = checkBundle(e.data);
  if ('problem' in data) return data;
  const metadata = e.metadata ?? {};
  if (!isPlainObject(metadata)) return { problem: 'its metadata is not an object' };
  if (!nestsWithin(metadata, MAX_JSON_DEPTH)) return { problem: `its metadata nests deeper than ${MAX_JSON_DEPTH} levels` };
  const transient = e.transient ?? {};
  if (!isPlainObject(transient)) return { problem: 'its transient is not an object' };
  const displayId = transient.display_id;
  if (displayId !== undefined && typeof displayId !== 'string') return { problem: 'its transient.display_id is not a string' };
  return { ok: { data: data.ok, metadata, displayId } };
}

/**
 * A MIME bundle: an object of MIME type → a string, or, for a JSON type (`application/json`,
 * `…+json`), any JSON nesting no deeper than MAX_JSON_DEPTH. Empty is a bundle (it shows nothing).
 */
export function checkBundle(data: unknown): Checked<MimeBundle> {
  if (!isPlainObject(data)) return { problem: 'its data is not an object of MIME type to value' };
  for (const [mime, value] of Object.entries(data)) {
    if (!/^[\w.+-]+\/[\w.+-]+$/.test(mime)) return { problem: `its data has a key that is not a MIME type (${JSON.stringify(mime.slice(0, 60))})` };
    if (typeof value === 'string') continue;
    if (!isJsonMime(mime)) return { problem: `its data's ${mime} is not a string` };
    if (!nestsWithin(value, MAX_JSON_DEPTH)) return { problem: `its data's ${mime} nests deeper than ${MAX_JSON_DEPTH} levels` };
  }
  return { ok: data };
}

function isJsonMime(mime: string): boolean {
  return mime === 'application/json' || mime.endsWith('+json');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Whether a value from JSON.parse nests no more than `depth` arrays and objects deep. Recursion
 * bounded by `depth` itself: it stops at the first level too deep, never at the stack's end.
 */
export function nestsWithin(v: unknown, depth: number): boolean {
  if (typeof v !== 'object' || v === null) return true;
  if (depth === 0) return false;
  for (const item of Array.isArray(v) ? v : Object.values(v)) {
    if (!nestsWithin(item, depth - 1)) return false;
  }
  return true;
}
