// The pure parts of the interact controls (embed/interact.ts): checking a bundle, which a cell
// can also print by hand, whether a re-run's controls are the ones shown, and a slider's value
// as text.
import { describe, expect, it } from 'vitest';
import { formatSliderValue, parseInteract, sameControls, type InteractSpec } from '../../embed/interact';

const BUNDLE = {
  id: '0',
  auto_update: true,
  controls: [
    { name: 'n', label: 'n', type: 'slider', min: 0, max: 10, step: 1, value: 5 },
    { name: 'k', type: 'slider', labels: ['a', 'b', 'c'], value: 2 },
    { name: 'r', type: 'range_slider', min: 0, max: 1, step: 0.1, value: [0.8, 0.2] },
    { name: 's', label: 'Formula', type: 'input_box', value: 'x^2', width: 20 },
    { name: 'b', type: 'checkbox', value: false },
    { name: 'c', type: 'selector', labels: ['red', 'green'], value: 1, buttons: true },
    { name: 'col', type: 'color', value: '#FF0000' },
    { name: 't', type: 'text', value: 'Some words' },
    { name: 'g', type: 'input_grid', rows: 2, cols: 3, width: 5, value: [['1', '2', '3'], ['x', '', 'y']] },
  ],
};

function spec(raw: unknown): InteractSpec {
  const s = parseInteract(raw);
  if (!s) throw new Error('not an interact');
  return s;
}

describe('parseInteract', () => {
  it('takes every kind of control of the contract, with labels defaulting to names', () => {
    const s = spec(BUNDLE);
    expect(s.id).toBe('0');
    expect(s.autoUpdate).toBe(true);
    expect(s.controls.map((c) => [c.name, c.type, c.label])).toEqual([
      ['n', 'slider', 'n'], ['k', 'slider', 'k'], ['r', 'range_slider', 'r'], ['s', 'input_box', 'Formula'],
      ['b', 'checkbox', 'b'], ['c', 'selector', 'c'], ['col', 'color', 'col'], ['t', 'text', 't'], ['g', 'input_grid', 'g'],
    ]);
    expect(s.controls[8]).toMatchObject({ rows: 2, cols: 3, width: 5, value: [['1', '2', '3'], ['x', '', 'y']] });
    expect(s.controls[1]).toMatchObject({ labels: ['a', 'b', 'c'], value: 2 });
    // A range comes low end first; a colour in lower case, as <input type=color> gives it.
    expect(s.controls[2]!.value).toEqual([0.2, 0.8]);
    expect(s.controls[6]!.value).toBe('#ff0000');
    expect(s.controls[5]).toMatchObject({ buttons: true, value: 1 });
  });

  it('takes a name of 200 characters, counted as code points as the server counts them', () => {
    expect(spec({ id: '0', controls: [{ name: '😀'.repeat(200), type: 'checkbox', value: true }] }).controls).toHaveLength(1);
  });

  it('reads auto_update false, and takes its absence as true', () => {
    expect(spec({ ...BUNDLE, auto_update: false }).autoUpdate).toBe(false);
    expect(spec({ id: '3', controls: [] }).autoUpdate).toBe(true);
  });

  it('keeps a value out of range within it: a slider clamped, an index out of range the first', () => {
    const s = spec({ id: '0', controls: [
      { name: 'n', type: 'slider', min: 0, max: 10, step: 1, value: 50 },
      { name: 'c', type: 'selector', labels: ['x', 'y'], value: 7 },
      { name: 'k', type: 'slider', labels: ['x', 'y'], value: -1 },
    ] });
    expect(s.controls.map((c) => c.value)).toEqual([10, 0, 0]);
  });

  const bad: [string, unknown][] = [
    ['not an object', 'interact'],
    ['null', null],
    ['an id that is not decimal', { ...BUNDLE, id: 'x' }],
    ['a numeric id', { ...BUNDLE, id: 0 }],
    ['an id with a leading zero (the server takes none back)', { ...BUNDLE, id: '01' }],
    ['no controls', { id: '0' }],
    ['auto_update not a boolean', { ...BUNDLE, auto_update: 'no' }],
    ['an unknown type', { id: '0', controls: [{ name: 'a', type: 'knob', value: 1 }] }],
    ['a control without a name', { id: '0', controls: [{ type: 'checkbox', value: true }] }],
    ['a name too long', { id: '0', controls: [{ name: 'a'.repeat(201), type: 'checkbox', value: true }] }],
    ['a name holding half a surrogate pair (the server refuses it back)', { id: '0', controls: [{ name: 'a\ud800', type: 'checkbox', value: true }] }],
    ['a name too long in code points', { id: '0', controls: [{ name: '😀'.repeat(201), type: 'checkbox', value: true }] }],
    ['two controls of one name', { id: '0', controls: [{ name: 'a', type: 'checkbox', value: true }, { name: 'a', type: 'input_box', value: '' }] }],
    ['a slider with a step of 0', { id: '0', controls: [{ name: 'a', type: 'slider', min: 0, max: 1, step: 0, value: 0 }] }],
    ['a slider with max below min', { id: '0', controls: [{ name: 'a', type: 'slider', min: 2, max: 1, step: 1, value: 1 }] }],
    ['a slider with an infinite bound', { id: '0', controls: [{ name: 'a', type: 'slider', min: 0, max: Infinity, step: 1, value: 1 }] }],
    ['a slider whose value is text', { id: '0', controls: [{ name: 'a', type: 'slider', min: 0, max: 1, step: 1, value: '1' }] }],
    ['a list slider with no labels', { id: '0', controls: [{ name: 'a', type: 'slider', labels: [], value: 0 }] }],
    ['a range of one number', { id: '0', controls: [{ name: 'a', type: 'range_slider', min: 0, max: 1, step: 1, value: [1] }] }],
    ['a checkbox of a string', { id: '0', controls: [{ name: 'a', type: 'checkbox', value: 'true' }] }],
    ['a selector with labels not strings', { id: '0', controls: [{ name: 'a', type: 'selector', labels: [1, 2], value: 0 }] }],
    ['a colour that is not #rrggbb', { id: '0', controls: [{ name: 'a', type: 'color', value: 'red' }] }],
    ['an input box of a number', { id: '0', controls: [{ name: 'a', type: 'input_box', value: 3 }] }],
    ['a grid whose value has another shape', { id: '0', controls: [{ name: 'a', type: 'input_grid', rows: 2, cols: 2, value: [['1', '2'], ['3']] }] }],
    ['a grid of numbers', { id: '0', controls: [{ name: 'a', type: 'input_grid', rows: 1, cols: 2, value: [[1, 2]] }] }],
    ['a grid of no rows', { id: '0', controls: [{ name: 'a', type: 'input_grid', rows: 0, cols: 2, value: [] }] }],
    ['a grid of more than 1000 boxes', { id: '0', controls: [{ name: 'a', type: 'input_grid', rows: 1, cols: 1001, value: [Array(1001).fill('')] }] }],
  ];
  for (const [name, raw] of bad) it(`refuses ${name} (the text/plain is shown instead)`, () => expect(parseInteract(raw)).toBeNull());
});

