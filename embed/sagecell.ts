// window.sagecell, SageMathCell's JavaScript API on Cellbox's cells: a page written for
// SageMathCell (its script tag, then `sagecell.makeSagecell({...})` inline, the markup below)
// works when its script's src is Cellbox's /embed.js. The options are read by
// embed/sagecell-options.ts; docs/embedding.md ("Coming from SageMathCell") maps them.
import { CELL_SELECTOR, mount, mountedCell, type EmbeddedCell } from './embed';
import { dedent, readCode } from './options';
import { ALL_LANGUAGES, TEMPLATES, sagecellSettings, type SagecellArgs, type SagecellSettings } from './sagecell-options';

/**
 * What makeSagecell() returns, filled in once the cells are made (after the document is
 * ready): the options it was called with, each cell's `inputLocation` (its element),
 * `outputLocation` and `code`, and Cellbox's handle as `cell`; for a selector that matched
 * several elements, one such object per cell in `array`. deleteSagecell() takes it.
 */
export interface CellInfo extends Record<string, unknown> {
  array?: CellInfo[];
  cell?: EmbeddedCell;
}

export interface SagecellGlobal {
  makeSagecell(args: SagecellArgs): CellInfo;
  /** SageMathCell's first API: calls `callback` (which makes the cells) once the document is ready. */
  init(callback?: unknown): void;
  deleteSagecell(info: CellInfo): void;
  moveInputForm(info: CellInfo): void;
  restoreInputForm(info: CellInfo): void;
  templates: typeof TEMPLATES;
  allLanguages: string[];
}

declare global {
  interface Window {
    sagecell?: Partial<SagecellGlobal> & Record<string, unknown>;
  }
}

/** The elements a location names: a CSS selector, an element, or a list of them (a jQuery object, a NodeList). */
function elementsOf(doc: Document, location: unknown, name: string): HTMLElement[] {
  if (typeof location === 'string') {
    try {
      return [...doc.querySelectorAll<HTMLElement>(location)];
    } catch {
      console.error(`Cellbox: sagecell.makeSagecell()'s ${name} "${location}" is not a CSS selector; no cell is made of it.`);
      return [];
    }
  }
  if (location instanceof HTMLElement) return [location];
  if (location && typeof location === 'object' && typeof (location as ArrayLike<unknown>).length === 'number') {
    return [...(location as ArrayLike<unknown>) as unknown[]].filter((e): e is HTMLElement => e instanceof HTMLElement);
  }
  return [];
}

/**
 * Defines window.sagecell for `server`'s cells. Its cells are made once the document is ready,
 * as SageMathCell makes them: a page calls makeSagecell() in its head, before the markup
 * exists. `ready()` is called then, before Cellbox's own scan, so that the scan leaves the
 * markup in each inputLocation to the cells made of it.
 */
