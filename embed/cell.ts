// One cell's DOM, shared by Cellbox's page and the embed: the editor, the language choice,
// Run/Stop with elapsed time and a status line, copy and reset, and the output area.
import type { LanguageInfo } from '../protocol/api';
import type { ErrorContent, Message } from '../protocol/messages';
import { CellClientError, interruptCell, listLanguages, runCell } from './client';
import { CELL_CSS } from './cell-styles';
import { createEditor } from './editor';
import { mathjaxTypesetter } from './mathjax';
import { createOutputArea } from './render';
import { OUTPUT_CSS, ensureStyles } from './styles';

export interface CellOptions {
  code: string;
  language: string;
  /** Base URL of the Cellbox server ('' for the page's own origin). */
  server?: string;
  /** The languages to offer; fetched from the server when absent. */
  languages?: LanguageInfo[];
  readOnly?: boolean;
  /** Called with each message as it arrives, and when a run ends. */
  onMessage?: (m: Message) => void;
  onDone?: (r: { ok: boolean; ename?: string; cellId: string | null }) => void;
}

export interface CellHandle {
  readonly element: HTMLElement;
  run(): Promise<void>;
  stop(): Promise<void>;
  readonly code: string;
  reset(): void;
  destroy(): void;
}

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function formatElapsed(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function mountCell(container: HTMLElement, opts: CellOptions): CellHandle {
  const doc = container.ownerDocument;
  const server = opts.server ?? '';
  const root = container.getRootNode() as Document | ShadowRoot;
  ensureStyles(root, 'cellbox-cell', CELL_CSS);
  ensureStyles(root, 'cellbox-output', OUTPUT_CSS);

  const original = opts.code;
  let language = opts.language;
  const cell = el(doc, 'div', 'cb-cell');
  const editorBox = el(doc, 'div', 'cb-editor');
  const bar = el(doc, 'div', 'cb-bar');
  const select = el(doc, 'select', 'cb-lang');
  select.setAttribute('aria-label', 'Language');
  const runButton = el(doc, 'button', 'cb-run', 'Run');
  runButton.type = 'button';
  runButton.title = 'Run (Shift+Enter)';
  const status = el(doc, 'span', 'cb-status');
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  const spacer = el(doc, 'span', 'cb-spacer');
  const copyButton = el(doc, 'button', 'cb-copy', 'Copy');
  copyButton.type = 'button';
  copyButton.title = 'Copy the code';
  const resetButton = el(doc, 'button', 'cb-reset', 'Reset');
  resetButton.type = 'button';
  resetButton.title = 'Back to the original code';
  resetButton.hidden = true;
  bar.append(select, runButton, status, spacer, copyButton, resetButton);
  const output = createOutputArea(doc, { serverBase: server, typeset: mathjaxTypesetter(doc, server) });
  cell.append(editorBox, bar, output.element);
  container.append(cell);

  const editor = createEditor(editorBox, {
    code: original,
    mode: language,
    readOnly: opts.readOnly,
    onRun: () => void (running ? undefined : handle.run()),
    onChange: () => {
      resetButton.hidden = editor.getCode() === original;
    },
  });

  function fillLanguages(list: LanguageInfo[]): void {
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
    modes = new Map(list.map((l) => [l.name, l.codemirror_mode]));
    editor.setMode(modes.get(language) ?? language);
  }
  let modes = new Map<string, string>();
  fillLanguages(opts.languages ?? [{ name: language, display_name: language, version: '', file_extension: '', codemirror_mode: language }]);
  if (!opts.languages) listLanguages(server).then((l) => fillLanguages(l as LanguageInfo[]), () => {});
  select.addEventListener('change', () => {
    language = select.value;
    editor.setMode(modes.get(language) ?? language);
  });

  let running = false;
  let cellId: string | null = null;
  let controller: AbortController | null = null;
  let ticker: ReturnType<typeof setInterval> | null = null;

  function setRunning(on: boolean): void {
    running = on;
    runButton.textContent = on ? 'Stop' : 'Run';
    runButton.title = on ? 'Stop the running cell' : 'Run (Shift+Enter)';
    runButton.classList.toggle('cb-stop', on);
    cell.classList.toggle('cb-running', on);
  }

  runButton.addEventListener('click', () => void (running ? handle.stop() : handle.run()));
  copyButton.addEventListener('click', () => {
    void navigator.clipboard?.writeText(editor.getCode()).then(
      () => (copyButton.textContent = 'Copied'),
      () => (copyButton.textContent = 'Copy failed'),
    );
    setTimeout(() => (copyButton.textContent = 'Copy'), 1500);
  });
  resetButton.addEventListener('click', () => handle.reset());

  const handle: CellHandle = {
    element: cell,
    get code() {
      return editor.getCode();
    },
    async run() {
      if (running) return;
      controller = new AbortController();
      output.clear();
      cellId = null;
      setRunning(true);
      const started = performance.now();
      status.textContent = 'Running…';
      ticker = setInterval(() => (status.textContent = `Running… ${formatElapsed(performance.now() - started)}`), 100);
      let error: ErrorContent | null = null;
      try {
        await runCell(editor.getCode(), language, {
          server,
          signal: controller.signal,
          onCreated: (id) => (cellId = id),
          onMessage: (m) => {
            if (m.header.msg_type === 'error') error = m.content as ErrorContent;
            output.handle(m);
            opts.onMessage?.(m);
          },
        });
        const e = error as ErrorContent | null;
        status.textContent = e ? `Error: ${e.ename}` : `Done in ${formatElapsed(performance.now() - started)}`;
        opts.onDone?.({ ok: !e, ename: e?.ename, cellId });
      } catch (e) {
        if ((e as Error).name === 'AbortError') status.textContent = 'Stopped';
        else status.textContent = e instanceof CellClientError ? e.message : `Error: ${(e as Error).message}`;
        opts.onDone?.({ ok: false, ename: 'ClientError', cellId });
      } finally {
        if (ticker) clearInterval(ticker);
        ticker = null;
        setRunning(false);
      }
    },
    async stop() {
      if (!running) return;
      status.textContent = 'Stopping…';
      if (cellId) {
        // The server ends the cell with Interrupted; the long-poll brings that home.
        await interruptCell(cellId, server).catch(() => controller?.abort());
      } else {
        controller?.abort();
      }
    },
    reset() {
      editor.setCode(original);
      resetButton.hidden = true;
    },
    destroy() {
      controller?.abort();
      if (ticker) clearInterval(ticker);
      editor.view.destroy();
      cell.remove();
    },
  };
  return handle;
}
