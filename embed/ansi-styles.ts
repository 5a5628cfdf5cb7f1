// The colours of ANSI escape codes in stream output (ansi_up's classes: ansi-red-fg,
// ansi-bright-blue-fg, ansi-red-bg, ...). A terminal's own palette is drawn for one background:
// ansi_up's inline colours put blue text at 1.6:1 on the dark theme and yellow at 2:1 on the
// light one. Here each theme has its own foreground palette, every colour at least 4.5:1 (WCAG
// AA) against the page, the output and the stderr and error boxes of that theme; test/e2e/page.test.ts
// measures it. Where the program chose a background too, it gets the terminal's colours as the
// program meant them, and text with no colour of its own on it is black or white, whichever
// reads.

import { isDark } from './luminance';

const NAMES = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'] as const;

/** Foregrounds per theme: the eight colours, then their bright forms. */
const LIGHT = ['#1d1d1f', '#b3261e', '#1a7f37', '#7d5e00', '#1f55d6', '#a0309a', '#0b6e7d', '#5c5f66', '#56595f', '#c9302c', '#1c7c33', '#876a00', '#0b5fd0', '#b0299f', '#08747f', '#63666d'];
const DARK = ['#a4a4ac', '#ff7b72', '#56d364', '#e3b341', '#79b8ff', '#d2a8ff', '#56d4dd', '#e6e6ea', '#bcbcc4', '#ffa198', '#7ee787', '#f2cc60', '#a5d6ff', '#e2c5ff', '#a0eef3', '#ffffff'];

/** The terminal's own colours (ansi_up's, as xterm's), for text on a chosen background. */
const TERMINAL = ['#000000', '#bb0000', '#00bb00', '#bbbb00', '#0000bb', '#bb00bb', '#00bbbb', '#ffffff', '#555555', '#ff5555', '#00ff00', '#ffff55', '#5555ff', '#ff55ff', '#55ffff', '#ffffff'];

const CLASSES = [...NAMES.map((n) => `ansi-${n}`), ...NAMES.map((n) => `ansi-bright-${n}`)];

/** Whether white text reads better than black on a colour given as #rrggbb. */
function darkHex(hex: string): boolean {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  return isDark(r!, g!, b!);
}

const variables = (palette: string[]) => CLASSES.map((c, i) => `--cb-${c}: ${palette[i]};`).join(' ');

/**
 * CSS for the output area: `light` and `dark` wrap a block of variables in the theme's
 * selectors; `print`, when given, wraps the light palette for paper.
 */
export function ansiCss(themes: { light: (vars: string) => string; dark: (vars: string) => string; print?: (vars: string) => string }): string {
  const rules = CLASSES.map((c, i) => {
    const bg = TERMINAL[i]!;
    const text = darkHex(bg) ? '#ffffff' : '#000000';
    return [
      `.cb-output .${c}-fg { color: var(--cb-${c}); }`,
      `.cb-output .${c}-bg { background-color: ${bg}; color: ${text}; }`,
      `.cb-output [class*="-bg"].${c}-fg { color: ${TERMINAL[i]}; }`,
    ].join('\n');
  });
  return [themes.light(variables(LIGHT)), themes.dark(variables(DARK)), themes.print?.(variables(LIGHT)) ?? '', ...rules].join('\n');
}
