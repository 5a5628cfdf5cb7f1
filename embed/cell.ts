// One cell's DOM, shared by Cellbox's page and the embed: the editor, the language choice,
// Run/Stop with elapsed time and a status line, copy and reset, and the output area.
import type { CellState, LanguageInfo } from '../protocol/api';
import { linkable, linkedProgram } from '../protocol/linked';
import type { ErrorContent, Message } from '../protocol/messages';
import { MAX_CODE_BYTES, MAX_INTERACT_BYTES } from '../protocol/limits';
import { zLinkPath } from '../protocol/zlink';
import { CellClientError, interruptCell, listLanguages, runCell, shareSnippet } from './client';
import { CELL_CSS } from './cell-styles';
import { writeClipboard } from './clipboard';
import { createEditor } from './editor';
import { hiddenParts } from './hidden-parts';
import { createInteracts, type InteractValues } from './interact';
import { mathjaxTypesetter } from './mathjax';
import { isClientError } from './poller';
import { createOutputArea } from './render';
import { OUTPUT_CSS, ensureStyles } from './styles';

/** Parts of a cell that can be left out (an embed's `data-hide`). */
export const HIDEABLE = ['editor', 'language', 'run', 'status', 'share', 'copy', 'reset', 'files', 'output'] as const;
export type Hideable = (typeof HIDEABLE)[number];

export interface CellOptions {
  code: string;
  language: string;
  /** Base URL of the Cellbox server ('' for the page's own origin). */
  server?: string;
  /** The languages to offer; fetched from the server when absent. */
  languages?: LanguageInfo[];
  /** Of the languages, those the selector offers (the cell's own always): all when absent. */
  offer?: string[];
  /** The Run button's label ('Run' when absent); it says Stop while the cell runs. */
  runLabel?: string;
  readOnly?: boolean;
  /** Run once mounted. */
  autorun?: boolean;
  /** Shown while the code differs from the original (a shared snippet, edited). */
  editedNote?: string;
  /**
   * A button in the edited note, so labelled, that goes back to the original code; the bar's
   * Reset gives way to it (an embed's kept draft: the way back beside the words saying whose
   * code this is). Shown even where `hide` has reset: a student must never be stuck with a draft.
   */
  editedReset?: string;
  /**
   * The code and language the editor starts with, when not the original (an embed's kept
   * draft): edited from the start, Reset going back to `code` and `language`.
   */
  start?: { code: string; language: string };
  hide?: readonly Hideable[];
  /** Where the output goes, if not below the cell (an embed's `data-output`). */
  outputTarget?: HTMLElement;
  /**
   * What is wrong with how the cell was set up (an embed's bad data-* value), shown above its
   * bar for the page's author to see, and logged.
   */
  problems?: string[];
  /** Shown in the output area until the first run (pre-rendered output). */
  preview?: Node[];
  /** 'light' or 'dark' fixes the colours; 'auto' (default) follows the system. */
  theme?: 'light' | 'dark' | 'auto';
  /**
   * The code of the linked cells before this one (an embed's linked cells above it,
   * embed/linked.ts), asked at each run as their editors hold it then: the server runs it
   * first. Absent: the cell runs alone. Used only while the language is one that links.
   */
  linked?: () => string[];
  /** What the linked note calls the cell's chain ('chain "algebra"'); absent: the page's default chain, not named. */
  linkedChain?: string;
  /** Called as each run starts; a run for an interact's controls has their values in `interact`. */
  onRun?: (r: { code: string; language: string; interact?: InteractValues }) => void;
  /** Called after each change of the code or the language (the page at / keeps a draft). */
  onEdit?: (r: { code: string; language: string }) => void;
  /** Called with each message as it arrives, and when a run ends. */
  onMessage?: (m: Message) => void;
  onDone?: (r: RunResult) => void;
}

export interface RunResult {
  ok: boolean;
  cellId: string | null;
  /** The cell's error name, or 'ClientError' when the request itself failed. */
  ename?: string;
  evalue?: string;
}

export interface CellHandle {
  readonly element: HTMLElement;
  run(): Promise<void>;
  stop(): Promise<void>;
  code: string;
  /** The language; setting it is an edit, as choosing it in the menu is. */
  language: string;
  /** Back to the original code and language. */
  reset(): void;
  destroy(): void;
}

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * How long a cell may go without its first message before the status line says why: a warm
 * worker starts it within milliseconds, so past this it waits for a place or for a worker.
 */
