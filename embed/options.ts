// An embedded cell's options, weakest first: built-in defaults < the page's
// <script type="application/json" data-cellbox-config> block < the element's data-* attributes
// < options passed to Cellbox.mount(); and the code, read from the markup.
//
// A value that cannot be used (data-theme="drak", data-autorun="maybe", a data-output that is
// no selector) is a sentence in the cell naming the attribute, the value and what was used
// instead: an author tries the page and sees it. Left silent, such a cell looked fine and did
// the wrong thing; one bad selector even threw, and no cell after it was mounted.
import { readFlag } from '../protocol/flag';
import { LINKED_LANGUAGES, linkable } from '../protocol/linked';
import { slipWarning } from './attribute-slips';
import { HIDEABLE, type Hideable } from './cell';
import type { Chain } from './linked';

export interface EmbedOptions {
  code?: string;
  language?: string;
  server?: string;
  autorun?: boolean;
  readonly?: boolean;
  hide?: Hideable[] | string;
  /** A selector (or an element) for where the output goes. */
  output?: string | HTMLElement;
  theme?: 'light' | 'dark' | 'auto';
  /** Text shown as the output until the first run. */
  outputPreview?: string;
  /**
   * One of the page's linked cells: it runs after the code of the linked cells above it in its
   * chain (embed/linked.ts). true: the page's default chain; a name: the chain of that name; a
   * symbol: a chain no markup can name (one makeSagecell() call's, embed/sagecell.ts).
   */
  linked?: boolean | string | symbol;
  /** The Run button's label (SageMathCell's evalButtonText). */
  runLabel?: string;
  /** The languages the selector offers, of those the server has; all of them when absent. */
  languages?: string[] | string;
  /**
   * Whether a reader's edit is kept in this browser across a reload (embed/drafts.ts); true
   * when absent. false for an exam page, say.
   */
  drafts?: boolean;
}

export interface PageConfig extends EmbedOptions {
  /** false: cells are mounted only by Cellbox.mount() or Cellbox.scan(). */
  autoMount?: boolean;
}

/** The options a cell is mounted with, every one checked. */
export interface Resolved {
  language: string;
  server: string;
  autorun: boolean;
  readonly: boolean;
  hide: Hideable[];
  /** The element the output goes into, when not below the cell. */
  output?: HTMLElement;
  theme: 'light' | 'dark' | 'auto';
  outputPreview?: string;
  /**
   * The chain the cell is linked in ('' the page's default one), or null when it runs alone: it
   * runs after the cells above it in that chain, of its server and language (embed/linked.ts).
   */
  linked: Chain | null;
  runLabel: string;
  /** The languages offered; undefined: all the server has. */
  languages?: string[];
  /** A reader's edit is kept across a reload (where the cell can be edited at all). */
  drafts: boolean;
}

/** Options by their name in JSON and mount(), with the data-* attribute each is. */
const ATTRIBUTES: Record<Exclude<keyof EmbedOptions, 'code'>, string> = {
  language: 'data-language',
  server: 'data-server',
  autorun: 'data-autorun',
  readonly: 'data-readonly',
  hide: 'data-hide',
  output: 'data-output',
  theme: 'data-theme',
  outputPreview: 'data-output-preview',
  linked: 'data-linked',
  runLabel: 'data-run-label',
  languages: 'data-languages',
  drafts: 'data-drafts',
};
type Key = keyof typeof ATTRIBUTES;

/** The data-* attributes that set a cell's options: what a near miss is checked against. */
export const OPTION_ATTRIBUTES: readonly string[] = Object.values(ATTRIBUTES);
/** Attributes of a cell's element that Cellbox reads or writes besides its options: never slips. */
const OWN_MARKS = ['data-cellbox', 'data-cellbox-mounted'];

/** Where a value was given, for the sentence about it. */
interface Layer {
  values: Partial<Record<Key, unknown>>;
  /** How the author wrote this option here: data-theme="drak", "theme": "drak" in …. */
  said(key: Key, value: unknown): string;
}

/** Why a value cannot be used: "is not light, dark or auto". */
class Refusal {
  constructor(readonly why: string) {}
}
const refuse = (why: string) => new Refusal(why);

/** Removes leading and trailing blank lines and the indentation common to every line. */
export function dedent(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length && !lines[0].trim()) lines.shift();
  while (lines.length && !lines[lines.length - 1].trim()) lines.pop();
  const indents = lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join('\n');
}

