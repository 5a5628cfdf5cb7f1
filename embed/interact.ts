// An interact's controls: the `application/vnd.cellbox.interact+json` bundle that a Python or
// Sage cell's @interact shows, drawn as labelled, keyboard-operable controls, and the values
// they hold, which the cell's next run sends back (embed/cell.ts runs it, embed/render.ts puts
// the controls in the output). Built with DOM APIs alone: a page that requires Trusted Types
// refuses HTML strings. A bundle is a cell's output, which a cell can also write by hand:
// every field is checked, and a bundle that is not as docs/api.md says is shown as its
// text/plain fallback instead.

import { INTERACT_MIME, type InteractControl as Control, type InteractLayout, type InteractValue, type InteractValues } from '../protocol/interact';
import { MAX_INTERACT_NAME_CHARS } from '../protocol/limits';
import { hasMath, standardDelimiters } from './math-delimiters';
import type { Typeset } from './mathjax';

export { INTERACT_MIME, type Control, type InteractValue, type InteractValues };

export interface InteractSpec {
  /** Decimal: the order in which the run showed its interacts. */
  id: string;
  autoUpdate: boolean;
  controls: Control[];
  /** Sage's layout: the controls' rows above, below, left and right of the function's output. */
  layout?: InteractLayout;
}

const PLACES = ['top', 'bottom', 'left', 'right'] as const;

/** A bundle's layout, checked: each control placed once, those it leaves out at the top; null when it is not one. */
function parseLayout(raw: unknown, names: string[]): InteractLayout | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  if (Object.keys(r).some((k) => !(PLACES as readonly string[]).includes(k))) return null;
  const out: InteractLayout = {};
  const placed = new Set<string>();
  for (const place of PLACES) {
    const rows = r[place];
    if (rows === undefined) continue;
    if (!Array.isArray(rows)) return null;
    for (const row of rows) {
      if (!Array.isArray(row) || !row.every((n) => typeof n === 'string' && names.includes(n) && !placed.has(n))) return null;
      row.forEach((n: string) => placed.add(n));
    }
    if (rows.length) out[place] = rows as string[][];
  }
  const rest = names.filter((n) => !placed.has(n)).map((n) => [n]);
  if (rest.length) out.top = [...(out.top ?? []), ...rest];
  return out;
}

const LONE_SURROGATE = /\p{Cs}/u;

/** The most boxes of an input grid (workers/python/interact.py, MAX_GRID_CELLS). */
const MAX_GRID_BOXES = 1000;

/**
 * Text the server takes back: a lone half of a surrogate pair (a Python string can hold one,
 * and JSON carries it) as U+FFFD, or the server would refuse every run of the controls (400).
 */
const wellFormedText = (t: string): string => t.replace(/\p{Cs}/gu, '\ufffd');
const wellFormed = (v: InteractValue): InteractValue => {
  if (typeof v === 'string') return wellFormedText(v);
  return isGrid(v) ? v.map((row) => row.map(wellFormedText)) : v;
};

/** An input grid's value: rows of texts. */
function isGrid(v: unknown): v is string[][] {
  return Array.isArray(v) && v.every((row) => Array.isArray(row) && row.every((t) => typeof t === 'string'));
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isIndex = (v: unknown, length: number): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < length;
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string');

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, v));
}