export const WAIT_NOTICE_MS = 1000;
/**
 * The same when the server has not said where the cell is: its first answer comes at about
 * WAIT_NOTICE_MS (the POST waits that long for the first messages), and a line that said
 * "waiting" for the milliseconds until it came, then something else, only flickered.
 */
const UNKNOWN_WAIT_NOTICE_MS = 3 * WAIT_NOTICE_MS;

/** What the status line says while a cell has no message yet, by where the server says it is. */
export function waitingText(state: CellState | null, languageName: string): string {
  if (state === 'queued') return 'Waiting in the queue…';
  // Claimed by the device, whose worker for it is being made (a language's first cells after a start).
  if (state === 'starting') return `Starting a worker for ${languageName}…`;
  return 'Waiting for the cell to start…';
}

function formatElapsed(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function mountCell(container: HTMLElement, opts: CellOptions): CellHandle {
  const doc = container.ownerDocument;
  const server = opts.server ?? '';
  const hidden = hiddenParts(opts.hide);
  const root = container.getRootNode() as Document | ShadowRoot;
  ensureStyles(root, 'cellbox-cell', CELL_CSS);
  ensureStyles(root, 'cellbox-output', OUTPUT_CSS);

  // What Reset goes back to, and what "edited" is measured against: code and language together.
  const original = opts.code;
  const originalLanguage = opts.language;
  let language = opts.start?.language ?? opts.language;
  const cell = el(doc, 'div', 'cb-cell');
  // A group named by its language ("Python cell"): a page of thirty cells has thirty Run
  // buttons, and a screen reader says which cell the one it is on belongs to as it enters it.
  cell.setAttribute('role', 'group');
  if (opts.theme === 'light' || opts.theme === 'dark') cell.classList.add(`cb-${opts.theme}`);
  const editorBox = el(doc, 'div', 'cb-editor');
  editorBox.hidden = hidden.has('editor');
  const bar = el(doc, 'div', 'cb-bar');
  const select = el(doc, 'select', 'cb-lang');
  select.setAttribute('aria-label', 'Language');
  select.hidden = hidden.has('language');
  const runLabel = opts.runLabel ?? 'Run';
  const runTitle = `${runLabel} (Shift+Enter)`;
  const runButton = button(doc, 'cb-run', runLabel, runTitle, hidden.has('run'));
  // The status line. Its words are a live region, read out when they change ("Running…",
  // "Done in 0.3 s"); the time since Run beside them is not: it ticks ten times a second, and
  // as part of the region a screen reader announced every tick for as long as a cell ran.
  const status = el(doc, 'span', 'cb-status');
  const statusWords = el(doc, 'span', 'cb-status-words');
  statusWords.setAttribute('role', 'status');
  statusWords.setAttribute('aria-live', 'polite');
  const statusClock = el(doc, 'span', 'cb-status-clock');
  statusClock.setAttribute('aria-hidden', 'true');
  status.append(statusWords, statusClock);
  status.hidden = hidden.has('status');
  const spacer = el(doc, 'span', 'cb-spacer');
  const shareButton = button(doc, 'cb-share-button', 'Share', 'Get a link to this code', hidden.has('share'));
  shareButton.setAttribute('aria-expanded', 'false');
  const copyButton = button(doc, 'cb-copy', 'Copy', 'Copy the code', hidden.has('copy'));
  const resetButton = button(doc, 'cb-reset', 'Reset', 'Back to the original code', true);
  bar.append(select, runButton, status, spacer, shareButton, copyButton, resetButton);
  const problems = el(doc, 'ul', 'cb-problems');
  problems.setAttribute('aria-label', 'Problems with this cell');
  function addProblem(text: string): void {
    console.warn(`Cellbox: ${text}`);
    problems.append(el(doc, 'li', '', text));
    problems.hidden = false;
  }
  problems.hidden = true;
  for (const p of opts.problems ?? []) addProblem(p);
  const note = el(doc, 'p', 'cb-note cb-edited-note');
  note.hidden = true;
  // Its words are a live region, written as the note appears: a screen reader says that the
  // code is now the reader's own, not the page's.
  const noteWords = el(doc, 'span', 'cb-edited-words');
  noteWords.setAttribute('role', 'status');
  note.append(noteWords);
  const originalButton = opts.editedReset === undefined ? null : button(doc, 'cb-original', opts.editedReset, 'Back to the original code of this page', false);
  if (originalButton) {
    note.classList.add('cb-draft-note');
    note.append(' ', originalButton);
  }
  // The reader should know that this cell uses what the cells above it define, and that their
  // output is not shown again here.
  // A named chain is named: a reader sees which cells share what they define.
  const linkedNote = el(doc, 'p', 'cb-note cb-linked-note', opts.linkedChain
    ? `Linked (${opts.linkedChain}): runs after the linked cells of that chain above it on this page, their output not shown here.`
    : 'Linked: runs after the linked cells above it on this page, their output not shown here.');
  linkedNote.hidden = true;
  const sharePanel = el(doc, 'div', 'cb-share');
  sharePanel.hidden = true;
  sharePanel.setAttribute('role', 'group');
  sharePanel.setAttribute('aria-label', 'Share');
  // What Copy did, said to a screen reader: the button's own "Copied" is a change of the name
  // of the focused button, which screen readers do not read out. Not seen: the button shows it.
  const said = el(doc, 'span', 'cb-said');
  said.setAttribute('role', 'status');
  const typeset = mathjaxTypesetter(doc, server);
  const interacts = createInteracts(doc, () => interactChanged(), typeset);
  const output = createOutputArea(doc, { serverBase: server, typeset, hideFiles: hidden.has('files'), interact: interacts.show, interactSlot: interacts.slot });
  if (opts.preview?.length) {
    const preview = el(doc, 'div', 'cb-preview');
    preview.append(...opts.preview);
    output.element.append(preview);
  }
  output.element.hidden = hidden.has('output');
  cell.append(problems, editorBox, bar, linkedNote, note, sharePanel, said);
  if (opts.outputTarget) {
    // Outside this cell's root (a host page element): its styles go there too.
    ensureStyles(opts.outputTarget.getRootNode() as Document | ShadowRoot, 'cellbox-output', OUTPUT_CSS);
    // Nor under this cell's theme class: a theme the page fixed goes with it.
    if (opts.theme === 'light' || opts.theme === 'dark') output.element.classList.add(`cb-${opts.theme}`);
    opts.outputTarget.append(output.element);
  } else {
    cell.append(output.element);
  }
  container.append(cell);

  const editor = createEditor(editorBox, {
    code: opts.start?.code ?? original,
    mode: language,
    readOnly: opts.readOnly,
    // start() decides: ignored during a run of Run's, taking over from one the controls started.
    onRun: () => void handle.run(),
    onChange: edited,
  });

  /** Reset and the edited note, shown while the code or language differ from the original. */
  function showEdited(): void {
    const changed = editor.getCode() !== original || language !== originalLanguage;
    resetButton.hidden = !changed || hidden.has('reset') || opts.readOnly === true || originalButton !== null;
    const shown = changed && !!opts.editedNote;
    if (shown === note.hidden) noteWords.textContent = shown ? opts.editedNote! : '';
    note.hidden = !shown;
  }
  showEdited();

  function edited(): void {
    showEdited();
    closeShare();
    opts.onEdit?.({ code: editor.getCode(), language });
  }

  function setLanguage(name: string): void {
    language = name;
    if (![...select.options].some((o) => o.value === name)) {
      // Not offered (yet: the list may still be loading): shown by its name until it is.
      const o = doc.createElement('option');
      o.value = name;
      o.textContent = name;
      select.append(o);
    }
    select.value = name;
    editor.setMode(modes.get(language) ?? language);
    showLinked();
    nameCell();
  }

  function nameCell(): void {
    cell.setAttribute('aria-label', `${displayNames.get(language) ?? language} cell`);
  }

  function showLinked(): void {
    linkedNote.hidden = !opts.linked || !linkable(language);
  }
  showLinked();

  /**
   * The code the server runs before this cell's own, or undefined for a cell that runs alone.
   * Run sends it as the editors above hold it then; a re-run for the controls (interacts) sends
   * what the Run that showed them sent, as it sends that Run's code.
   */
  function linkedCode(): string[] | undefined {
    return opts.linked && linkable(language) ? opts.linked() : undefined;
  }

  function fillLanguages(all: LanguageInfo[]): void {
    const list = opts.offer ? all.filter((l) => opts.offer!.includes(l.name)) : all;
    select.replaceChildren(...list.map((l) => {
      const o = doc.createElement('option');
      o.value = l.name;
      o.textContent = l.display_name;
      return o;
    }));
    if (!list.some((l) => l.name === language) && list.length) {
      const o = doc.createElement('option');
      o.value = language;
      o.textContent = language;
      select.prepend(o);
    }
    select.value = language;
    modes = new Map(all.map((l) => [l.name, l.codemirror_mode]));
    displayNames = new Map(all.map((l) => [l.name, l.display_name]));
    editor.setMode(modes.get(language) ?? language);
    nameCell();
  }
  let modes = new Map<string, string>();
  let displayNames = new Map<string, string>();
  fillLanguages(opts.languages ?? [{ name: language, display_name: language, version: '', file_extension: '', codemirror_mode: language }]);
  if (!opts.languages) {
    listLanguages(server).then((l) => {
      fillLanguages(l as LanguageInfo[]);
      // Said now, not only when a reader presses Run and the server refuses the cell.
      if (l.length && !l.some((x) => x.name === originalLanguage)) {
        addProblem(`this Cellbox server has no language "${originalLanguage}"; it offers ${l.map((x) => x.name).join(', ')}.`);
      }
    }, () => {});
  }
  select.disabled = opts.readOnly === true;
  select.addEventListener('change', () => {
    setLanguage(select.value);
    edited();
  });

  let running = false;
  let destroyed = false;
  /**
   * The run in flight: whether its controls started it, whether Run took over from it, and a
   * promise settled once it has ended and cleaned up after itself.
   */
  let inFlight: { again: boolean; abandoned: boolean; ended: Promise<void> } | null = null;
  /**
   * Run took over from the controls' run and waits for it to end (stopped at the server):
   * Stop pressed meanwhile is for the run that waits, which then does not start.
   */
  let takeover: { stopped: boolean } | null = null;
  let cellId: string | null = null;
  let controller: AbortController | null = null;
  let stopWanted = false;
  /** Stop was pressed while the server could not be reached: it is asked again, until it answers. */
  let interruptPending = false;
  let interruptRetry: ReturnType<typeof setTimeout> | undefined;
  let interruptFailures = 0;
  /** Why following the cell is paused (the connection), shown instead of the elapsed time. */
  let connectionTrouble: string | null = null;

  /** The server ends the cell with Interrupted; the long-poll brings that home. */
  function interrupt(id: string): Promise<void> {
    interruptPending = false;
    clearTimeout(interruptRetry);
    return interruptCell(id, server).catch((e) => {
      if (!running) return;
      if (!isClientError(e)) {
        // The cell runs on at the server: ask again (at the latest every 4 s, and at once when
        // the long-poll reconnects), not abandon the cell.
        interruptPending = true;
        interruptRetry = setTimeout(() => void (running && interruptPending && interrupt(id)), Math.min(1000 * 2 ** interruptFailures++, 4000));
        setStatus('Stopping… (waiting for the connection to the server)', 'warn');
      } else {
        controller?.abort();
      }
    });
  }
  let ticker: ReturnType<typeof setInterval> | null = null;

  /**
   * The code and language the controls shown came from: moving them runs that again, not
   * what the editor holds since (an edit runs, afresh, with Run).
   */
  let shownRun: { code: string; language: string; linked: string[] | undefined } | null = null;
  /** A control changed while a run went on: the controls' latest values run when it ends. */
  let interactWanted = false;
  /** A re-run the server refused for now (429, 503): its controls' latest values run after its Retry-After. */
  let interactRetry: ReturnType<typeof setTimeout> | undefined;
  /** The status line's countdown to that run, a tick a quarter second. */
  let retryCountdown: ReturnType<typeof setInterval> | undefined;

  /**
   * Waits out a refusal: the status line counts down to the run of the controls' latest
   * values. Its words are read out once; the ticks are not (the live region is off for them,
   * as it would otherwise announce every second).
   */
  function retryAfter(why: string, waitS: number): void {
    const until = performance.now() + waitS * 1000;
    const say = () => setStatus(`${why}; the controls' latest values run in ${Math.max(1, Math.ceil((until - performance.now()) / 1000))} s.`, 'warn');
    say();
    retryCountdown = setInterval(() => {
      statusWords.setAttribute('aria-live', 'off');
      say();
    }, 250);
    interactRetry = setTimeout(() => {
      cancelRetry();
      void start(true);
    }, waitS * 1000);
  }

  /** No run waits for a refusal to pass any more: no countdown, and the status line live again. */
  function cancelRetry(): void {
    clearTimeout(interactRetry);
    interactRetry = undefined;
    clearInterval(retryCountdown);
    retryCountdown = undefined;
    statusWords.setAttribute('aria-live', 'polite');
  }

  /**
   * A control changed (a slider many times a second as it moves): one run at a time, the
   * changes meanwhile coalesced into one run of the latest values when it ends.
   */
  function interactChanged(): void {
    interactWanted = true;
    if (!running && interactRetry === undefined) void start(true);
  }

  /** The status line, marked as an error or a warning so that it reads as one. */
  function setStatus(text: string, kind: 'error' | 'warn' | null = null, clock = ''): void {
    // Written only when they change: a node written anew is announced anew.
    if (statusWords.textContent !== text) statusWords.textContent = text;
    statusClock.textContent = clock && ` ${clock}`;
    status.classList.toggle('cb-status-error', kind === 'error');
    status.classList.toggle('cb-status-warn', kind === 'warn');
  }

  function setRunning(on: boolean): void {
    running = on;
    runButton.textContent = on ? 'Stop' : runLabel;
    runButton.title = on ? 'Stop the running cell' : runTitle;
    runButton.classList.toggle('cb-stop', on);
    cell.classList.toggle('cb-running', on);
  }

  /**
   * A page that goes away for good (reloaded, a link followed, the tab closed) will never show
   * this cell's output: the cell is stopped rather than left to run to its time limit in one of
   * the server's places, which a class reloading its notes filled. A page the browser keeps to
   * come back to (the back/forward cache: `persisted`) follows its cell on when it returns.
   * A beacon, as a fetch started while the page unloads is cancelled with it.
   */
  const onPageHide = (e: PageTransitionEvent): void => {
    if (e.persisted || !running || !cellId) return;
    try {
      navigator.sendBeacon(`${server}/api/v1/cells/${cellId}/interrupt`);
    } catch {
      // No beacons here: the cell runs to its limit, as it did.
    }
  };
  doc.defaultView?.addEventListener('pagehide', onPageHide);

  // The second click of a double-click (`detail` 2, a triple's 3) is no second press: Run
  // turns into Stop under the pointer, and a reader who double-clicked Run, as many click
  // buttons, stopped at once the run the first click started ("Error: Interrupted"); a
  // double-clicked Stop started a new run. Keys and script clicks have `detail` 0.
  runButton.addEventListener('click', (e) => {
    if (e.detail > 1) return;
    void (running ? handle.stop() : handle.run());
  });
  copyButton.addEventListener('click', () => void copyText(copyButton, editor.getCode(), 'Copy', said));
  resetButton.addEventListener('click', () => {
    handle.reset();
    // Reset hides itself (the code is the original again), and the focus on it went to the
    // page's start: a keyboard reader lost their place. It stays in the cell, on its code.
    if (resetButton.hidden) editor.focus();
  });
  originalButton?.addEventListener('click', () => {
    handle.reset();
    // The button goes with the note: focus stays in the cell, on its code.
    editor.focus();
  });
  shareButton.addEventListener('click', () => void toggleShare());
  // The panel takes the focus to its link: Escape leaves it, as a reader expects of what opened
  // there, rather than Tab through its every field and button.
  sharePanel.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || sharePanel.hidden) return;
    e.preventDefault();
    closeShare();
  });

  /** Counts the panel's openings and closings: links made for code since changed are dropped. */
  let shareGeneration = 0;

  /** The links are of the code as it was: an edit closes the panel, and Share makes new ones. */
  function closeShare(): void {
    shareGeneration++;
    if (sharePanel.hidden) return;
    // Focus in the panel would be lost with it: it goes back to the button that opened it.
    const focusInside = sharePanel.contains(root.activeElement);
    sharePanel.hidden = true;
    sharePanel.replaceChildren();
    shareButton.setAttribute('aria-expanded', 'false');
    if (focusInside) shareButton.focus();
  }

  async function toggleShare(): Promise<void> {
    if (!sharePanel.hidden) {
      closeShare();
      return;
    }
    const mine = ++shareGeneration;
    sharePanel.hidden = false;
    shareButton.setAttribute('aria-expanded', 'true');
    sharePanel.replaceChildren(el(doc, 'p', 'cb-share-wait', 'Making a link…'));
    // A linked cell's links hold the linked cells' code above it too: alone, its code would not
    // find what they define.
    const above = linkedCode() ?? [];
    const code = linkedProgram(above, editor.getCode());
    const origin = server || doc.defaultView!.location.origin;
    try {
      const [snippet, zPath] = await Promise.all([shareSnippet(code, language, server), zLinkPath(code, language)]);
      if (mine !== shareGeneration) return; // edited or closed meanwhile
      const rows = [
        // After the server's base, not at its host's root: a Cellbox behind a path prefix.
        shareRow('Link', /^https?:/.test(snippet.url) ? snippet.url : origin + (snippet.url.startsWith('/') ? '' : '/') + snippet.url),
        shareRow('Link with the code in it', origin + zPath),
      ];
      rows.push(shareRow('Embed in a page', embedMarkup(origin, code, language), true));
      const said = above.length === 0 ? [] : [el(doc, 'p', 'cb-share-note', above.length === 1
        ? 'These hold the code of the linked cell above this one, then its own: alone, its code would not find what that cell defines.'
        : `These hold the code of the ${above.length} linked cells above this one, then its own: alone, its code would not find what they define.`)];
      sharePanel.replaceChildren(...said, ...rows);
      rows[0].querySelector('input')?.select();
      (rows[0].querySelector('input') as HTMLInputElement | null)?.focus();
    } catch (e) {
      if (mine !== shareGeneration) return;
      const failed = el(doc, 'p', 'cb-share-error', e instanceof CellClientError ? e.message : `Could not make a link: ${(e as Error).message}`);
      // Read out: the focus stays on Share, and nothing else tells a screen reader's user that
      // no link came (a link that came takes the focus to itself).
      failed.setAttribute('role', 'alert');
      sharePanel.replaceChildren(failed);
    }
  }

  function shareRow(label: string, value: string, multiline = false): HTMLElement {
    const row = el(doc, 'label', 'cb-share-row');
    const caption = el(doc, 'span', 'cb-share-label', label);
    const field = multiline ? el(doc, 'textarea', 'cb-share-value') : el(doc, 'input', 'cb-share-value');
    field.value = value;
    field.readOnly = true;
    // Named by its caption alone: the row's label holds the Copy button too, whose words
    // ("Copy", then "Copied") were read as part of the field's name.
    field.setAttribute('aria-label', label);
    if (multiline) (field as HTMLTextAreaElement).rows = Math.min(8, value.split('\n').length + 1);
    const copy = button(doc, 'cb-share-copy', 'Copy', `Copy: ${label}`, false);
    copy.addEventListener('click', (ev) => {
      ev.preventDefault();
      void copyText(copy, value, 'Copy', said);
    });
    row.append(caption, field, copy);
    return row;
  }

  const handle: CellHandle = {
    element: cell,
    get code() {
      return editor.getCode();
    },
    set code(code: string) {
      editor.setCode(code);
      edited();
    },
    get language() {
      return language;
    },
    set language(name: string) {
      setLanguage(name);
      edited();
    },
    run: () => start(false),
    async stop() {
      if (!running) return;
      // Stop is for the controls' pending values too: they run when a control next changes.
      interactWanted = false;
      if (takeover) {
        // The run in flight is being stopped already (abandon()); the one waiting is called off.
        takeover.stopped = true;
        stopWanted = true;
        setStatus('Stopping…');
        return;
      }
      if (stopWanted && interruptPending) {
        // Pressed again while the server cannot be reached: the reader gives up on the cell.
        controller?.abort();
        return;
      }
      setStatus('Stopping…');
      stopWanted = true;
      // Before the server answered the POST there is no id yet: onCreated stops it. Abandoning
      // the POST instead would leave a cell the server accepted running to its time limit.
      if (cellId) await interrupt(cellId);
    },
    reset() {
      editor.setCode(original);
      setLanguage(originalLanguage);
      edited();
    },
    destroy() {
      destroyed = true;
      doc.defaultView?.removeEventListener('pagehide', onPageHide);
      controller?.abort();
      if (ticker) clearInterval(ticker);
      clearTimeout(interruptRetry);
      cancelRetry();
      interactWanted = false;
      if (takeover) takeover.stopped = true;
      editor.view.destroy();
      cell.remove();
      output.element.remove();
    },
  };

  /**
   * Run pressed while a run the controls started goes on (a slow function): the reader wants
   * the editor's code run now, not once that ends, nor to have the press ignored. The re-run is
   * let go: stopped at the server (once it has an id: a POST abandoned before would leave a
   * cell the server accepted running to its time limit), its output no longer shown, the
   * controls' pending values dropped (Run shows the controls afresh).
   */
  function abandon(run: NonNullable<typeof inFlight>): void {
    run.abandoned = true;
    interactWanted = false;
    cancelRetry();
    if (cellId) {
      void interruptCell(cellId, server).catch(() => {});
      controller?.abort();
    }
  }

  /**
   * Runs the cell: afresh (Run, Shift+Enter: the editor's code, the output cleared), or `again`
   * for its interacts' controls: the code that showed them, with their values, its output
   * replacing the old one as it comes (the controls stay the same elements). Run during a run
   * of Run's does nothing; during one the controls started, it takes over (abandon()).
   */
  async function start(again: boolean): Promise<void> {
    if (running) {
      const before = inFlight;
      if (again || !before?.again) return;
      // A second press while the first waits: the first starts the run (unless Stop calls it off).
      if (takeover) return;
      const waiting = (takeover = { stopped: false });
      if (!before.abandoned) abandon(before);
      await before.ended;
      takeover = null;
      if (destroyed) return;
      if (waiting.stopped) {
        // Nothing ran: no cellbox:run, so no cellbox:done either.
        setStatus('Stopped');
        return;
      }
      if (running) return;
    }
    let ended!: () => void;
    const me = { again, abandoned: false, ended: new Promise<void>((resolve) => (ended = resolve)) };
    inFlight = me;
    interactWanted = false;
    cancelRetry();
    if (again && !shownRun) return;
    const values = again ? interacts.values(output.element) : undefined;
    const code = again ? shownRun!.code : editor.getCode();
    const runLanguage = again ? shownRun!.language : language;
    // The linked cells' code as it was for the run that showed the controls, as the cell's own.
    const linked = again ? shownRun!.linked : linkedCode();
    if (!again) shownRun = { code, language, linked };
    const ctl = new AbortController();
    controller = ctl;
    if (again) output.replaceOnNextOutput();
    else output.clear();
    cellId = null;
    stopWanted = false;
    interruptPending = false;
    interruptFailures = 0;
    connectionTrouble = null;
    setRunning(true);
    const started = performance.now();
    /** Until the cell's first message: where the server last said it is. */
    let begun = false;
    let state: CellState | null = null;
    let failed = false;
    setStatus('Running…');
    ticker = setInterval(() => {
      if (stopWanted) return; // "Stopping…" stays until the cell ends
      const ms = performance.now() - started;
      const quiet = begun || ms < (state ? WAIT_NOTICE_MS : UNKNOWN_WAIT_NOTICE_MS);
      const doing = quiet ? 'Running…' : waitingText(state, displayNames.get(runLanguage) ?? runLanguage);
      const elapsed = formatElapsed(ms);
      if (connectionTrouble) setStatus(`${connectionTrouble} ${doing}`, 'warn', elapsed);
      else setStatus(doing, null, elapsed);
    }, 100);
    let error: ErrorContent | null = null;
    opts.onRun?.({ code, language: runLanguage, ...(values ? { interact: values } : {}) });
    try {
      await runCell(code, runLanguage, {
        server,
        interact: values,
        linked,
        signal: ctl.signal,
        onCreated: (id) => {
          cellId = id;
          if (me.abandoned) {
            // Run took over before the server named the cell: it is stopped now that it can be.
            void interruptCell(id, server).catch(() => {});
            ctl.abort();
            return;
          }
          // Stop was pressed while the cell was being posted: stop it now that it has an id.
          if (stopWanted) void interrupt(id);
        },
        onState: (s) => {
          state = s;
        },
        onMessage: (m) => {
          // What a run Run took over from still had on its way is not shown.
          if (me.abandoned) return;
          begun = true;
          if (m.header.msg_type === 'error') error = m.content as ErrorContent;
          output.handle(m);
          opts.onMessage?.(m);
        },
        onConnectionLost: () => {
          connectionTrouble = 'Connection to the server lost; reconnecting…';
          if (stopWanted) setStatus('Stopping… (waiting for the connection to the server)', 'warn');
        },
        onReconnect: () => {
          connectionTrouble = null;
          if (stopWanted) setStatus('Stopping…');
          if (interruptPending && cellId) void interrupt(cellId);
        },
      }).finally(() => {
        // Text waiting for the next frame is shown before the status (and a `done` event) says the cell ended.
        output.flush();
      });
      if (me.abandoned) throw new DOMException('Run took over from this run of the controls.', 'AbortError');
      const e = error as ErrorContent | null;
      failed = e !== null;
      setStatus(e ? `Error: ${e.ename}` : `Done in ${formatElapsed(performance.now() - started)}`, e ? 'error' : null);
      opts.onDone?.({ ok: !e, ename: e?.ename, evalue: e?.evalue, cellId });
    } catch (e) {
      failed = true;
      if (me.abandoned) {
        // Said by the run that took over; its end is reported, for a page that pairs runs and ends.
        opts.onDone?.({ ok: false, ename: 'ClientError', evalue: 'Stopped: Run ran the editor\'s code instead', cellId });
        return;
      }
      let message = (e as Error).name === 'AbortError' ? 'Stopped' : e instanceof CellClientError ? e.message : `Error: ${(e as Error).message}`;
      // Not the code, which ran before: the controls' values (a long text pasted in a box).
      if (again && e instanceof CellClientError && e.status === 413) message = `The controls' values are too large to send (at most ${MAX_INTERACT_BYTES / 1024} KiB).`;
      // The code's size and the limit: "too large" alone left a reader who pasted a data file
      // in guessing how much to cut. (A linked cell's 413 may be the chain's, so said only
      // where the cell's own code is past the limit.)
      const codeBytes = new TextEncoder().encode(code).length;
      if (!again && e instanceof CellClientError && e.status === 413 && codeBytes > MAX_CODE_BYTES) {
        message = `The code is too large to run here: ${Math.ceil(codeBytes / 1024)} KiB, at most ${MAX_CODE_BYTES / 1024} KiB.`;
      }
      const refusedForNow = again && e instanceof CellClientError && (e.status === 429 || e.status === 503) ? e : null;
      if (refusedForNow) {
        // The controls were moved too often: their latest values (moved meanwhile or not) run
        // once the server's wait is over; the output shown stays until then.
        const waitS = Math.max(1, Math.ceil(refusedForNow.retryAfter ?? 5));
        const why = refusedForNow.status === 429 ? 'Too many runs from this address in a short time' : 'The Cellbox server is busy';
        retryAfter(why, waitS);
      } else setStatus(message, (e as Error).name === 'AbortError' ? null : 'error');
      // With the status line hidden, a failed request must still be seen: in the output.
      if (status.hidden && (e as Error).name !== 'AbortError') output.element.append(el(doc, 'p', 'cb-client-error', message));
      opts.onDone?.({ ok: false, ename: 'ClientError', evalue: message, cellId });
    } finally {
      if (ticker) clearInterval(ticker);
      ticker = null;
      clearTimeout(interruptRetry);
      if (again) output.endReplace(failed);
      setRunning(false);
      if (inFlight === me) inFlight = null;
      ended();
    }
    // Controls moved while it ran: their latest values, in one run.
    if (interactWanted && interactRetry === undefined) void start(true);
  }
  if (opts.autorun) void handle.run();
  return handle;
}

/** The markup that embeds this code in another page: readable without JavaScript. */
export function embedMarkup(server: string, code: string, language: string): string {
  const escaped = code.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<script src="${server}/embed.js" defer></script>\n<pre data-cellbox data-language="${language.replace(/"/g, '&quot;')}">${escaped}</pre>`;
}

function button(doc: Document, cls: string, text: string, title: string, hide: boolean): HTMLButtonElement {
  const b = el(doc, 'button', cls, text);
  b.type = 'button';
  b.title = title;
  b.hidden = hide;
  return b;
}

/** Copies `text`, the button saying how that went for a moment, and `said` (a live region) too. */
async function copyText(b: HTMLButtonElement, text: string, label: string, said: HTMLElement): Promise<void> {
  const result = (await writeClipboard(b, text)) ? 'Copied' : 'Copy failed';
  b.textContent = result;
  said.textContent = result;
  setTimeout(() => {
    b.textContent = label;
    // Emptied, so that the next copy is a change and is read out again.
    said.textContent = '';
  }, 1500);
}