/** The page's defaults, from the first <script type="application/json" data-cellbox-config>. */
export function pageConfig(doc: Document): { config: PageConfig; problem?: string } {
  const block = doc.querySelector('script[type="application/json"][data-cellbox-config]');
  if (!block) return { config: {} };
  try {
    const parsed: unknown = JSON.parse(block.textContent ?? '');
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return { config: parsed as PageConfig };
    return { config: {}, problem: 'the data-cellbox-config block is not a JSON object; its settings are not used.' };
  } catch (e) {
    return { config: {}, problem: `the data-cellbox-config block is not JSON (${(e as Error).message}); its settings are not used.` };
  }
}

/** The options an element's data-* attributes give, as written. */
function attributeValues(e: HTMLElement): Partial<Record<Key, string>> {
  const values: Partial<Record<Key, string>> = {};
  for (const [key, name] of Object.entries(ATTRIBUTES) as [Key, string][]) {
    const v = e.getAttribute(name);
    if (v !== null) values[key] = v;
  }
  // SageMathCell's markup names its language in data-lang, as makeSagecell() reads it, else in
  // its type.
  if (values.language === undefined && isSageScript(e)) values.language = e.getAttribute('data-lang')?.trim().toLowerCase() || 'sage';
  return values;
}

/** SageMathCell's own markup for a cell's code. */
function isSageScript(e: HTMLElement): boolean {
  return e instanceof HTMLScriptElement && e.type === 'text/x-sage';
}

/**
 * The console's sentence about `e`'s data-* attributes that Cellbox does not read but that are
 * near misses of an option's (embed/attribute-slips.ts), or null. `alsoRead`: attributes the
 * caller read itself (makeSagecell()'s data-lang).
 */
export function attributeSlips(e: HTMLElement, alsoRead: readonly string[] = []): string | null {
  return slipWarning([...e.attributes], OPTION_ATTRIBUTES, [...OWN_MARKS, ...alsoRead, ...(isSageScript(e) ? ['data-lang'] : [])]);
}

/**
 * The options for one cell, each checked, and a sentence for each value that could not be
 * used. `defaultServer` is where the embed script came from.
 */
