// The editor's highlighting by `codemirror_mode` (embed/editor.ts), which the cell page and the
// embed share: every language of the default registry gets a real parser that tells a comment,
// a string and a keyword of its own syntax apart; an unknown mode gets plain text.
import { indentMore, insertNewlineAndIndent, toggleComment } from '@codemirror/commands';
import { ensureSyntaxTree, getIndentUnit, indentOnInput } from '@codemirror/language';
import { EditorSelection, EditorState, type Transaction } from '@codemirror/state';
import { classHighlighter, highlightTree } from '@lezer/highlight';
import { describe, expect, it } from 'vitest';
import { modeExtension } from '../../embed/editor';
import { DEFAULTS } from '../../store/config';

/** The highlighted pieces of `doc` in a mode: [text, classes]. */
function tokens(mode: string, doc: string): [string, string][] {
  const state = EditorState.create({ doc, extensions: [modeExtension(mode)] });
  const tree = ensureSyntaxTree(state, doc.length, 5000);
  if (!tree) throw new Error(`no syntax tree for ${mode}`);
  const out: [string, string][] = [];
  highlightTree(tree, classHighlighter, (from, to, classes) => out.push([doc.slice(from, to), classes]));
  return out;
}

/**
 * For each default language: a comment, a string and a keyword in its own syntax (HTML has no
 * keywords: its tag names, `keywordClass`, stand out instead).
 */
const SAMPLES: Record<string, { doc: string; comment: string; string: string; keyword: string; keywordClass?: RegExp }> = {
  python: { doc: 'def f():  # note\n    return "s"', comment: '# note', string: '"s"', keyword: 'def' },
  sage: { doc: 'def f():  # note\n    return "s"', comment: '# note', string: '"s"', keyword: 'def' },
  javascript: { doc: 'function f() { return "s"; } // note', comment: '// note', string: '"s"', keyword: 'function' },
  bash: { doc: 'if true; then echo "s"; fi # note', comment: '# note', string: '"s"', keyword: 'if' },
  r: { doc: 'f <- function(x) "s" # note', comment: '# note', string: '"s"', keyword: 'function' },
  octave: { doc: 'for i = 1:3\n  r = "s"; % note\nend', comment: '% note', string: '"s"', keyword: 'for' },
  c: { doc: 'int main(void) { return "s"[0]; } /* note */', comment: '/* note */', string: '"s"', keyword: 'return' },
  fortran: { doc: 'program p\n  print *, "s" ! note\nend program p', comment: '! note', string: '"s"', keyword: 'program' },
  html: { doc: '<p class="s">x</p> <!-- note -->', comment: '<!-- note -->', string: '"s"', keyword: 'p', keywordClass: /tok-typeName/ },
  maxima: { doc: 'f(x) := block([s: "s"], s)$ /* note */', comment: '/* note */', string: '"s"', keyword: 'block' },
  gap: { doc: 'f := function(n) return "s"; end; # note', comment: '# note', string: '"s"', keyword: 'function' },
  singular: { doc: 'ring r = 0, (x), dp; string s = "s"; // note', comment: '// note', string: '"s"', keyword: 'ring' },
  gp: { doc: 'f(n) = my(s = "s"); s \\\\ note', comment: '\\\\ note', string: '"s"', keyword: 'my' },
};

describe('highlighting by codemirror_mode', () => {
  for (const lang of DEFAULTS.languages) {
    it(`${lang.name} (${lang.codemirror_mode}) tells comments, strings and keywords apart`, () => {
      const sample = SAMPLES[lang.name];
      expect(sample, `a sample for ${lang.name}`).toBeDefined();
      const found = tokens(lang.codemirror_mode, sample.doc);
      const classOf = (text: string) => found.filter(([t]) => t === text).map(([, c]) => c).join(' ');
      expect(classOf(sample.comment)).toMatch(/tok-comment/);
      expect(classOf(sample.string)).toMatch(/tok-string/);
      expect(classOf(sample.keyword)).toMatch(sample.keywordClass ?? /tok-keyword/);
    });
  }

  it('accepts a MIME-style mode and gives an unknown one plain text', () => {
    expect(tokens('text/x-fortran', '! note').map(([, c]) => c)).toEqual(['tok-comment']);
    expect(ensureSyntaxTree(EditorState.create({ doc: '# note', extensions: [modeExtension('brainfuck')] }), 6, 5000)).toBeNull();
  });
});

