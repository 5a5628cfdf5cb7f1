// A Sage 3D graphic in the output: Sage's three.js page (THREEJS_MIME, made by
// workers/python/sage.py) shown in a frame of its own. The page is the cell's, and it is script:
// it runs in an `<iframe sandbox="allow-scripts">` (no allow-same-origin: an opaque origin, so
// it reaches neither the page the cell is on nor Cellbox's origin, its API as a same-origin
// caller), whose document is Cellbox's viewer frame (public/viewer3d/, built by
// scripts/build.mjs), served with a policy that lets it load scripts from Cellbox alone
// (app/_lib/assets.ts). The page is handed to the frame by postMessage, never put in this
// document: a cell's HTML runs no script in the page that embeds it.
//
// The frame is live only while the graphic is in or near the viewport (embed/viewer3d-live.ts:
// a browser keeps some 16 WebGL contexts alive, and a textbook page has more graphics). Away
// from it, the graphic is a still image of itself, which its frame made of its current view
// just before it was removed; brought near again, the frame is loaded again and shown from
// that view, so a reader's turning survives scrolling away and back.

import { keepLiveWhenNear, type LiveSlot } from './viewer3d-live';
import { PAGE_MESSAGE, SHOWN_MESSAGE, STILL_MESSAGE, readStill, type View } from './viewer3d-messages';

/** The MIME type of a Sage 3D graphic's three.js page in a display_data bundle. */
export const THREEJS_MIME = 'application/vnd.cellbox.threejs+html';

/**
 * The viewer frame's document, with three.js r122 (what Sage's page is written for) beside it.
 * Versioned, and served for a year: a new three.js or a new frame gets a new folder
 * (VIEWER3D_DIR in scripts/build.mjs).
 */
export const VIEWER3D_PATH = '/viewer3d/r122-2/frame.html';

/** The frame's title, and its still image's text: what the graphic is, and how to turn it. */
const TITLE = '3D graphic: drag to turn it, scroll to zoom, right-drag to move it';

/** How long a frame has to answer for its still before it is unloaded without one (the page's script may be stuck). */
const STILL_WAIT_MS = 2000;
/** How long the still stays over a frame loading again, at most, when the frame never says it is shown. */
const SHOWN_WAIT_MS = 5000;

