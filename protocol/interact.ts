// Interacts (`@interact`): the controls a Python or Sage cell shows, and the values a page sends
// back when it runs the same cell again with them. The worker shows its controls as a
// display_data of INTERACT_MIME; the page posts the cell again with `interact`, whose shape is
// checked here, in the browser and on the server alike.
import { MAX_INTERACT_NAME_CHARS } from './limits';
import { quoted } from './shorten';

/** The MIME type of an interact's controls, in a display_data where the cell called `interact`. */
export const INTERACT_MIME = 'application/vnd.cellbox.interact+json';

/** A value a control sends back: what its `value` is (a range slider's is [lo, hi], an input grid's its rows of texts). */
export type InteractValue = number | string | boolean | [number, number] | string[][];

/** A request's `interact`: interact id ("0", "1", … in the order the run showed them) → control name → value. */
export type InteractValues = Record<string, Record<string, InteractValue>>;

interface ControlBase { name: string; label: string }

/** One control of an interact's bundle; the page sends back a value of the type of its `value`. */
export type InteractControl = ControlBase &
  (
    | { type: 'slider'; min: number; max: number; step: number; value: number }
    /** A slider over a discrete list (Sage's `slider([...])`): `value` is the index. */
    | { type: 'slider'; labels: string[]; value: number }
    | { type: 'range_slider'; min: number; max: number; step: number; value: [number, number] }
    /** `height`: lines, when over 1 (a box that keeps newlines). */
    | { type: 'input_box'; value: string; width?: number; height?: number }
    /** Sage's input_grid: `rows` × `cols` boxes of text, `value` their texts row by row. */
    | { type: 'input_grid'; rows: number; cols: number; value: string[][]; width?: number }
    | { type: 'checkbox'; value: boolean }
    | { type: 'selector'; labels: string[]; value: number; buttons: boolean }
    | { type: 'color'; value: string }
    /** Sage's text_control: text shown among the controls, never sent back. */
    | { type: 'text'; value: string }
  );

/** Where an interact's controls go around its function's output (Sage's layout): rows of control names. */
export type InteractLayout = Partial<Record<'top' | 'bottom' | 'left' | 'right', string[][]>>;

/**
 * The content of INTERACT_MIME. `auto_update` false: the page runs the cell on its Update button
 * only. `layout` (when the cell gave one): every control placed once, around the output.
 */
export interface InteractBundle { id: string; auto_update: boolean; controls: InteractControl[]; layout?: InteractLayout }

/** An interact's id: a decimal index as the run counts them, without leading zeros. */
const INTERACT_ID = /^(0|[1-9][0-9]{0,8})$/;

const LONE_SURROGATE = /\p{Cs}/u;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}


function valueProblem(v: unknown, at: string): string | null {
  if (typeof v === 'string') return LONE_SURROGATE.test(v) ? `${at} holds half of a UTF-16 surrogate pair without the other, which is not text` : null;
  if (typeof v === 'boolean') return null;
  // JSON's 1e400 parses to Infinity, which JSON cannot hold again.
  if (typeof v === 'number') return Number.isFinite(v) ? null : `${at} must be a finite number (at most ±1.8e308)`;
  if (Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number')) {
    return v.every(Number.isFinite) ? null : `${at} must hold finite numbers (at most ±1.8e308)`;
  }
  if (Array.isArray(v) && v.length > 0 && v.every((row) => Array.isArray(row) && row.length > 0 && row.every((t) => typeof t === 'string'))) {
    return (v as string[][]).some((row) => row.some((t) => LONE_SURROGATE.test(t))) ? `${at} holds half of a UTF-16 surrogate pair without the other, which is not text` : null;
  }
  return `${at} must be a number, a string, true or false, a list of two numbers (a range), or a list of rows of strings (a grid), not ${describe(v)}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

/**
 * What is wrong with a request's `interact` (a phrase naming `interact` and the place), or null
 * when it has the shape the workers take. Its size is checked apart (MAX_INTERACT_BYTES, 413).
 */
export function interactProblem(v: unknown): string | null {
  if (!isPlainObject(v)) return `interact must be an object of interact id ("0", "1", …) to the values of its controls, not ${describe(v)}`;
  for (const [id, controls] of Object.entries(v)) {
    if (!INTERACT_ID.test(id)) return `interact has the key ${quoted(id)}, which is not an interact id: ids are "0", "1", … in the order the cell shows its interacts`;
    const at = `interact["${id}"]`;
    if (!isPlainObject(controls)) return `${at} must be an object of control name to value, not ${describe(controls)}`;
    for (const [name, value] of Object.entries(controls)) {
      if (name === '') return `${at} has an empty control name`;
      if ([...name].length > MAX_INTERACT_NAME_CHARS) return `${at} has a control name longer than ${MAX_INTERACT_NAME_CHARS} characters (${quoted(name)})`;
      if (LONE_SURROGATE.test(name)) return `${at} has a control name holding half of a UTF-16 surrogate pair without the other`;
      const problem = valueProblem(value, `${at}[${JSON.stringify(name)}]`);
      if (problem) return problem;
    }
  }
  return null;
}