/** `doc` in a mode with the cursor at its end, after `command` ran on it. */
function after(mode: string, doc: string, command: (t: { state: EditorState; dispatch: (tr: Transaction) => void }) => boolean): string {
  let state = EditorState.create({ doc, selection: EditorSelection.cursor(doc.length), extensions: [modeExtension(mode)] });
  command({ state, dispatch: (tr) => (state = tr.state) });
  return state.doc.toString();
}

/** `doc` in a mode with the cursor at its end, after `text` was typed there a character at a time. */
function typed(mode: string, doc: string, text: string): string {
  let state = EditorState.create({ doc, selection: EditorSelection.cursor(doc.length), extensions: [modeExtension(mode), indentOnInput()] });
  for (const ch of text) state = state.update({ changes: { from: state.doc.length, insert: ch }, selection: EditorSelection.cursor(state.doc.length + 1), userEvent: 'input.type' }).state;
  return state.doc.toString();
}

describe('editing by codemirror_mode', () => {
  it('indents a Python block by 4 spaces, as PEP 8 and Jupyter do, and JavaScript and R by 2', () => {
    // Before: 2 for every language, CodeMirror's default, under 4-space Python a reader pasted.
    expect(after('python', 'def f():', insertNewlineAndIndent)).toBe('def f():\n    ');
    expect(after('python', 'for i in range(3):\n    if i:', insertNewlineAndIndent)).toBe('for i in range(3):\n    if i:\n        ');
    expect(after('javascript', 'function f() {', insertNewlineAndIndent)).toBe('function f() {\n  ');
    const unit = (mode: string) => getIndentUnit(EditorState.create({ extensions: [modeExtension(mode)] }));
    expect(unit('r')).toBe(2);
    expect(unit('text/x-octave')).toBe(4);
    expect(unit('brainfuck')).toBe(4);
  });

  it('takes the line after return, pass, break, continue or raise out of its Python block', () => {
    // Before, the new line stayed in the block.
    expect(after('python', 'def f():\n    return 1', insertNewlineAndIndent)).toBe('def f():\n    return 1\n');
    expect(after('python', 'for i in x:\n    if i:\n        pass', insertNewlineAndIndent)).toBe('for i in x:\n    if i:\n        pass\n    ');
    expect(after('python', 'while 1:\n    break  # out (', insertNewlineAndIndent)).toBe('while 1:\n    break  # out (\n');
    expect(after('python', 'def g():\n\traise ValueError("(")', insertNewlineAndIndent)).toBe('def g():\n\traise ValueError("(")\n');
    // Still open: the brackets decide. A name that only starts so is no return.
    expect(after('python', 'def f():\n    return max(1,', insertNewlineAndIndent)).toBe('def f():\n    return max(1,\n               ');
    expect(after('python', 'def f():\n    returned = 1', insertNewlineAndIndent)).toBe('def f():\n    returned = 1\n    ');
  });

  it('indents with tabs where the code does, so that Python does not meet tabs and spaces mixed', () => {
    // Before, the new line came with spaces under the tabs: Python's TabError, or IndentationError.
    expect(after('python', 'def g():\n\tif 1:\n\t\ty = 2', insertNewlineAndIndent)).toBe('def g():\n\tif 1:\n\t\ty = 2\n\t\t');
    expect(after('python', 'def g():\n\treturn 1\nx = 1', indentMore)).toBe('def g():\n\treturn 1\n\tx = 1');
    expect(after('c', 'int f(void) {\n\treturn 0;\n}\nint g(void) {', insertNewlineAndIndent)).toMatch(/\{\n\t$/);
    // Spaces otherwise, a blank line's tab included.
    expect(after('python', '\t\nfor i in x:\n    if i:', insertNewlineAndIndent)).toMatch(/\n {8}$/);
  });

  it('takes a closing bracket typed at a line\'s start back to its opening line\'s indent', () => {
    // As Enter and then `}` in the editor: indentOnInput reindents after the typing.
    for (const mode of ['r', 'javascript']) {
      // Before, R's `}` stayed 2 in, under the body.
      expect(typed(mode, 'f <- function(x) {\n  x\n  ', '}'), mode).toBe('f <- function(x) {\n  x\n}');
    }
  });

  it('indents a block in Singular, PARI/GP, Maxima and GAP, and takes its closing line back out', () => {
    // Before, these modes had no indentation: Enter only copied the line's own.
    expect(after('singular', 'proc f(int n) {', insertNewlineAndIndent)).toBe('proc f(int n) {\n    ');
    expect(after('singular', 'proc f(int n) {\n    if (n > 0) { return(1); }\n    // a { in a comment\n    string s = "{";', insertNewlineAndIndent)).toMatch(/";\n {4}$/);
    expect(after('gp', 'f(n) = {\n    my(s = 0);', insertNewlineAndIndent)).toMatch(/;\n {4}$/);
    expect(after('maxima', 'f(x) := block([s: 0],', insertNewlineAndIndent)).toMatch(/,\n {4}$/);
    expect(after('gap', 'f := function(n)\n    if n > 0 then', insertNewlineAndIndent)).toMatch(/then\n {8}$/);
    expect(after('gap', 'for i in [1..3] do\n    Print(i);\nod;', insertNewlineAndIndent)).toMatch(/od;\n$/);
    expect(typed('singular', 'proc f() {\n    int x;\n    ', '}')).toBe('proc f() {\n    int x;\n}');
    expect(typed('gap', 'if x then\n    y := 1;\n    ', 'else ')).toBe('if x then\n    y := 1;\nelse ');
    expect(typed('gap', 'if x then\n    y := 1;\n    ', 'fi;')).toBe('if x then\n    y := 1;\nfi;');
    // A name that starts as a closing word does not move its line.
    expect(typed('gap', 'if x then\n    ', 'endpoint := 1;')).toBe('if x then\n    endpoint := 1;');
  });

  it('indents a block in Octave and Bash, and takes its closing line back out', () => {
    // Before, these legacy modes had no indentation: Enter only copied the line's own.
    expect(after('octave', 'for i = 1:3', insertNewlineAndIndent)).toBe('for i = 1:3\n    ');
    expect(after('octave', 'function y = f(x)\n    if x > 0', insertNewlineAndIndent)).toMatch(/0\n {8}$/);
    expect(after('octave', 'if x, y = 1; end', insertNewlineAndIndent)).toBe('if x, y = 1; end\n');
    expect(after('octave', 'if a == x(end)', insertNewlineAndIndent)).toBe('if a == x(end)\n    ');
    expect(after('octave', 'for i = 1:3\n    disp(i)\n', insertNewlineAndIndent)).toMatch(/\)\n\n {4}$/);
    expect(after('shell', 'for f in *.txt; do', insertNewlineAndIndent)).toBe('for f in *.txt; do\n    ');
    expect(after('shell', 'if true; then\n    echo yes', insertNewlineAndIndent)).toMatch(/yes\n {4}$/);
    expect(after('shell', 'echo done', insertNewlineAndIndent)).toBe('echo done\n');
    expect(typed('octave', 'for i = 1:3\n    disp(i)\n    ', 'end')).toBe('for i = 1:3\n    disp(i)\nend');
    expect(typed('octave', 'if x\n    y = 1;\n    ', 'else')).toBe('if x\n    y = 1;\nelse');
    // A name that starts as a closing word goes back in as it is typed on.
    expect(typed('octave', 'for i = 1:3\n    ', 'ending = i;')).toBe('for i = 1:3\n    ending = i;');
    expect(typed('shell', 'if true; then\n    echo yes\n    ', 'fi')).toBe('if true; then\n    echo yes\nfi');
    expect(typed('shell', 'f() {\n    echo yes\n    ', '}')).toBe('f() {\n    echo yes\n}');
  });

  it('indents after an Octave line of any length at once: a shared link\'s code cannot hang the page', () => {
    // 'if end', 60,000 spaces and a letter: the block-opening pattern tried each split of the
    // spaces between its two \\s* around an optional ';', some 1,800 million steps (seconds of
    // a frozen tab at each Enter below such a line, which a snippet or a ?z= link can hold).
    // Not a measure of speed: the bound is some thousand times what the linear pattern takes,
    // and some sixtieth of what the quadratic one took (6–9 s for 60,000 spaces, 27 s for 100,000).
    const line = `if end${' '.repeat(100_000)}x`;
    const started = Date.now();
    expect(after('octave', line, insertNewlineAndIndent)).toBe(`${line}\n    `);
    expect(Date.now() - started).toBeLessThan(1600);
  });

  it('comments a line out with each language\'s own comment (Ctrl+/)', () => {
    const want: Record<string, string> = {
      python: '# x', javascript: '// x', shell: '# x', r: '# x', octave: '% x', c: '// x', fortran: '! x',
      gp: '\\\\ x', gap: '# x', singular: '// x', maxima: '/* x */', html: '<!-- x -->',
    };
    const modes = new Set(DEFAULTS.languages.map((l) => l.codemirror_mode));
    for (const mode of modes) {
      expect(want[mode], `a comment for ${mode}`).toBeDefined();
      // Before, Fortran's legacy mode named no comment: Ctrl+/ left the line as it was.
      expect(after(mode, 'x', toggleComment), mode).toBe(want[mode]);
    }
  });
});
