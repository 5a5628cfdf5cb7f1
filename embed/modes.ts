// Editor modes for the languages CodeMirror's legacy modes lack (PARI/GP, GAP, Singular,
// Maxima): small stream parsers that tell comments, strings, numbers and keywords apart, which
// is what a reader needs of highlighting in a cell, and indent a block's lines one unit in
// (brackets, and GAP's keyword blocks). Pure, so each is tested without a page.
import type { StreamParser } from '@codemirror/language';

interface Syntax {
  name: string;
  /** What starts a comment to the end of the line. */
  lineComment?: string;
  /** What opens and closes a comment over lines. */
  blockComment?: [string, string];
  keywords: string[];
  /** The names the system defines that read as built in (types, constants). */
  builtins?: string[];
  /** What a name is, when more than letters, digits and `_` (Maxima's `%pi`). */
  word?: RegExp;
  /**
   * Keywords that open a block (GAP's `then`, `do`), close one (`fi`, `od`), close one whose
   * next part opens after them (`elif ... then`), or sit between two parts (`else`).
   */
  opens?: string[];
  closes?: string[];
  reopens?: string[];
  middles?: string[];
}

interface State {
  inBlock: boolean;
  /** Blocks open at this point: brackets, and keyword blocks. */
  depth: number;
}

const OPENING = '([{';
const CLOSING = ')]}';

function streamMode(syntax: Syntax): StreamParser<State> {
  const keywords = new Set(syntax.keywords);
  const builtins = new Set(syntax.builtins ?? []);
  const [open, close] = syntax.blockComment ?? ['', ''];
  const token: StreamParser<State>['token'] = (stream, state) => {
    if (state.inBlock) {
      while (!stream.eol()) {
        if (stream.match(close)) {
          state.inBlock = false;
          break;
        }
        stream.next();
      }
      return 'comment';
    }
    if (stream.eatSpace()) return null;
    if (syntax.lineComment && stream.match(syntax.lineComment)) {
      stream.skipToEnd();
      return 'comment';
    }
    if (open && stream.match(open)) {
      state.inBlock = true;
      return token(stream, state);
    }
    if (stream.peek() === '"') {
      stream.next();
      let escaped = false;
      let ch: string | void;
      while ((ch = stream.next()) !== undefined) {
        if (ch === '"' && !escaped) break;
        escaped = !escaped && ch === '\\';
      }
      return 'string';
    }
    if (stream.match(/^\d+(\.\d*)?([eE][-+]?\d+)?/)) return 'number';
    if (stream.match(syntax.word ?? /^[A-Za-z_][A-Za-z0-9_]*/)) {
      const word = stream.current();
      if (opens.has(word)) state.depth++;
      else if (closes.has(word) || reopens.has(word)) state.depth = Math.max(0, state.depth - 1);
      if (keywords.has(word)) return 'keyword';
      if (builtins.has(word)) return 'builtin';
      return 'variableName';
    }
    const ch = stream.next()!;
    if (OPENING.includes(ch)) state.depth++;
    else if (CLOSING.includes(ch)) state.depth = Math.max(0, state.depth - 1);
    return null;
  };
  const opens = new Set(syntax.opens ?? []);
  const closes = new Set(syntax.closes ?? []);
  // `elif` closes the `then` before it; the `then` after it opens the next part.
  const reopens = new Set(syntax.reopens ?? []);
  const outdented = [...(syntax.closes ?? []), ...(syntax.reopens ?? []), ...(syntax.middles ?? [])];
  /** A line that starts by closing a block sits at the block's opening line's indent. */
  const closer = new RegExp(`^\\s*([)\\]}]${outdented.length ? `|(${outdented.join('|')})\\b` : ''})`);
  // Reindented as the closing bracket or word is typed: a word once the character after it
  // shows it is not the start of a longer name (`fi;`, `else `; `endpoint` stays).
  const typedCloser = new RegExp(`^\\s*([)\\]}]${outdented.length ? `|(${outdented.join('|')})[\\s;),]` : ''})$`);
  return {
    name: syntax.name,
    startState: () => ({ inBlock: false, depth: 0 }),
    copyState: (s) => ({ ...s }),
    token,
    // A comment over lines keeps the indent its lines have; CodeMirror's fallback copies it.
    indent: (state, textAfter, cx) => (state.inBlock ? null : Math.max(0, state.depth - (closer.test(textAfter) ? 1 : 0)) * cx.unit),
    languageData: {
      commentTokens: {
        ...(syntax.lineComment ? { line: syntax.lineComment } : {}),
        ...(syntax.blockComment ? { block: { open, close } } : {}),
      },
      indentOnInput: typedCloser,
    },
  };
}

/** GAP: `#` comments; its control words and constants read as keywords. */
export const gap = streamMode({
  name: 'gap',
  lineComment: '#',
  keywords: [
    'function', 'local', 'end', 'return', 'if', 'then', 'elif', 'else', 'fi', 'for', 'in', 'do', 'od', 'while', 'repeat',
    'until', 'break', 'continue', 'and', 'or', 'not', 'mod', 'rec', 'atomic', 'readonly', 'readwrite', 'quit', 'QUIT',
  ],
  builtins: ['true', 'false', 'fail', 'infinity'],
  opens: ['function', 'then', 'do', 'repeat'],
  closes: ['end', 'fi', 'od', 'until'],
  reopens: ['elif'],
  middles: ['else'],
});

/** Maxima: comments between slash-star and star-slash; its control words read as keywords. */
export const maxima = streamMode({
  name: 'maxima',
  blockComment: ['/*', '*/'],
  keywords: ['if', 'then', 'elseif', 'else', 'for', 'thru', 'step', 'next', 'from', 'while', 'unless', 'do', 'in', 'return', 'go', 'block', 'lambda', 'and', 'or', 'not'],
  builtins: ['true', 'false', '%pi', '%e', '%i', 'inf', 'minf'],
  word: /^[A-Za-z_%][A-Za-z0-9_%]*/,
});

/** Singular: C's comments; its control words and its types (ring, poly, ideal …) read as keywords. */
export const singular = streamMode({
  name: 'singular',
  lineComment: '//',
  blockComment: ['/*', '*/'],
  keywords: [
    'if', 'else', 'for', 'while', 'break', 'continue', 'return', 'proc', 'export', 'keepring', 'quit', 'exit', 'LIB',
    'int', 'bigint', 'number', 'poly', 'ideal', 'module', 'vector', 'matrix', 'intvec', 'intmat', 'bigintmat', 'string',
    'list', 'ring', 'qring', 'map', 'link', 'resolution', 'def', 'package',
  ],
});

/** PARI/GP: comments from `\\` to the line's end and between slash-star and star-slash; its control functions read as keywords. */
export const gp = streamMode({
  name: 'gp',
  lineComment: '\\\\',
  blockComment: ['/*', '*/'],
  keywords: ['if', 'for', 'forprime', 'fordiv', 'forstep', 'forvec', 'forsubgroup', 'while', 'until', 'break', 'next', 'return', 'my', 'local', 'global', 'iferr', 'parfor'],
  builtins: ['Pi', 'I', 'Euler', 'oo'],
});
