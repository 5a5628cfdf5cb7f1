// Changes to Cellbox's own MathJax's DOM adaptor (its adaptors/HTMLAdaptor class), made before
// MathJax starts: its stylesheets, and its sinks of HTML and script URLs, written so that a host
// page's Content-Security-Policy allows them, with no inline style and under Trusted Types
// (embed/trusted-types.ts). A page's own MathJax is left as the page configured it.
import { POLICY_NAME, allowScriptsUnder, trustedHTML, trustedScriptURL } from './trusted-types';

/** The element MathJax gets for a <style> it makes. */
export const STYLE_STANDIN = 'cellbox-mathjax-style';

interface WorkerOptions {
  path: string;
  maps: string;
  worker: string;
}

/** The part of MathJax's HTMLAdaptor class changed here. */
export interface MathjaxAdaptorClass {
  prototype: {
    create(kind: string, ns?: string): unknown;
    parse(text: string, type?: string): unknown;
    createWorker(listener: (e: MessageEvent) => void, options: WorkerOptions): Promise<Worker>;
  };
}

export function adaptToPagePolicy(adaptor: MathjaxAdaptorClass, doc: Document): void {
  const win = doc.defaultView!;
  const proto = adaptor.prototype;

  // A stylesheet MathJax makes is a stand-in element, not a <style>, whose CSS goes to a sheet
  // the document adopts, answered for as its `sheet`. A <style> put in the head is refused,
  // even empty, where the page's style-src has no 'unsafe-inline' (its sheet then null, on which
  // the typesetting failed: MathJax's explorer changes its live regions' colours through it),
  // and a plain string as its innerHTML where the page requires Trusted Types. Its own sheet
  // (CHTML's) embed/mathjax-styles.ts keeps out of the head.
  const create = proto.create;
  proto.create = function (kind, ns) {
    if (kind !== 'style' || ns) return create.call(this, kind, ns);
    const made = doc.createElement(STYLE_STANDIN);
    made.hidden = true;
    let sheet: CSSStyleSheet | null = null;
    const write = (css: string) => {
      if (!sheet) {
        sheet = new win.CSSStyleSheet();
        doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
      }
      sheet.replaceSync(css);
    };
    Object.defineProperty(made, 'innerHTML', {
      configurable: true,
      get: () => made.textContent,
      set: (css: string) => {
        made.textContent = css;
        write(css);
      },
    });
    Object.defineProperty(made, 'sheet', { configurable: true, get: () => sheet });
    return made;
  };

  // MathJax's context menu (off: enableMenu is false, but it is set up all the same) puts its
  // own <style> in the head, made without the adaptor, unless one of that id is there already.
  // A stand-in takes its place: no menu is shown to need it.
  if (!doc.getElementById('MJX-Menu-styles')) {
    const menu = doc.createElement(STYLE_STANDIN);
    menu.id = 'MJX-Menu-styles';
    menu.hidden = true;
    doc.head.append(menu);
  }

  // The MathML of a formula, parsed (for its speech) into an inert document.
  proto.parse = function (text, type = 'text/html') {
    return new win.DOMParser().parseFromString(trustedHTML(win, text) as string, type as DOMParserSupportedType);
  };

  // MathJax's speech rules run in a worker of a blob: URL (a worker's script must be of the
  // page's origin). Its code, speech-worker.js from the Cellbox server, is fetched here and
  // put in the blob: loaded by importScripts inside the worker, it was refused where the page's
  // script-src allows scripts by nonce alone (a worker's imports cannot carry one), while a
  // fetch is connect-src's, which names the server already. Should the fetch fail, the worker
  // imports it as it did. The blob's URL goes through the policy; in the worker, which inherits
  // the page's policy, the import makes a `cellbox` policy of its own for that one URL.
  proto.createWorker = async function (listener, { path, maps, worker }) {
    const script = `${path}/${worker}`;
    const code = await win.fetch(script).then((r) => (r.ok ? r.text() : null)).catch(() => null);
    const source = `self.maps = ${JSON.stringify(maps)};
${code ?? `const script = ${JSON.stringify(script)};
let url = script;
try {
  if (self.trustedTypes) url = self.trustedTypes.createPolicy(${JSON.stringify(POLICY_NAME)}, { createScriptURL: (u) => { if (u !== script) throw new TypeError('not the speech worker'); return u; } }).createScriptURL(script);
} catch {}
importScripts(url);`}`;
    const blob = win.URL.createObjectURL(new win.Blob([source], { type: 'text/javascript' }));
    const forget = allowScriptsUnder(blob);
    try {
      const w = new win.Worker(trustedScriptURL(win, blob) as string);
      w.onmessage = listener;
      return w;
    } finally {
      forget();
      win.URL.revokeObjectURL(blob);
    }
  };
}