export function resolveOptions(source: HTMLElement, options: EmbedOptions, defaultServer: string): { options: Resolved; problems: string[] } {
  const doc = source.ownerDocument;
  const problems: string[] = [];
  const page = pageConfig(doc);
  if (page.problem) problems.push(page.problem);
  const layers: Layer[] = [
    { values: page.config, said: (k, v) => `"${k}": ${JSON.stringify(v)} in data-cellbox-config` },
    { values: attributeValues(source), said: (k, v) => `${ATTRIBUTES[k]}="${String(v)}"` },
    { values: options, said: (k, v) => `the mount() option ${k}: ${v instanceof HTMLElement ? 'an element' : JSON.stringify(v)}` },
  ];
  for (const [name, values] of [['data-cellbox-config', page.config], ['mount()', options]] as const) {
    for (const k of Object.keys(values)) {
      if (!(k in ATTRIBUTES) && k !== 'code' && !(name === 'data-cellbox-config' && k === 'autoMount')) {
        problems.push(`${name} has no option "${k}"; the options are ${Object.keys(ATTRIBUTES).join(', ')}.`);
      }
    }
  }

  /** The strongest value given for `key`, if `check` accepts it; else a sentence, and `fallback`. */
  function pick<T>(key: Key, fallback: T, fallbackSaid: string, check: (v: unknown) => T | Refusal): T {
    for (let i = layers.length - 1; i >= 0; i--) {
      const v = layers[i].values[key];
      if (v === undefined) continue;
      const r = check(v);
      if (r instanceof Refusal) {
        problems.push(`${layers[i].said(key, v)} ${r.why}; ${fallbackSaid}.`);
        return fallback;
      }
      return r;
    }
    return fallback;
  }
  const bool = (v: unknown): boolean | Refusal => {
    if (typeof v === 'boolean') return v;
    const flag = typeof v === 'string' ? readFlag(v) : null;
    if (flag !== null) return flag;
    return refuse('is neither true nor false (leave the value out for true, or write "false")');
  };

  const language = pick('language', 'python', 'Python is used', (v) =>
    typeof v === 'string' && v.trim() ? v.trim().toLowerCase() : refuse('is not a language name'));
  const autorun = pick('autorun', false, 'the cell waits for Run', bool);
  const readonly = pick('readonly', false, 'the code can be edited', bool);
  const drafts = pick('drafts', true, 'a reader\'s edit is kept in this browser', bool);
  // data-linked (bare, or a word for on): the default chain; a word for off: none; any other
  // text names a chain of its own (two sets of notes on one page do not run each other's code).
  const linked = pick<Chain | null>('linked', null, 'the cell runs alone', (v) => {
    if (typeof v === 'symbol') return v;
    if (typeof v === 'string' && readFlag(v) === null) return v.trim();
    const on = bool(v);
    return on instanceof Refusal ? refuse('is neither true nor false nor the name of a chain (leave the value out for the page\'s chain, or write "false")') : on ? '' : null;
  });
  // Said for a cell that asked itself; a page's "linked": true for all its cells leaves its
  // Bash cells to run alone without a word on each.
  if (linked !== null && !linkable(language) && layers.slice(1).some((l) => l.values.linked !== undefined)) {
    problems.push(`linked cells are for ${LINKED_LANGUAGES.join(' and ')} cells; this ${language} cell runs alone.`);
  }
  const theme = pick('theme', 'auto' as Resolved['theme'], 'the theme is auto', (v) => {
    const t = typeof v === 'string' ? v.trim().toLowerCase() : v;
    return t === 'light' || t === 'dark' || t === 'auto' ? t : refuse('is not light, dark or auto');
  });
  const server = pick('server', defaultServer, `the cell runs on ${defaultServer || 'this page\'s server'}`, (v) => {
    if (typeof v !== 'string') return refuse('is not a URL');
    try {
      const url = new URL(v.trim());
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.href.replace(/[?#].*$/, '').replace(/\/+$/, '');
    } catch {
      // below
    }
    return refuse('is not an http: or https: URL of a Cellbox server');
  });
  const outputPreview = pick<string | undefined>('outputPreview', undefined, 'nothing is shown', (v) =>
    typeof v === 'string' ? v : refuse('is not text'));

  const runLabel = pick('runLabel', 'Run', 'the button says Run', (v) =>
    typeof v === 'string' && v.trim() ? v.trim() : refuse('is not a label'));
  const languages = pick<string[] | undefined>('languages', undefined, 'every language is offered', (v) => {
    const words = typeof v === 'string' ? v.split(/[\s,]+/) : Array.isArray(v) ? v : null;
    if (!words || words.some((w) => typeof w !== 'string')) return refuse('is not a list of languages');
    const names = (words as string[]).map((w) => w.trim().toLowerCase()).filter(Boolean);
    return names.length ? names : refuse('names no language');
  });

  const hide = pick<Hideable[]>('hide', [], 'nothing is hidden', (v) => {
    const words = typeof v === 'string' ? v.split(/[\s,]+/) : Array.isArray(v) ? v : null;
    if (!words || words.some((w) => typeof w !== 'string')) return refuse('is not a list of parts');
    const known: Hideable[] = [];
    const unknown: string[] = [];
    for (const w of words as string[]) {
      const word = w.trim().toLowerCase();
      if (!word) continue;
      if ((HIDEABLE as readonly string[]).includes(word)) known.push(word as Hideable);
      else unknown.push(w.trim());
    }
    if (unknown.length) {
      problems.push(`${unknown.map((w) => `"${w}"`).join(', ')} in data-hide (hide) ${unknown.length > 1 ? 'are' : 'is'} not a part of a cell; the parts are ${HIDEABLE.join(', ')}.`);
    }
    return known;
  });

  const output = pick<HTMLElement | undefined>('output', undefined, 'the output goes below the cell', (v) => {
    if (v instanceof HTMLElement) return v;
    if (typeof v !== 'string') return refuse('is not a CSS selector or an element');
    let found: Element | null;
    try {
      found = doc.querySelector(v);
    } catch {
      return refuse('is not a CSS selector');
    }
    if (!found) return refuse('matches no element of the page');
    if (!(found instanceof HTMLElement)) return refuse('matches no HTML element');
    return found;
  });

  return { options: { language, server, autorun, readonly, hide, output, theme, outputPreview, linked, runLabel, languages, drafts }, problems };
}

/** Elements that mark up code for the eye (a highlighter's spans) and keep its text whole. */
const TEXT_MARKUP = new Set(['CODE', 'SPAN', 'B', 'STRONG', 'I', 'EM', 'MARK', 'A', 'KBD', 'SAMP', 'VAR', 'U', 'S', 'SMALL', 'SUB', 'SUP', 'DEL', 'INS']);

/**
 * The code in a cell's markup, and a sentence when the browser took some of it for HTML: in a
 * <pre>, `#include <stdio.h>` is an element named stdio.h, and its text is gone.
 */
export function readCode(source: HTMLElement): { code: string; problem?: string } {
  if (source instanceof HTMLTextAreaElement) return { code: dedent(source.value) };
  const code = dedent(source.textContent ?? '');
  if (source instanceof HTMLScriptElement) return { code };
  const tag = [...source.querySelectorAll('*')].find((e) => !TEXT_MARKUP.has(e.tagName));
  if (!tag) return { code };
  return {
    code,
    problem: `the page's HTML took <${tag.tagName.toLowerCase()}> in this cell's code for a tag, and it is missing from the code: write < as &lt; and & as &amp; in the page, or put the code in <script type="text/x-cellbox">.`,
  };
}