class Graphic implements LiveSlot {
  readonly box: HTMLElement;
  private frame: HTMLIFrameElement | null = null;
  /** The graphic while its frame is away or loading: the last still, or only its text before there is one. */
  private readonly still: HTMLImageElement;
  private view: View | null = null;
  /** Whether the live frame said it has drawn: before, it has no still to give, nor a view other than the one it was given. */
  private drawn = false;
  private parking: ReturnType<typeof setTimeout> | null = null;
  private covering: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly doc: Document,
    private readonly page: string,
    private readonly frameUrl: string,
  ) {
    this.box = graphicElement(doc, () => keepLiveWhenNear(this));
    this.box.className = 'cb-viewer3d-box';
    this.still = doc.createElement('img');
    this.still.className = 'cb-viewer3d-still';
    this.still.alt = TITLE;
    this.box.append(this.still);
  }

  get live(): boolean {
    return this.frame !== null;
  }

  get source(): Window | null {
    return this.frame?.contentWindow ?? null;
  }

  wake(): void {
    if (this.parking !== null) {
      // Back before it was unloaded: it stays as it is.
      clearTimeout(this.parking);
      this.parking = null;
    }
    if (this.frame) return;
    const frame = this.doc.createElement('iframe');
    frame.className = 'cb-viewer3d';
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.title = TITLE;
    frame.src = this.frameUrl;
    // At each load of the frame's document: the frame's own script listens before its load
    // event, and takes the first page it is sent. Not once: a frame that the page it is on moves
    // (a tab or slide put elsewhere) loads its document again, and showed nothing. The page's own
    // loads (its document written, or its own navigation) are sent it again, and take it or not.
    // '*': a sandboxed frame's origin is opaque, and no name matches it; what is sent is the
    // cell's output, which the frame's page has already, and the view it sent us.
    frame.addEventListener('load', () => {
      keepLiveWhenNear(this);
      frame.contentWindow?.postMessage({ type: PAGE_MESSAGE, page: this.page, view: this.view, theme: this.theme() }, '*');
    });
    this.frame = frame;
    this.drawn = false;
    // Under the still until it has drawn: no blank box between the two.
    this.box.prepend(frame);
    this.covering = setTimeout(() => this.uncover(), SHOWN_WAIT_MS);
  }

  /** The output's colour scheme here (embed/styles.ts: the cell's theme, the page's, or the reader's system). */
  private theme(): 'light' | 'dark' {
    const view = this.doc.defaultView;
    return view?.getComputedStyle(this.box).getPropertyValue('--cb-out-scheme').trim() === 'dark' ? 'dark' : 'light';
  }

  park(): void {
    if (!this.frame || this.parking !== null) return;
    // Not drawn yet (scrolled past at once), it would answer nothing, and hold a WebGL context
    // while it was waited for; gone from the page, it has no document left to answer.
    if (!this.drawn || !this.frame.isConnected || !this.frame.contentWindow) return this.unload();
    this.frame.contentWindow.postMessage({ type: STILL_MESSAGE }, '*');
    this.parking = setTimeout(() => this.unload(), STILL_WAIT_MS);
  }

  receive(data: unknown): void {
    if ((data as { type?: unknown } | null)?.type === SHOWN_MESSAGE) {
      this.drawn = true;
      return this.uncover();
    }
    if (this.parking === null) return;
    const answer = readStill(data);
    if (!answer) return;
    if (answer.image) this.still.src = answer.image;
    if (answer.view) this.view = answer.view;
    this.unload();
  }

  private uncover(): void {
    if (this.covering !== null) clearTimeout(this.covering);
    this.covering = null;
    if (this.frame) this.still.remove();
  }

  /** Removes the frame, and with it its document and WebGL context; the still takes its place. */
  private unload(): void {
    if (this.parking !== null) clearTimeout(this.parking);
    if (this.covering !== null) clearTimeout(this.covering);
    this.parking = this.covering = null;
    this.frame?.remove();
    this.frame = null;
    this.box.append(this.still);
  }
}

/** The graphic's element, and the tag it is defined as in the page's window. */
const GRAPHIC_TAG = 'cellbox-viewer3d';
type GraphicElement = HTMLElement & { cellboxConnected?: () => void };

/**
 * An element that calls `connected` each time it is put in a document. Taken out of the page
 * (a single-page app's view left, to come back) a graphic is let go by its registry
 * (embed/viewer3d-live.ts), which must then watch it again once it is back: no event says so,
 * inside a shadow root least of all, but a custom element's connectedCallback does. Without
 * it, a graphic put back as a still came to life only under the reader's pointer. Defined
 * once per window: by whichever copy of the embed script (embed.js and embed/v1.js on one
 * page) comes first, the property it calls being the same for both.
 */
function graphicElement(doc: Document, connected: () => void): HTMLElement {
  const view = doc.defaultView as (Window & typeof globalThis) | null;
  const registry = view?.customElements;
  if (!view || !registry) return doc.createElement('div');
  if (!registry.get(GRAPHIC_TAG)) {
    registry.define(GRAPHIC_TAG, class extends view.HTMLElement {
      connectedCallback(this: GraphicElement): void {
        this.cellboxConnected?.();
      }
    });
  }
  const e = doc.createElement(GRAPHIC_TAG) as GraphicElement;
  e.cellboxConnected = connected;
  return e;
}

/** The graphic that shows `page`, its frame's document loaded from `frameUrl` (VIEWER3D_PATH on the cell's server). */
export function viewer3d(doc: Document, page: string, frameUrl: string): HTMLElement {
  const graphic = new Graphic(doc, page, frameUrl);
  keepLiveWhenNear(graphic);
  return graphic.box;
}
