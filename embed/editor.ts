// The code editor of a cell: CodeMirror 6 with highlighting per language, line numbers,
// bracket matching and undo; Shift+Enter and Ctrl/Cmd+Enter run; after Esc, Tab leaves.
import { acceptCompletion, closeCompletion, completionStatus, selectedCompletion } from '@codemirror/autocomplete';
import { indentWithTab, insertNewlineAndIndent } from '@codemirror/commands';
import { StreamLanguage, indentService, indentUnit, syntaxHighlighting, syntaxTree, type StreamParser } from '@codemirror/language';
import { Compartment, EditorState, Prec, type Extension, type Text } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { classHighlighter } from '@lezer/highlight';
import { python } from '@codemirror/lang-python';
import { javascript } from '@codemirror/lang-javascript';
import { shell } from '@codemirror/legacy-modes/mode/shell';
import { r } from '@codemirror/legacy-modes/mode/r';
import { octave } from '@codemirror/legacy-modes/mode/octave';
import { c } from '@codemirror/legacy-modes/mode/clike';
import { fortran } from '@codemirror/legacy-modes/mode/fortran';
import { html } from '@codemirror/legacy-modes/mode/xml';
import { gap, gp, maxima, singular } from './modes';

const OPENING = new Set(['(', '[', '{']);
const CLOSING = new Set([')', ']', '}']);

/**
 * Enter at the end of a Python line that ends its block (return, pass, break, continue, raise):
 * the new line is one indent out, as SageMathCell's and Jupyter's classic editors and VS Code
 * do. CodeMirror's Python kept it in the block, and the next line typed there was unreachable
 * code, or an IndentationError after a dedent by hand that went one space wrong. A line still
 * inside brackets (`return f(a,`) goes on as the brackets say.
 */
const pythonDedent = indentService.of((cx, pos) => {
  if (cx.simulatedBreak !== pos) return undefined;
  const line = cx.state.doc.lineAt(pos);
  if (line.text.slice(pos - line.from).trim()) return undefined;
  const before = line.text.slice(0, pos - line.from);
  const ends = /^(\s*)(return|pass|break|continue|raise)\b/.exec(before);
  if (!ends || before.trimEnd().endsWith('\\')) return undefined;
  let open = 0;
  syntaxTree(cx.state).iterate({
    from: line.from,
    to: pos,
    enter: (n) => {
      if (OPENING.has(n.name)) open++;
      else if (CLOSING.has(n.name)) open--;
    },
  });
  return open > 0 ? undefined : Math.max(0, cx.countColumn(ends[1]) - cx.unit);
});

/**
 * Indentation by line patterns, for the legacy modes that have none (Octave, Bash), as VS
 * Code's indentation rules do: a line goes one unit in from the line above when that one
 * `opens` a block, one out when it `closes` one itself. Enter only copied the line's indent,
 * so the body of a `for` or an `if` started flush with it.
 */
function indentByLines(opens: RegExp, closes: RegExp): Extension {
  return indentService.of((cx, pos) => {
    const line = cx.state.doc.lineAt(pos);
    const broken = cx.simulatedBreak === pos;
    const before = broken ? line.text.slice(0, pos - line.from) : '';
    let above = before.trim() ? before : null;
    for (let n = line.number - 1; above === null && n >= 1; n--) {
      const text = cx.state.doc.line(n).text;
      if (text.trim()) above = text;
    }
    if (above === null) return 0;
    const after = broken ? line.text.slice(pos - line.from) : line.text;
    const indent = cx.countColumn(/^\s*/.exec(above)![0]);
    return Math.max(0, indent + (opens.test(above) ? cx.unit : 0) - (closes.test(after) ? cx.unit : 0));
  });
}

/**
 * Octave's block words; a block closed on its own line (`if x, y = 1; end`) opens none. The
 * blanks around the closing word's `;` are one `\s*` unless the `;` is there: two side by side
 * (`\s*[;,]?\s*`) tried every split of a run of spaces, quadratic in it, and a line of 60,000
 * (a shared link's code) froze the page for seconds at each Enter below it.
 */
