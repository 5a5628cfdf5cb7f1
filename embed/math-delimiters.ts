// Math in a cell's text, as SageMathCell and Jupyter mark it: `$…$`, `$$…$$`, `\(…\)`, `\[…\]`.
// Shared by the output (embed/render.ts) and an interact's labels (embed/interact.ts).

/** A span of math marked with dollars, or `\[…\]`: not `$5 and $6` (a dollar then a space). */
export const MATH_SPAN = /\$\$[\s\S]+?\$\$|\\\[[\s\S]+?\\\]|\$(?!\s)[^$\n]+?(?<!\s)\$/g;

/**
 * `$…$` and `$$…$$` as `\(…\)` and `\[…\]`: the delimiters every MathJax 3 and 4 knows by
 * default, so that a page's own MathJax, configured without dollars, still typesets cells.
 */
export function standardDelimiters(text: string): string {
  return text.replace(MATH_SPAN, (m) => {
    if (m.startsWith('$$')) return `\\[${m.slice(2, -2)}\\]`;
    if (m.startsWith('$')) return `\\(${m.slice(1, -1)}\\)`;
    return m;
  });
}

/** Whether text holds math in any of the four marks. */
export function hasMath(text: string): boolean {
  return new RegExp(MATH_SPAN.source).test(text) || /\\\([\s\S]+?\\\)/.test(text);
}