/** One control of a bundle, checked; null when it is not one. */
function parseControl(raw: unknown): Control | null {
  if (!raw || typeof raw !== 'object') return null;
  const c = raw as Record<string, unknown>;
  // A name the server would refuse to take back: the controls could never run.
  if (typeof c.name !== 'string' || c.name === '' || [...c.name].length > MAX_INTERACT_NAME_CHARS || LONE_SURROGATE.test(c.name)) return null;
  const named = { name: c.name, label: typeof c.label === 'string' ? c.label : c.name };
  switch (c.type) {
    case 'slider':
      if (c.labels !== undefined) {
        if (!isStrings(c.labels)) return null;
        return { ...named, type: 'slider', labels: c.labels, value: isIndex(c.value, c.labels.length) ? c.value : 0 };
      }
    // fall through: a slider over numbers is checked as a range slider's bounds are
    case 'range_slider': {
      if (!isNumber(c.min) || !isNumber(c.max) || !isNumber(c.step) || c.step <= 0 || c.max < c.min) return null;
      const bounds = { min: c.min, max: c.max, step: c.step };
      if (c.type === 'slider') return isNumber(c.value) ? { ...named, type: 'slider', ...bounds, value: clamp(c.value, c.min, c.max) } : null;
      const v = c.value;
      if (!Array.isArray(v) || v.length !== 2 || !isNumber(v[0]) || !isNumber(v[1])) return null;
      const lo = clamp(Math.min(v[0], v[1]), c.min, c.max);
      const hi = clamp(Math.max(v[0], v[1]), c.min, c.max);
      return { ...named, type: 'range_slider', ...bounds, value: [lo, hi] };
    }
    case 'input_box':
      if (typeof c.value !== 'string') return null;
      return {
        ...named, type: 'input_box', value: c.value,
        ...(isNumber(c.width) && c.width > 0 ? { width: c.width } : {}),
        ...(Number.isInteger(c.height) && (c.height as number) > 1 ? { height: Math.min(c.height as number, 40) } : {}),
      };
    case 'input_grid': {
      // As the kernel draws them (at most 1000 boxes); the value exactly rows × cols texts.
      if (!Number.isInteger(c.rows) || !Number.isInteger(c.cols) || (c.rows as number) < 1 || (c.cols as number) < 1 || (c.rows as number) * (c.cols as number) > MAX_GRID_BOXES) return null;
      const [rows, cols] = [c.rows as number, c.cols as number];
      if (!isGrid(c.value) || c.value.length !== rows || c.value.some((row) => row.length !== cols)) return null;
      return { ...named, type: 'input_grid', rows, cols, value: c.value, ...(isNumber(c.width) && c.width > 0 ? { width: c.width } : {}) };
    }
    case 'checkbox':
      return typeof c.value === 'boolean' ? { ...named, type: 'checkbox', value: c.value } : null;
    case 'selector':
      if (!isStrings(c.labels)) return null;
      return { ...named, type: 'selector', labels: c.labels, value: isIndex(c.value, c.labels.length) ? c.value : 0, buttons: c.buttons === true };
    case 'color':
      return typeof c.value === 'string' && /^#[0-9a-f]{6}$/i.test(c.value) ? { ...named, type: 'color', value: c.value.toLowerCase() } : null;
    case 'text':
      return { ...named, type: 'text', value: typeof c.value === 'string' ? c.value : '' };
    default:
      return null;
  }
}

/** A bundle's interact, checked; null when it is not one (then its text/plain is shown). */
export function parseInteract(raw: unknown): InteractSpec | null {
  if (!raw || typeof raw !== 'object') return null;
  const b = raw as Record<string, unknown>;
  if (typeof b.id !== 'string' || !/^(0|[1-9][0-9]{0,8})$/.test(b.id) || !Array.isArray(b.controls)) return null;
  if (b.auto_update !== undefined && typeof b.auto_update !== 'boolean') return null;
  const controls: Control[] = [];
  const names = new Set<string>();
  for (const raw of b.controls) {
    const c = parseControl(raw);
    // Two controls of one name would send one value for both.
    if (!c || names.has(c.name)) return null;
    names.add(c.name);
    controls.push(c);
  }
  if (b.layout === undefined) return { id: b.id, autoUpdate: b.auto_update !== false, controls };
  const layout = parseLayout(b.layout, controls.map((c) => c.name));
  return layout && { id: b.id, autoUpdate: b.auto_update !== false, controls, layout };
}

/**
 * Whether a re-run's interact is drawn by the same controls as the one shown: the same id and
 * Update button, and the same controls in the same order (name, type, and the choices of a
 * menu or list slider). Then its elements stay, and with them the focus and a drag.
 */
