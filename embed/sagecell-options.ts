// SageMathCell's makeSagecell() options, read as Cellbox's: a page written for SageMathCell
// keeps its call and gets the cells it asked for (embed/sagecell.ts makes them). Pure, so that
// each mapping is tested without a page.
import type { Hideable } from './cell';

/** What a page passes to sagecell.makeSagecell(), as SageMathCell documents it (and a template may hold). */
export interface SagecellArgs {
  inputLocation?: unknown;
  outputLocation?: unknown;
  code?: unknown;
  codeLocation?: unknown;
  evalButtonText?: unknown;
  autoeval?: unknown;
  linked?: unknown;
  hide?: unknown;
  languages?: unknown;
  defaultLanguage?: unknown;
  editor?: unknown;
  template?: unknown;
  callback?: unknown;
  replaceOutput?: unknown;
  mode?: unknown;
}

/**
 * SageMathCell's built-in templates, as its embed script defines them: `minimal` is a button
 * and the output, `restricted` the code read-only with its button.
 */
export const TEMPLATES = {
  minimal: { editor: 'textarea-readonly', hide: ['editor', 'files', 'permalink'] },
  restricted: { editor: 'codemirror-readonly', hide: ['files', 'permalink'] },
};

/** SageMathCell's `sagecell.allLanguages`: a page passes it as `languages` to offer them all. */
export const ALL_LANGUAGES = ['sage', 'gap', 'gp', 'html', 'macaulay2', 'maxima', 'octave', 'python', 'r', 'singular'];

/**
 * SageMathCell's parts that `hide` names, by the Cellbox part each is. Those without one
 * (`editorToggle`, `messages`, `sessionTitle`, `fullScreen`, `sageMode`, `computationID`,
 * `sessionFilesTitle`, and `files`: SageMathCell's file upload, which its templates always
 * hide, not Cellbox's files a cell wrote) are left out quietly, as SageMathCell ignores
 * names it does not know.
 */
export const HIDE_MAP: Record<string, Hideable> = {
  editor: 'editor',
  language: 'language',
  evalButton: 'run',
  permalink: 'share',
  // The session's end message: Cellbox's is the status line's "Done in 0.3 s".
  done: 'status',
  sessionFiles: 'files',
  output: 'output',
};

/** How one makeSagecell() call's cells are made, every option read. */
export interface SagecellSettings {
  /** The languages the selector offers. */
  languages: string[];
  /** A cell's language unless its markup's data-lang names one. */
  defaultLanguage: string;
  hide: Hideable[];
  readonly: boolean;
  runLabel: string;
  autorun: boolean;
  linked: boolean;
}

const object = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);

/**
 * The settings of one makeSagecell() call whose inputLocation matched `count` elements. As
 * SageMathCell: its defaults < the template < the call's own options, but `hide` is the
 * union of all three; one language hides the selector; linked cells hide the permalink, and
 * linked cells of one call with several matches do not evaluate by themselves.
 */
export function sagecellSettings(args: SagecellArgs, count: number): SagecellSettings {
  const template = object(args.template);
  const given = (key: keyof SagecellArgs): unknown => (args[key] !== undefined ? args[key] : template[key]);

  const languageList = strings(given('languages')).map((l) => l.trim().toLowerCase()).filter(Boolean);
  const languages = languageList.length ? [...new Set(languageList)] : ['sage'];
  const asked = typeof given('defaultLanguage') === 'string' ? (given('defaultLanguage') as string).trim().toLowerCase() : '';
  const defaultLanguage = languages.includes(asked) ? asked : languages[0];

  // Read as SageMathCell reads them: any true value.
  const linked = Boolean(given('linked'));
  const hideNames = [...strings(template.hide), ...strings(args.hide)];
  const hide = new Set<Hideable>();
  // Debug mode shows every part, whatever hide says.
  if (given('mode') !== 'debug') {
    for (const name of hideNames) {
      const part = Object.hasOwn(HIDE_MAP, name) ? HIDE_MAP[name] : undefined;
      if (part) hide.add(part);
    }
    if (languages.length === 1) hide.add('language');
    if (linked) hide.add('share');
  }

  const editor = typeof given('editor') === 'string' ? (given('editor') as string) : 'codemirror';
  const label = given('evalButtonText');
  return {
    languages,
    defaultLanguage,
    hide: [...hide],
    readonly: editor.endsWith('-readonly'),
    runLabel: typeof label === 'string' && label.trim() ? label : 'Evaluate',
    autorun: Boolean(given('autoeval')) && !(linked && count > 1),
    linked,
  };
}