export function defineSagecell(win: Window, server: string): { ready(): void; whenReady(fn: () => void): void } {
  const doc = win.document;
  /** The inputs made into cells, each with its cell's info: a second call for one makes nothing. */
  const made = new WeakMap<HTMLElement, CellInfo>();
  /** Calls waiting for the document. */
  let pending: (() => void)[] | null = [];
  const deleted = new WeakSet<CellInfo>();

  /**
   * Takes a codeLocation's element from Cellbox's own scan, which would make a cell of its
   * `text/x-sage` script: a cell the scan made of it already (makeSagecell() called once the
   * document was ready) goes, and the scan leaves it alone from now on.
   */
  function claim(e: HTMLElement): void {
    mountedCell(e)?.destroy();
    e.setAttribute('data-cellbox-mounted', '');
  }

  function makeOne(input: HTMLElement, args: SagecellArgs, settings: SagecellSettings, output: HTMLElement | undefined, chain: symbol): CellInfo | null {
    if (made.has(input)) return null;
    const script = [...input.children].find((c): c is HTMLScriptElement => c instanceof HTMLScriptElement);
    let code: string;
    if (typeof args.code === 'string') code = args.code;
    else if (args.codeLocation !== undefined) {
      const from = elementsOf(doc, args.codeLocation, 'codeLocation')[0];
      code = from ? readCode(from).code : '';
      if (from && from !== input && from !== script) claim(from);
    } else if (script) code = readCode(script).code;
    else if (input instanceof HTMLTextAreaElement) code = dedent(input.value);
    else code = dedent(input.textContent ?? '');

    // The cell goes where SageMathCell's did, in the input's place: before the code's script
    // inside it or before a textarea (each kept, hidden, as Cellbox keeps markup), else in
    // the element, whose text the cell replaces.
    let source: HTMLElement;
    if (script) source = script;
    else if (input instanceof HTMLTextAreaElement) source = input;
    else {
      input.replaceChildren();
      source = input;
    }
    // A cell Cellbox's own scan made of it already (makeSagecell() called once the page was
    // ready) gives way to this one.
    mountedCell(source)?.destroy();
    if (source !== input || input instanceof HTMLTextAreaElement) {
      // Markup, whatever its type: the cell goes before it, which stays in the page, hidden.
      if (!source.matches(CELL_SELECTOR)) source.setAttribute('data-cellbox', '');
    }
    const language = (input.getAttribute('data-lang') ?? script?.getAttribute('data-lang') ?? '').trim().toLowerCase() || settings.defaultLanguage;
    const cell = mount(source, {
      code,
      language,
      hide: settings.hide,
      readonly: settings.readonly,
      runLabel: settings.runLabel,
      languages: settings.languages,
      // As SageMathCell, whose linked cells share one kernel per call: the cells of this call
      // are a chain of their own, which no other call's cells (nor the page's markup) join.
      linked: settings.linked ? chain : false,
      // As SageMathCell, only code there is to run.
      autorun: settings.autorun && code.trim() !== '',
      ...(output && output !== input ? { output } : {}),
    }, server, ['data-lang']);
    const info: CellInfo = { ...(args.template && typeof args.template === 'object' ? args.template : {}), ...args, inputLocation: input, outputLocation: output ?? input, code, cell };
    made.set(input, info);
    if (typeof args.callback === 'function') {
      try {
        (args.callback as (this: CellInfo) => void).call(info);
      } catch (e) {
        console.error('Cellbox: the callback given to sagecell.makeSagecell() failed:', e);
      }
    }
    return info;
  }

  function make(args: SagecellArgs, info: CellInfo, chain: symbol): void {
    if (deleted.has(info)) return;
    const inputs = elementsOf(doc, args.inputLocation, 'inputLocation');
    if (!inputs.length) return;
    let output: HTMLElement | undefined;
    if (args.outputLocation !== undefined) {
      if (inputs.length > 1) {
        console.error('Cellbox: sagecell.makeSagecell()\'s inputLocation must match one element when outputLocation is given, as SageMathCell requires; no cell is made.');
        return;
      }
      output = elementsOf(doc, args.outputLocation, 'outputLocation')[0];
      if (!output) console.warn(`Cellbox: sagecell.makeSagecell()'s outputLocation ${String(args.outputLocation)} matches nothing; the output goes below the cell.`);
    }
    const settings = sagecellSettings(args, inputs.length);
    const cells = inputs.map((input) => {
      try {
        return makeOne(input, args, settings, output, chain);
      } catch (e) {
        console.error('Cellbox: a cell of sagecell.makeSagecell() could not be made:', e, input);
        return null;
      }
    });
    if (inputs.length > 1) info.array = cells.map((c) => c ?? {});
    else if (cells[0]) Object.assign(info, cells[0]);
  }

  function remove(info: CellInfo): void {
    deleted.add(info);
    for (const one of info.array ?? []) remove(one);
    info.cell?.destroy();
    // As SageMathCell: the cell's elements leave the page.
    for (const key of ['inputLocation', 'outputLocation']) {
      const e = info[key];
      if (e instanceof HTMLElement) {
        made.delete(e);
        e.remove();
      }
    }
  }

  const api: SagecellGlobal = {
    makeSagecell(args) {
      const info: CellInfo = {};
      if (!args || typeof args !== 'object' || args.inputLocation === undefined) {
        console.error('Cellbox: sagecell.makeSagecell() needs an inputLocation, a CSS selector for the elements to make cells of.');
        return info;
      }
      const chain = Symbol('the chain of its makeSagecell() call'); // named so in its cells' linked notes (chainName)
      if (pending) pending.push(() => make(args, info, chain));
      else make(args, info, chain);
      return info;
    },
    init(callback) {
      if (typeof callback !== 'function') return;
      if (pending) pending.push(() => callback());
      else callback();
    },
    deleteSagecell(info) {
      if (info && typeof info === 'object') remove(info);
    },
    // A cell's fields are in its shadow root, which a page's form never submits: nothing to move.
    moveInputForm() {},
    restoreInputForm() {},
    templates: TEMPLATES,
    allLanguages: ALL_LANGUAGES,
  };
  // A page may have set properties of its own on window.sagecell before loading the script.
  win.sagecell = Object.assign(win.sagecell ?? {}, api);

  return {
    ready() {
      const calls = pending ?? [];
      pending = null;
      for (const call of calls) {
        try {
          call();
        } catch (e) {
          // A page's own callback that threw (sagecell.init()'s, a `$(function)`): reported as
          // the browser reports any, without keeping the calls after it, and Cellbox's scan of
          // the page, from running.
          setTimeout(() => {
            throw e;
          });
        }
      }
    },
    /** Calls `fn` once the document is ready, in turn with makeSagecell()'s waiting calls. */
    whenReady(fn: () => void) {
      if (pending) pending.push(fn);
      else fn();
    },
  };
}