export function sameControls(a: InteractSpec, b: InteractSpec): boolean {
  if (a.id !== b.id || a.autoUpdate !== b.autoUpdate || a.controls.length !== b.controls.length) return false;
  if (JSON.stringify(a.layout ?? null) !== JSON.stringify(b.layout ?? null)) return false;
  return a.controls.every((x, i) => {
    const y = b.controls[i]!;
    if (x.name !== y.name || x.type !== y.type || ('labels' in x) !== ('labels' in y)) return false;
    if ('labels' in x && 'labels' in y && x.labels.join('\u0000') !== y.labels.join('\u0000')) return false;
    if (x.type === 'input_grid' && y.type === 'input_grid' && (x.rows !== y.rows || x.cols !== y.cols)) return false;
    if (x.type === 'input_box' && y.type === 'input_box' && multiline(x) !== multiline(y)) return false;
    return !(x.type === 'selector' && y.type === 'selector' && x.buttons !== y.buttons);
  });
}

/** Whether an input box keeps newlines: several lines high, or holding a newline already. */
function multiline(c: Extract<Control, { type: 'input_box' }>): boolean {
  return (c.height ?? 1) > 1 || c.value.includes('\n');
}

/** Digits after the point in a number's decimal form (1e-7 counts 7). */
function decimals(n: number): number {
  const [mantissa, exponent] = String(n).split('e');
  const places = (mantissa!.split('.')[1] ?? '').length - Number(exponent ?? 0);
  return Math.max(0, places);
}

/**
 * A slider's value as text, with as many decimals as its step and minimum have: a step of 0.1
 * shows 0.3, not the 0.30000000000000004 that adding it up makes.
 */
export function formatSliderValue(value: number, step: number, min: number): string {
  const places = Math.max(decimals(step), decimals(min));
  return places > 0 && places <= 20 ? value.toFixed(places) : String(Math.round(value * 1e9) / 1e9);
}

/** One control on the page: reads and sets its value, and remembers the value last sent. */
interface Drawn {
  control: Control;
  read(): InteractValue | undefined;
  write(control: Control): void;
  /** What the last run was sent (undefined: none yet, or not a value, as a text is not). */
  sent?: InteractValue;
}

export interface InteractView {
  readonly element: HTMLElement;
  /** With a layout: where the function's output goes, among the controls. */
  readonly slot: HTMLElement | null;
  readonly spec: InteractSpec;
  /** Its controls' values by name (a text control has none). */
  values(): Record<string, InteractValue>;
}

/** Element ids unique in any page: two copies of the embed number theirs apart. */
const ID_PREFIX = `cb-ia-${Math.random().toString(36).slice(2, 8)}-`;
let nextId = 0;

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * A box whose text the cell reads as code or an expression (`sin(x)`, a matrix's entries):
 * no spelling marks, no suggestions, and a phone's keyboard neither capitalises its first
 * letter nor "corrects" its names, as the editor's (CodeMirror's) does not. Typed on a phone,
 * `sin(x)` arrived as `Sin(x)`, a NameError. `autocorrect` is Safari's own attribute.
 */
function typedAsCode(input: HTMLInputElement | HTMLTextAreaElement): void {
  input.spellcheck = false;
  input.autocomplete = 'off';
  input.setAttribute('autocapitalize', 'off');
  input.setAttribute('autocorrect', 'off');
}

function equal(a: InteractValue | undefined, b: InteractValue | undefined): boolean {
  return Array.isArray(a) && Array.isArray(b) ? JSON.stringify(a) === JSON.stringify(b) : a === b;
}

/**
 * Draws an interact. `changed` is called when a control's value changed (a slider's as it
 * moves, many times a second); `update` when its Update button is pressed. `typeset`: the
 * math in labels and texts, which is typeset.
 */
