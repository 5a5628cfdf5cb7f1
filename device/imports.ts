// Which modules a Python cell imports, read from its text before it runs: a cell that imports
// only the standard library can be forked from the light zygote (nothing preloaded), any other
// from the one that holds numpy, matplotlib, sympy and pandas. Only speed depends on the
// answer: either zygote runs any cell correctly, one that imports more than the text showed
// pays for it.

/** Words that import in ways the text does not show: such a cell goes to the full zygote. */
const DYNAMIC = /\b(?:__import__|importlib|import_module|exec|eval|compile|runpy|pkgutil|builtins|__builtins__|pickle|get_ipython)\b/;

/** `import a.b as c, d`: the list after the keyword. */
const IMPORT = /\bimport[ \t]+([\w.]+(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[\w.]+(?:[ \t]+as[ \t]+\w+)?)*)/g;
/** `from a.b import c`, or a relative `from . import c` (a module of the cell's own). */
const FROM = /\bfrom[ \t]+(\.*)([\w.]*)[ \t]+import\b/g;

/**
 * The top-level names of the modules `code` imports (`os` for `import os.path`, `.` for a
 * relative import), or null when it may import in a way its text does not show. Any mention
 * counts, in a string or a comment too: wrongly counting one only costs speed.
 */
export function importedModules(code: string): string[] | null {
  if (DYNAMIC.test(code)) return null;
  const names = new Set<string>();
  for (const m of code.matchAll(FROM)) names.add(m[1] ? '.' : m[2].split('.')[0]);
  // What is left of `from a import b, c` after the above is `b, c`: not modules.
  const rest = code.replace(FROM, ' ');
  const plain = [...rest.matchAll(IMPORT)];
  for (const m of plain) {
    for (const part of m[1].split(',')) names.add(part.trim().split(/[\s.]/)[0]);
  }
  // An `import` in no form above (after a line continuation, say): cannot tell.
  if ((rest.match(/\bimport\b/g)?.length ?? 0) > plain.length) return null;
  return [...names];
}

/** True if every module the code imports is one of `stdlib`. */
export function importsOnly(code: string, stdlib: ReadonlySet<string>): boolean {
  const modules = importedModules(code);
  return modules !== null && modules.every((m) => stdlib.has(m));
}