describe('a layout', () => {
  const controls = [{ name: 'a', type: 'checkbox', value: true }, { name: 'b', type: 'checkbox', value: true }, { name: 'c', type: 'checkbox', value: true }];
  it('is taken with every control placed once; those it leaves out go at the top', () => {
    expect(spec({ id: '0', controls, layout: { bottom: [['a', 'b']] } }).layout).toEqual({ bottom: [['a', 'b']], top: [['c']] });
    expect(spec({ id: '0', controls }).layout).toBeUndefined();
  });
  for (const [name, layout] of [
    ['an unknown place', { middle: [['a']] }],
    ['an unknown name', { top: [['a', 'zz']] }],
    ['a name placed twice', { top: [['a']], left: [['a']] }],
    ['rows that are not lists', { top: ['a'] }],
    ['a list rather than places', [['a']]],
  ] as const) it(`refuses ${name}`, () => expect(parseInteract({ id: '0', controls, layout })).toBeNull());
  it('is part of what makes the controls the same', () => {
    expect(sameControls(spec({ id: '0', controls, layout: { top: [['a', 'b']] } }), spec({ id: '0', controls, layout: { top: [['a'], ['b']] } }))).toBe(false);
  });
});

describe('sameControls', () => {
  const a = spec(BUNDLE);
  it('holds for a re-run of the same interact with other values', () => {
    const moved = spec({ ...BUNDLE, controls: BUNDLE.controls.map((c) => (c.name === 'n' ? { ...c, value: 9 } : c)) });
    expect(sameControls(a, moved)).toBe(true);
  });
  it('fails for another id, another Update button, other names, types, choices or button rows', () => {
    expect(sameControls(a, spec({ ...BUNDLE, id: '1' }))).toBe(false);
    expect(sameControls(a, spec({ ...BUNDLE, auto_update: false }))).toBe(false);
    expect(sameControls(a, spec({ ...BUNDLE, controls: BUNDLE.controls.slice(1) }))).toBe(false);
    const change = (name: string, patch: object) => spec({ ...BUNDLE, controls: BUNDLE.controls.map((c) => (c.name === name ? { ...c, ...patch } : c)) });
    expect(sameControls(a, change('n', { name: 'm' }))).toBe(false);
    expect(sameControls(a, change('b', { type: 'input_box', value: 'x' }))).toBe(false);
    expect(sameControls(a, change('c', { labels: ['red', 'blue'] }))).toBe(false);
    expect(sameControls(a, change('c', { buttons: false }))).toBe(false);
    expect(sameControls(a, change('k', { labels: ['a', 'b'] }))).toBe(false);
    expect(sameControls(a, change('g', { rows: 1, value: [['1', '2', '3']] }))).toBe(false);
    expect(sameControls(a, change('g', { value: [['4', '5', '6'], ['', '', '']] }))).toBe(true);
  });
});

describe('formatSliderValue', () => {
  it('shows as many decimals as the step and the minimum have', () => {
    expect(formatSliderValue(0.1 + 0.2, 0.1, 0)).toBe('0.3');
    expect(formatSliderValue(5, 1, 0)).toBe('5');
    expect(formatSliderValue(1.5, 0.25, 0)).toBe('1.50');
    expect(formatSliderValue(0.15, 0.1, 0.05)).toBe('0.15');
    expect(formatSliderValue(3e-7, 1e-7, 0)).toBe('0.0000003');
    expect(formatSliderValue(-2, 2, -10)).toBe('-2');
  });
});