export function drawInteract(doc: Document, first: InteractSpec, changed: () => void, update: () => void, typeset?: Typeset): InteractView & { take(spec: InteractSpec): void; markSent(): void } {
  let spec = first;
  const drawn: Drawn[] = [];

  /**
   * A label's or a text's words, its math typeset as SageMathCell typesets it
   * (`slider(0, 1, label='$\\alpha$')` showed `$\alpha$`). The typesetter waits for MathJax,
   * by which time the controls are on the page.
   */
  function setText(e: HTMLElement, text: string): void {
    if (!typeset || !hasMath(text)) {
      e.textContent = text;
      return;
    }
    e.textContent = standardDelimiters(text);
    void typeset(e);
  }

  /** A box of controls, a group for a screen reader. */
  function controlsBox(cls = ''): HTMLElement {
    const b = el(doc, 'div', `cb-interact${cls}`);
    b.setAttribute('role', 'group');
    b.setAttribute('aria-label', 'Interact controls');
    return b;
  }

  // Without a layout: one box of controls, the output after it. With one: the boxes of its
  // places around a slot that the function's output goes in (embed/render.ts).
  const layout = spec.layout;
  const element = layout ? el(doc, 'div', 'cb-ia-layout') : controlsBox();
  let slot: HTMLElement | null = null;
  /** Where each control is drawn, by name (with a layout: its place in its row). */
  const at = new Map<string, HTMLElement>();
  let top: HTMLElement | null = null;
  if (layout) {
    const region = (place: (typeof PLACES)[number]): HTMLElement | null => {
      const rows = layout[place];
      if (!rows?.length) return null;
      const r = controlsBox(` cb-ia-region cb-ia-${place}`);
      for (const names of rows) {
        const line = el(doc, 'div', 'cb-ia-row');
        for (const name of names) {
          const item = el(doc, 'div', 'cb-ia-item');
          line.append(item);
          at.set(name, item);
        }
        r.append(line);
      }
      return r;
    };
    top = region('top');
    const middle = el(doc, 'div', 'cb-ia-middle');
    slot = el(doc, 'div', 'cb-ia-slot');
    const [left, right, bottom] = [region('left'), region('right'), region('bottom')];
    middle.append(...[left, slot, right].filter((e): e is HTMLElement => e !== null));
    element.append(...[top, middle, bottom].filter((e): e is HTMLElement => e !== null));
  }
  /** Where the control being drawn goes. */
  let box = element;

  /** A control's row: its label (for the input, or naming a group) and its place. */
  function row(control: Control, forInput: boolean): { place: HTMLElement; id: string; labelId: string } {
    const id = `${ID_PREFIX}${nextId++}`;
    const label = el(doc, forInput ? 'label' : 'span', 'cb-ia-label');
    setText(label, control.label);
    label.id = `${id}-label`;
    if (forInput) (label as HTMLLabelElement).htmlFor = id;
    const place = el(doc, 'div', 'cb-ia-control');
    box.append(label, place);
    return { place, id, labelId: label.id };
  }

  function range(id: string, min: number, max: number, step: number): HTMLInputElement {
    const input = el(doc, 'input', 'cb-ia-slider');
    input.type = 'range';
    input.id = id;
    input.min = String(min);
    input.max = String(max);
    input.step = String(step);
    return input;
  }

  function draw(control: Control): Drawn {
    switch (control.type) {
      case 'slider': {
        const { place, id } = row(control, true);
        const discrete = 'labels' in control;
        const input = discrete ? range(id, 0, control.labels.length - 1, 1) : range(id, control.min, control.max, control.step);
        // The value beside the slider, for the eye; a screen reader hears the slider's own.
        const shown = el(doc, 'span', 'cb-ia-value');
        shown.setAttribute('aria-hidden', 'true');
        place.append(input, shown);
        const d: Drawn = {
          control,
          read: () => input.valueAsNumber,
          write(c) {
            d.control = c;
            if (!('labels' in c) && c.type === 'slider') Object.assign(input, { min: String(c.min), max: String(c.max), step: String(c.step) });
            if (input.valueAsNumber !== c.value) input.value = String(c.value);
            show();
          },
        };
        const show = () => {
          const c = d.control;
          const text = 'labels' in c ? (c.labels[input.valueAsNumber] ?? '') : c.type === 'slider' ? formatSliderValue(input.valueAsNumber, c.step, c.min) : '';
          shown.textContent = text;
          input.setAttribute('aria-valuetext', text);
        };
        input.addEventListener('input', () => {
          show();
          changed();
        });
        d.write(control);
        return d;
      }
      case 'range_slider': {
        // One track with two thumbs, each a slider of its own in a group named by the label; the
        // lower thumb stops at the upper, and the upper at the lower. Each thumb's name is the
        // label and its own word ("Span min"): named "min" and "max" alone, a screen reader's
        // list of a page's controls gave every range's thumbs the same two names.
        const { place, labelId, id } = row(control, false);
        place.setAttribute('role', 'group');
        place.setAttribute('aria-labelledby', labelId);
        const track = el(doc, 'div', 'cb-ia-range');
        const fill = el(doc, 'div', 'cb-ia-range-fill');
        const lo = range(id, control.min, control.max, control.step);
        const hi = range(`${id}-hi`, control.min, control.max, control.step);
        lo.classList.add('cb-ia-thumb');
        hi.classList.add('cb-ia-thumb');
        for (const [thumb, word] of [[lo, 'min'], [hi, 'max']] as const) {
          thumb.setAttribute('aria-label', word);
          thumb.setAttribute('aria-labelledby', `${labelId} ${thumb.id}`);
        }
        const shown = el(doc, 'span', 'cb-ia-value');
        shown.setAttribute('aria-hidden', 'true');
        track.append(fill, lo, hi);
        place.append(track, shown);
        let last: [number, number] = [NaN, NaN];
        const d: Drawn = {
          control,
          read: () => [lo.valueAsNumber, hi.valueAsNumber],
          write(c) {
            d.control = c;
            if (c.type !== 'range_slider') return;
            for (const input of [lo, hi]) Object.assign(input, { min: String(c.min), max: String(c.max), step: String(c.step) });
            lo.value = String(c.value[0]);
            hi.value = String(c.value[1]);
            show();
          },
        };
        const show = () => {
          const c = d.control as Extract<Control, { type: 'range_slider' }>;
          const [a, b] = [lo, hi].map((i) => formatSliderValue(i.valueAsNumber, c.step, c.min));
          shown.textContent = `${a} – ${b}`;
          lo.setAttribute('aria-valuetext', a!);
          hi.setAttribute('aria-valuetext', b!);
          const at = (v: number) => (c.max > c.min ? ((v - c.min) / (c.max - c.min)) * 100 : 0);
          fill.style.left = `${at(lo.valueAsNumber)}%`;
          fill.style.right = `${100 - at(hi.valueAsNumber)}%`;
          // Both at the top end: the lower thumb on top, or no pointer could move it down again.
          track.classList.toggle('cb-ia-lo-on-top', lo.valueAsNumber >= c.max);
          last = [lo.valueAsNumber, hi.valueAsNumber];
        };
        const moved = (input: HTMLInputElement, other: HTMLInputElement, lower: boolean) => () => {
          if (lower ? input.valueAsNumber > other.valueAsNumber : input.valueAsNumber < other.valueAsNumber) input.value = other.value;
          // Held at the other thumb: nothing changed, nothing to run.
          if (lo.valueAsNumber === last[0] && hi.valueAsNumber === last[1]) return;
          show();
          changed();
        };
        lo.addEventListener('input', moved(lo, hi, true));
        hi.addEventListener('input', moved(hi, lo, false));
        d.write(control);
        return d;
      }
      case 'input_box': {
        const { place, id } = row(control, true);
        // Several lines: a textarea, which keeps the newlines an <input> would drop.
        const lines = multiline(control);
        const input = lines ? el(doc, 'textarea', 'cb-ia-input cb-ia-textarea') : el(doc, 'input', 'cb-ia-input');
        if (input instanceof HTMLInputElement) input.type = 'text';
        input.id = id;
        typedAsCode(input);
        const columns = control.width ? Math.max(4, Math.min(60, Math.round(control.width))) : undefined;
        if (input instanceof HTMLTextAreaElement) {
          input.rows = Math.max(2, control.height ?? control.value.split('\n').length);
          if (columns) input.cols = columns;
          // Enter is a newline here: Ctrl+Enter (⌘+Enter) commits, as leaving the box does.
          input.addEventListener('keydown', (e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              e.stopPropagation();
              commit();
            }
          });
        } else if (columns) input.size = columns;
        place.append(input);
        // Sent when it is committed (Enter, or leaving the box), not with each key; once: a
        // text Ctrl+Enter sent is not sent again as the box is left.
        let committed = control.value;
        const commit = () => {
          if (input.value === committed) return;
          committed = input.value;
          changed();
        };
        input.addEventListener('change', commit);
        const d: Drawn = {
          control,
          read: () => input.value,
          write(c) {
            d.control = c;
            if (input.value !== c.value) input.value = c.value as string;
            committed = input.value;
          },
        };
        d.write(control);
        return d;
      }
      case 'input_grid': {
        // A group named by the label; each box named by its place, "A row 1 column 2".
        const { place, labelId } = row(control, false);
        place.setAttribute('role', 'group');
        place.setAttribute('aria-labelledby', labelId);
        const grid = el(doc, 'div', 'cb-ia-grid');
        grid.style.gridTemplateColumns = `repeat(${control.cols}, max-content)`;
        const size = control.width ? Math.max(2, Math.min(30, Math.round(control.width))) : 4;
        const boxes = control.value.map((texts, i) => texts.map((_, j) => {
          const input = el(doc, 'input', 'cb-ia-input cb-ia-cell');
          input.type = 'text';
          input.size = size;
          typedAsCode(input);
          input.setAttribute('aria-label', `${control.label} row ${i + 1} column ${j + 1}`);
          // Sent when a box is committed (Enter, or leaving it), as an input box is.
          input.addEventListener('change', () => changed());
          grid.append(input);
          return input;
        }));
        place.append(grid);
        const d: Drawn = {
          control,
          read: () => boxes.map((r) => r.map((input) => input.value)),
          write(c) {
            d.control = c;
            if (c.type !== 'input_grid') return;
            c.value.forEach((texts, i) => texts.forEach((text, j) => {
              const input = boxes[i]![j]!;
              if (input.value !== text) input.value = text;
            }));
          },
        };
        d.write(control);
        return d;
      }
      case 'checkbox': {
        const { place, id } = row(control, true);
        const input = el(doc, 'input', 'cb-ia-checkbox');
        input.type = 'checkbox';
        input.id = id;
        place.append(input);
        input.addEventListener('change', () => changed());
        const d: Drawn = {
          control,
          read: () => input.checked,
          write(c) {
            d.control = c;
            input.checked = c.value === true;
          },
        };
        d.write(control);
        return d;
      }
      case 'selector': {
        if (control.buttons) {
          const { place, labelId } = row(control, false);
          place.setAttribute('role', 'group');
          place.setAttribute('aria-labelledby', labelId);
          place.classList.add('cb-ia-buttons');
          let selected = control.value;
          const buttons = control.labels.map((text, i) => {
            const b = el(doc, 'button', 'cb-ia-button', text);
            b.type = 'button';
            b.addEventListener('click', () => {
              if (selected === i) return;
              select(i);
              changed();
            });
            return b;
          });
          const select = (i: number) => {
            selected = i;
            buttons.forEach((b, j) => b.setAttribute('aria-pressed', String(j === i)));
          };
          place.append(...buttons);
          const d: Drawn = { control, read: () => selected, write: (c) => select((d.control = c).value as number) };
          d.write(control);
          return d;
        }
        const { place, id } = row(control, true);
        const select = el(doc, 'select', 'cb-ia-select');
        select.id = id;
        select.append(...control.labels.map((text, i) => {
          const o = doc.createElement('option');
          o.value = String(i);
          o.textContent = text;
          return o;
        }));
        place.append(select);
        select.addEventListener('change', () => changed());
        const d: Drawn = {
          control,
          read: () => select.selectedIndex,
          write(c) {
            d.control = c;
            select.selectedIndex = c.value as number;
          },
        };
        d.write(control);
        return d;
      }
      case 'color': {
        const { place, id } = row(control, true);
        const input = el(doc, 'input', 'cb-ia-color');
        input.type = 'color';
        input.id = id;
        const shown = el(doc, 'span', 'cb-ia-value');
        shown.setAttribute('aria-hidden', 'true');
        place.append(input, shown);
        input.addEventListener('input', () => (shown.textContent = input.value));
        input.addEventListener('change', () => changed());
        const d: Drawn = {
          control,
          read: () => input.value,
          write(c) {
            d.control = c;
            input.value = c.value as string;
            shown.textContent = input.value;
          },
        };
        d.write(control);
        return d;
      }
      case 'text': {
        const text = el(doc, 'div', 'cb-ia-text');
        setText(text, control.value);
        box.append(text);
        const d: Drawn = {
          control,
          read: () => undefined,
          write(c) {
            // The same text stays as it is, its math typeset once.
            const same = c.value === d.control.value;
            d.control = c;
            if (!same) setText(text, c.value as string);
          },
        };
        return d;
      }
    }
  }

  for (const control of spec.controls) {
    box = at.get(control.name) ?? element;
    drawn.push(draw(control));
  }
  if (!spec.autoUpdate) {
    const button = el(doc, 'button', 'cb-ia-update', 'Update');
    button.type = 'button';
    button.title = 'Run again with these values';
    button.addEventListener('click', update);
    // With a layout: under the controls at the top, or after all when none are there.
    (top ?? element).append(button);
  }

  return {
    element,
    slot,
    get spec() {
      return spec;
    },
    values() {
      // Without a prototype: a control named `__proto__` (a Python parameter may be) is a
      // value like any other, where `{}` would take it as the object's prototype and drop it.
      const out = Object.create(null) as Record<string, InteractValue>;
      for (const d of drawn) {
        const v = d.read();
        if (v !== undefined) out[d.control.name] = wellFormed(v);
      }
      return out;
    },
    markSent() {
      for (const d of drawn) d.sent = d.read();
    },
    /**
     * A re-run's bundle for these same controls: each shows the value the run used, unless the
     * reader changed it since the run was sent (it then runs next; a box being typed in keeps
     * its text).
     */
    take(next: InteractSpec) {
      spec = next;
      next.controls.forEach((c, i) => {
        const d = drawn[i]!;
        if (d.sent === undefined || equal(d.read(), d.sent)) d.write(c);
        else d.control = c;
      });
    },
  };
}

