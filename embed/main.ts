// Entry of the embed script: defines window.Cellbox once, and mounts the page's cells when the
// document is ready unless the page opts out. Loading the script twice mounts nothing twice.
import { EMBED_VERSION, mount, pageConfig, scan, type EmbedOptions, type EmbeddedCell } from './embed';

interface CellboxGlobal {
  version: string;
  /** The Cellbox server cells talk to unless told otherwise: where this script came from. */
  server: string;
  mount(element: HTMLElement, options?: EmbedOptions): EmbeddedCell;
  scan(root?: ParentNode): EmbeddedCell[];
}

declare global {
  interface Window {
    Cellbox?: CellboxGlobal;
  }
}

function scriptServer(): { server: string; autoMount: boolean } {
  const script = document.currentScript as HTMLScriptElement | null;
  const fromSrc = script?.src ? new URL(script.src, location.href).origin : location.origin;
  return {
    server: script?.dataset.server ?? fromSrc,
    autoMount: !['false', '0', 'no', 'off'].includes((script?.dataset.autoMount ?? '').toLowerCase()),
  };
}

if (!window.Cellbox) {
  const { server, autoMount } = scriptServer();
  const api: CellboxGlobal = {
    version: EMBED_VERSION,
    server,
    mount: (element, options) => mount(element, options, server),
    scan: (root = document) => scan(root, server),
  };
  window.Cellbox = api;
  const start = () => {
    if (autoMount && pageConfig(document).autoMount !== false) api.scan();
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
  else start();
}
