// Linked cells (SageMathCell's `linked: true`, in Cellbox's way): the cells of a page that share
// their definitions. Each cell still runs in a fresh process of its own; a request's `linked`
// holds the code of the linked cells before it on the page, in page order, which the worker
// runs first in the cell's namespace with their output hidden (docs/api.md, "Linked cells").
// Checked here, in the browser and on the server alike; the sizes apart (413).
import { codeTextProblem } from './code-text';

/**
 * The languages whose worker runs a cell's linked code before its own (workers/python/kernel.py,
 * Python and its Sage dialect). In other languages a cell runs alone: the server refuses
 * `linked` there (400) rather than run the cell without the definitions it was sent with, and
 * the embed does not link such cells.
 */
export const LINKED_LANGUAGES: readonly string[] = ['python', 'sage'];

/** Whether cells of `language` can be linked. */
export function linkable(language: string): boolean {
  return LINKED_LANGUAGES.includes(language);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return typeof v === 'object' ? 'an object' : typeof v;
}

/**
 * What is wrong with a request's `linked` (a phrase naming `linked` and the place), or null
 * when it is a list of code: one string per linked cell before this one, in page order.
 */
export function linkedProblem(v: unknown): string | null {
  if (!Array.isArray(v)) return `linked must be a list of the code of the linked cells before this one, one string each in page order, not ${describe(v)}`;
  for (let i = 0; i < v.length; i++) {
    const code: unknown = v[i];
    if (typeof code !== 'string') return `linked[${i}] must be the code of a cell, as a string, not ${describe(code)}`;
    const problem = codeTextProblem(`linked[${i}]`, code);
    if (problem) return problem;
  }
  return null;
}

/**
 * A linked cell's code as one program that runs alone: the code of the linked cells above it
 * (`above`, in page order), then its own, each under a comment naming it as a run's errors
 * do ("linked cell 2 of 3 above this one"). What its Share links hold: its own code alone
 * ran into a NameError where the page's run found what the cells above define. Python and
 * Sage, the linked languages, both comment with `#`.
 */
export function linkedProgram(above: readonly string[], own: string): string {
  if (above.length === 0) return own;
  const part = (title: string, code: string) => `# ${title}\n${code.replace(/\n+$/, '')}`;
  return [
    ...above.map((code, i) => part(`Linked cell ${i + 1} of ${above.length} above this one`, code)),
    part('This cell', own),
  ].join('\n\n') + '\n';
}
