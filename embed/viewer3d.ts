// A Sage 3D graphic in the output: Sage's three.js page (THREEJS_MIME, made by
// workers/python/sage.py) shown in a frame of its own. The page is the cell's, and it is script:
// it runs in an `<iframe sandbox="allow-scripts">` (no allow-same-origin: an opaque origin, so
// it reaches neither the page the cell is on nor Cellbox's origin, its API as a same-origin
// caller), whose document is Cellbox's viewer frame (public/viewer3d/, built by
// scripts/build.mjs), served with a policy that lets it load scripts from Cellbox alone
// (app/_lib/assets.ts). The page is handed to the frame by postMessage, never put in this
// document: a cell's HTML runs no script in the page that embeds it.

/** The MIME type of a Sage 3D graphic's three.js page in a display_data bundle. */
export const THREEJS_MIME = 'application/vnd.cellbox.threejs+html';

/**
 * The viewer frame's document, with three.js r122 (what Sage's page is written for) beside it.
 * Versioned, and served for a year: a new three.js or a new frame gets a new folder
 * (VIEWER3D_DIR in scripts/build.mjs).
 */
export const VIEWER3D_PATH = '/viewer3d/r122-1/frame.html';

/** The message that carries the page into the frame (embed/viewer3d-frame.ts reads it). */
export const VIEWER3D_MESSAGE = 'cellbox-viewer3d';

/** The frame that shows `page`, its document loaded from `frameUrl` (VIEWER3D_PATH on the cell's server). */
export function viewer3d(doc: Document, page: string, frameUrl: string): HTMLIFrameElement {
  const frame = doc.createElement('iframe');
  frame.className = 'cb-viewer3d';
  frame.setAttribute('sandbox', 'allow-scripts');
  frame.title = '3D graphic: drag to turn it, scroll to zoom, right-drag to move it';
  frame.src = frameUrl;
  // At each load of the frame's document: the frame's own script listens before its load
  // event, and takes the first page it is sent. Not once: a frame that the page it is on moves
  // (a tab or slide put elsewhere) loads its document again, and showed nothing. The page's own
  // loads (its document written, or its own navigation) are sent it again, and take it or not.
  // '*': a sandboxed frame's origin is opaque, and no name matches it; what is sent is the
  // cell's output, which the frame's page has already.
  frame.addEventListener('load', () => frame.contentWindow?.postMessage({ type: VIEWER3D_MESSAGE, page }, '*'));
  return frame;
}