const OCTAVE_OPENS = /^\s*(function|if|elseif|else|for|parfor|while|switch|case|otherwise|do|try|catch|unwind_protect|unwind_protect_cleanup)\b(?!.*\b(end\w*|until\b.*)\s*(?:[;,]\s*)?([%#].*)?$)/;
const OCTAVE_CLOSES = /^\s*(end|endfunction|endif|endfor|endparfor|endwhile|endswitch|end_try_catch|end_unwind_protect|else|elseif|case|otherwise|catch|until|unwind_protect_cleanup)\b/;
/** Bash's: a line ending in then, do, else or {, or a case's in. */
const SHELL_OPENS = /((^|[\s;])(then|do|else)|\{|^\s*case\b.*\bin)\s*(#.*)?$/;
const SHELL_CLOSES = /^\s*((fi|done|else|elif|esac)\b|\})/;

/** Highlighting by the `codemirror_mode` a language reports; unknown modes get plain text. */
/** A legacy mode with more of what CodeMirror asks of a language (comments, reindenting) than it gives. */
function withLanguageData(parser: unknown, more: Record<string, unknown>): StreamLanguage<unknown> {
  const own = parser as StreamParser<unknown>;
  return StreamLanguage.define({ ...own, languageData: { ...own.languageData, ...more } });
}

const MODES: Record<string, () => Extension> = {
  python: () => [python(), pythonDedent],
  javascript: () => javascript(),
  // Reindented as a closing word is typed, and again at each letter while the line is one word:
  // `end` goes out, `ending` (a name) back in.
  shell: () => [
    withLanguageData(shell, { indentOnInput: /^\s*(fi\w*|done\w*|el\w*|esac\w*|\})$/ }),
    indentByLines(SHELL_OPENS, SHELL_CLOSES),
  ],
  // A closing bracket typed at a line's start goes back to its opening line's indent, as in C and
  // JavaScript: the legacy mode does not ask for it, and a `}` stayed in under the block's body.
  r: () => withLanguageData(r, { indentOnInput: /^\s*[}\])]$/ }),
  octave: () => [
    withLanguageData(octave, { indentOnInput: /^\s*(end\w*|el\w*|case\w*|otherwise|catch\w*|until\w*|unwind_protect_cleanup)$/ }),
    indentByLines(OCTAVE_OPENS, OCTAVE_CLOSES),
  ],
  c: () => StreamLanguage.define(c as StreamParser<unknown>),
  // The legacy mode names no comment syntax, and Ctrl+/ did nothing in a Fortran cell.
  fortran: () => withLanguageData(fortran, { commentTokens: { line: '!' } }),
  gp: () => StreamLanguage.define(gp as StreamParser<unknown>),
  singular: () => StreamLanguage.define(singular as StreamParser<unknown>),
  gap: () => StreamLanguage.define(gap as StreamParser<unknown>),
  maxima: () => StreamLanguage.define(maxima as StreamParser<unknown>),
  html: () => StreamLanguage.define(html as StreamParser<unknown>),
};

/**
 * Spaces per indent (Enter after a block's opening line, Tab, Backspace in leading spaces), by
 * mode: 4, as Jupyter and SageMathCell indent and PEP 8 asks of Python, but where a language's
 * own style says 2. CodeMirror's default of 2 put Python's blocks 2 deep under 4-space code a
 * reader pasted or had been given.
 */
const INDENT_UNITS: Record<string, number> = { javascript: 2, r: 2, html: 2 };
const DEFAULT_INDENT_UNIT = 4;

/** Lines looked at for how the code indents: its first indented line decides. */
const INDENT_SNIFF_LINES = 1000;

/** Whether the code's first indented line is indented with a tab. */
function indentsWithTabs(doc: Text): boolean {
  let seen = 0;
  for (const iter = doc.iterLines(); !iter.next().done && seen++ < INDENT_SNIFF_LINES;) {
    const first = iter.value.match(/^[ \t]*(?=\S)/)?.[0][0];
    if (first) return first === '\t';
  }
  return false;
}

export function modeExtension(mode: string): Extension {
  const name = MODES[mode] ? mode : mode.replace(/^text\/x-/, '');
  const make = MODES[name];
  const spaces = ' '.repeat(INDENT_UNITS[name] ?? DEFAULT_INDENT_UNIT);
  // Code indented with tabs (pasted from an editor that keeps them) goes on with tabs: a new
  // line indented with spaces under tab-indented ones was Python's TabError or IndentationError.
  return [make ? make() : [], indentUnit.compute(['doc'], (state) => (indentsWithTabs(state.doc) ? '\t' : spaces))];
}

export interface Editor {
  readonly view: EditorView;
  getCode(): string;
  setCode(code: string): void;
  setMode(mode: string): void;
  focus(): void;
}

/** How long after Esc a Tab leaves the editor: CodeMirror's own two seconds. */
const TAB_LEAVES_MS = 2000;