export interface Interacts {
  /**
   * embed/render.ts's hook for an interact bundle: the element of `previous` (the previous
   * run's interact in this place) when it has the same controls, else new controls; null for
   * a bundle that is not an interact. `shown`: the interacts the run has shown before it.
   */
  show(value: unknown, previous: HTMLElement | null, shown: readonly HTMLElement[]): HTMLElement | null;
  /** The values of every interact in `area`, by id, for a run; remembered as sent. */
  values(area: HTMLElement): InteractValues;
  /** Where the output after an interact's controls goes: its layout's slot, or null (after them). */
  slot(element: HTMLElement): HTMLElement | null;
}

/**
 * A cell's interacts. `run` asks for a run with their values (changed, or Update pressed);
 * `typeset`, the math in their labels.
 */
export function createInteracts(doc: Document, run: () => void, typeset?: Typeset): Interacts {
  const views = new WeakMap<Element, ReturnType<typeof drawInteract>>();
  /**
   * Controls of a bundle whose id the run had shown already (a cell's display() of a bundle
   * by hand, or of its interact's again): the server takes one set of values an id, the first
   * controls' (the kernel numbers its interacts in the order shown), so these run nothing.
   */
  const repeats = new WeakSet<Element>();
  const owner = (e: Element, id: string) => views.get(e)?.spec.id === id && !repeats.has(e);
  return {
    show(value, previous, shown) {
      const spec = parseInteract(value);
      if (!spec) return null;
      // Controls belong to the run that made them: one an id, which a repeat does not take over.
      const repeated = shown.some((e) => owner(e, spec.id));
      const old = !repeated && previous && !repeats.has(previous) ? views.get(previous) : undefined;
      if (old && sameControls(old.spec, spec)) {
        old.take(spec);
        return old.element;
      }
      const view = drawInteract(doc, spec, () => {
        if (!repeated && view.spec.autoUpdate) run();
      }, () => {
        if (!repeated) run();
      }, typeset);
      views.set(view.element, view);
      if (repeated) {
        repeats.add(view.element);
        view.element.classList.add('cb-ia-repeat');
        const update = view.element.querySelector<HTMLButtonElement>('.cb-ia-update');
        if (update) update.disabled = true;
        view.element.append(el(doc, 'p', 'cb-ia-note', `These controls repeat the id of interact ${spec.id} shown above them: moving them runs nothing.`));
      }
      return view.element;
    },
    slot(element) {
      return views.get(element)?.slot ?? null;
    },
    values(area) {
      const out: InteractValues = {};
      for (const e of area.children) {
        const view = views.get(e);
        if (!view || repeats.has(e) || view.spec.id in out) continue;
        view.markSent();
        out[view.spec.id] = view.values();
      }
      return out;
    },
  };
}
