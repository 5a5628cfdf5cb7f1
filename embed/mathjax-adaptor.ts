// Changes to Cellbox's own MathJax's DOM adaptor (its adaptors/HTMLAdaptor class), made before
// MathJax starts: its sinks of HTML and script URLs, written so that a host page requiring
// Trusted Types allows them (embed/trusted-types.ts). A page's own MathJax is left as the page
// configured it.
import { POLICY_NAME, allowScriptsUnder, trustedHTML, trustedScriptURL } from './trusted-types';

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

export function adaptForTrustedTypes(adaptor: MathjaxAdaptorClass, doc: Document): void {
  const win = doc.defaultView!;
  const proto = adaptor.prototype;

  // A <style> MathJax makes takes what is set as its innerHTML as its text: MathJax 4's
  // explorer writes its live region's CSS so, and typesetting failed on the refused string.
  // A style's content is text, never markup: nothing else changes.
  const create = proto.create;
  proto.create = function (kind, ns) {
    const made = create.call(this, kind, ns);
    if (made instanceof win.HTMLStyleElement) {
      Object.defineProperty(made, 'innerHTML', {
        configurable: true,
        get: () => made.textContent,
        set: (css: string) => void (made.textContent = css),
      });
    }
    return made;
  };

  // The MathML of a formula, parsed (for its speech) into an inert document.
  proto.parse = function (text, type = 'text/html') {
    return new win.DOMParser().parseFromString(trustedHTML(win, text) as string, type as DOMParserSupportedType);
  };

  // MathJax's speech rules run in a worker of a blob: URL (a worker's script must be of the
  // page's origin), which loads speech-worker.js from the Cellbox server. Both URLs go through
  // the policy: the blob's here, and the script's inside the worker, which inherits the page's
  // policy and makes a `cellbox` policy of its own that lets that one URL through.
  proto.createWorker = async function (listener, { path, maps, worker }) {
    const script = `${path}/${worker}`;
    const source = `self.maps = ${JSON.stringify(maps)};
const script = ${JSON.stringify(script)};
let url = script;
try {
  if (self.trustedTypes) url = self.trustedTypes.createPolicy(${JSON.stringify(POLICY_NAME)}, { createScriptURL: (u) => { if (u !== script) throw new TypeError('not the speech worker'); return u; } }).createScriptURL(script);
} catch {}
importScripts(url);`;
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