/**
 * Enter with the completion popup offering just the word already typed (`return total`, the
 * popup showing `total`): the line breaks, as the reader meant. The popup's own Enter took the
 * completion, which changed nothing, and a reader had to press Enter twice at the end of almost
 * every line that ends in a name. A completion that adds to the word is still taken.
 */
function enterPastTypedWord(view: EditorView): boolean {
  const c = selectedCompletion(view.state);
  if (completionStatus(view.state) !== 'active' || !c || (c.apply !== undefined && c.apply !== c.label)) return false;
  const { head, empty } = view.state.selection.main;
  if (!empty || view.state.sliceDoc(head - c.label.length, head) !== c.label) return false;
  closeCompletion(view);
  return insertNewlineAndIndent(view);
}

/** Numbers the editors' key hints, whose ids must be unique in a document. */
let hints = 0;

/**
 * What the keys do in the editor, for a keyboard user: Tab indents (CodeMirror's documented
 * behaviour, kept) and so does not leave, which nothing on screen said. It is the editor's
 * accessible description, and shows small below the code while it has focus (embed/cell-styles.ts).
 */
function keyHint(parent: HTMLElement, readOnly: boolean): HTMLElement {
  const hint = parent.ownerDocument.createElement('div');
  hint.className = 'cb-keys';
  hint.id = `cb-keys-${++hints}`;
  // Read-only, Tab has nothing to indent and moves on at once.
  hint.textContent = readOnly ? 'Shift+Enter runs.' : 'Tab indents. Esc then Tab leaves. Shift+Enter runs.';
  return hint;
}

export function createEditor(parent: HTMLElement, opts: { code: string; mode: string; readOnly?: boolean; onRun: () => void; onChange?: () => void; label?: string }): Editor {
  const language = new Compartment();
  const hint = keyHint(parent, opts.readOnly === true);
  const run = () => {
    opts.onRun();
    return true;
  };
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: opts.code,
      extensions: [
        // Ours first, so Shift+Enter runs rather than inserting a line; the Enter before the
        // completion popup's own, which basicSetup puts at the highest precedence.
        Prec.highest(keymap.of([{ key: 'Enter', run: enterPastTypedWord }])),
        keymap.of([
          { key: 'Shift-Enter', run },
          { key: 'Mod-Enter', run },
          // Tab takes the completion the popup offers, as in VS Code and Jupyter, and indents
          // where there is none: it indented the line under the popup, the word left unfinished.
          { key: 'Tab', run: acceptCompletion },
          indentWithTab,
        ]),
        basicSetup,
        // Tokens as classes (tok-keyword, ...), coloured by embed/cell-styles.ts for light and
        // dark alike: basicSetup's own colours are for a light background only (a keyword on
        // the dark one had a contrast of about 2:1), and a class follows the theme's CSS, the
        // reader's system included, with no script. basicSetup's style gives way to this one.
        syntaxHighlighting(classHighlighter),
        language.of(modeExtension(opts.mode)),
        EditorState.readOnly.of(opts.readOnly === true),
        EditorView.contentAttributes.of({ 'aria-label': opts.label ?? 'Code', 'aria-describedby': hint.id }),
        // Esc then Tab leaves, whatever Esc did first. CodeMirror arms its Tab-leaves mode only
        // when no key binding took the Esc: one that closed the completion popup or cleared a
        // selection did, so the Tab after it indented the line instead, changing the code of a
        // reader who did as the hint says (a completion shows after almost every word typed).
        // An observer sees every key, taken or not.
        EditorView.domEventObservers({
          keydown: (e, v) => {
            if (e.key === 'Escape') v.setTabFocusMode(TAB_LEAVES_MS);
          },
        }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) opts.onChange?.();
        }),
      ],
    }),
  });
  // After the editor: on a row of its own below the code, made at the first focus and kept
  // (embed/cell-styles.ts says why).
  parent.append(hint);
  view.contentDOM.addEventListener('focus', () => parent.classList.add('cb-keys-room'), { once: true });
  // CodeMirror's scroller can take the focus (tabindex -1, for its own clicks), and a modal
  // dialog gives it to the first thing in it that can: the editor's ring showed, yet what the
  // reader typed went nowhere, and their first click selected from elsewhere to it. The focus
  // goes on into the code.
  view.scrollDOM.addEventListener('focus', (e) => {
    if (e.target === view.scrollDOM) view.focus();
  });
  return {
    view,
    getCode: () => view.state.doc.toString(),
    setCode: (code) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code } }),
    setMode: (mode) => view.dispatch({ effects: language.reconfigure(modeExtension(mode)) }),
    focus: () => view.focus(),
  };
}
