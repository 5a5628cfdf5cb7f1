// WCAG 2's relative luminance of a colour, and the one question the cell's styles ask of it:
// does white text read better on it than black? Shared by the ANSI palette (the text colour on
// a background a program chose) and the page-scheme probe (is the page behind a cell dark?).

/** Relative luminance of sRGB channels given from 0 to 1. */
export function relativeLuminance(r: number, g: number, b: number): number {
  const linear = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/**
 * The luminance below which white text has the larger contrast (WCAG's (L1 + 0.05) / (L2 +
 * 0.05)) than black: where (1.05) / (L + 0.05) = (L + 0.05) / 0.05, some 0.179.
 */
const CROSSOVER = Math.sqrt(1.05 * 0.05) - 0.05;

/** Whether a colour (channels from 0 to 1) is dark: white text reads better on it than black. */
export function isDark(r: number, g: number, b: number): boolean {
  return relativeLuminance(r, g, b) < CROSSOVER;
}
