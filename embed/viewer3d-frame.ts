// The script of Cellbox's viewer frame for Sage 3D graphics (public/viewer3d/<version>/frame.js,
// from scripts/build.mjs; the frame is made by embed/viewer3d.ts). The cell's page around the
// frame posts Sage's three.js page here, and it is written over this document: its scripts run
// in this sandboxed frame, under the policy Cellbox serves the frame with (scripts from
// Cellbox and the page's own inline ones, nothing fetched from anywhere else).
//
// The page around may later ask for a still image and the camera's view (STILL_MESSAGE) before
// it unloads the frame to free its WebGL context (a browser keeps some 16 alive), and hands the
// view back with the page when it loads the frame again. Sage's page keeps its three.js objects
// in global variables (`camera`, `controls`, `renderer`): the view is read and set through
// them, and a page without them is shown from its own first view.
// It is shown in the cell's colours where the page is Sage's (embed/viewer3d-theme.ts).
// Bundled on its own: it imports only the messages' shapes (embed/viewer3d-messages.ts) and that.

import { PAGE_MESSAGE, SHOWN_MESSAGE, STILL_MESSAGE, isView, type View } from './viewer3d-messages';
import { inTheme, isTheme } from './viewer3d-theme';

interface Vector {
  x: number;
  y: number;
  z: number;
  set(x: number, y: number, z: number): unknown;
}
interface Camera {
  position: Vector;
  up: Vector;
  zoom: number;
  updateProjectionMatrix(): void;
}
interface Controls {
  target: Vector;
  update(): unknown;
  dispatchEvent(event: { type: string }): void;
}

function isVector(v: unknown): v is Vector {
  const o = v as Vector | null;
  return typeof o === 'object' && o !== null && typeof o.x === 'number' && typeof o.y === 'number' && typeof o.z === 'number' && typeof o.set === 'function';
}

/** Sage's page's camera and controls, when it is such a page. */
function threeObjects(): { camera: Camera; controls: Controls } | null {
  const globals = window as unknown as { camera?: Camera; controls?: Controls };
  const { camera, controls } = globals;
  if (!camera || !isVector(camera.position) || !isVector(camera.up) || typeof camera.zoom !== 'number' || typeof camera.updateProjectionMatrix !== 'function') return null;
  if (!controls || !isVector(controls.target) || typeof controls.update !== 'function' || typeof controls.dispatchEvent !== 'function') return null;
  return { camera, controls };
}

const triple = (v: Vector): [number, number, number] => [v.x, v.y, v.z];

function currentView(): View | null {
  const three = threeObjects();
  if (!three) return null;
  const view = { position: triple(three.camera.position), up: triple(three.camera.up), target: triple(three.controls.target), zoom: three.camera.zoom };
  return isView(view) ? view : null;
}

function showView(view: View): void {
  const three = threeObjects();
  if (!three) return;
  three.camera.position.set(...view.position);
  three.camera.up.set(...view.up);
  three.controls.target.set(...view.target);
  three.camera.zoom = view.zoom;
  three.camera.updateProjectionMatrix();
  three.controls.update();
  // Sage's page draws on its controls' change (it draws no frame otherwise); update() says so
  // only when the camera moved, not for a zoom alone.
  three.controls.dispatchEvent({ type: 'change' });
}

/** The graphic as the reader sees it: Sage's renderer keeps its drawing buffer, so its canvas reads back what it drew. */
function still(): string | null {
  const renderer = (window as unknown as { renderer?: { domElement?: unknown } }).renderer;
  const canvas = renderer?.domElement instanceof HTMLCanvasElement ? renderer.domElement : document.querySelector('canvas');
  // A frame hidden (0 by 0, "data:,") or a canvas the page made unreadable has none.
  const url = canvas && canvas.width > 0 && canvas.height > 0 ? canvas.toDataURL('image/png') : '';
  return url.startsWith('data:image/png;base64,') ? url : null;
}

function fromParent(e: MessageEvent): boolean {
  // From the page the frame is in, only: opened alone, or by another frame, it shows nothing.
  return window.parent !== window && e.source === window.parent;
}

function answerStill(e: MessageEvent): void {
  if (!fromParent(e) || (e.data as { type?: unknown } | null)?.type !== STILL_MESSAGE) return;
  let image: string | null = null;
  let view: View | null = null;
  // The page's globals are the page's: a getter of its own that throws leaves the answer empty.
  try {
    view = currentView();
    image = still();
  } catch {
    // as it is
  }
  // '*': the page around has an origin this opaque one cannot name; what is sent is what the frame shows it.
  window.parent.postMessage({ type: STILL_MESSAGE, image, view }, '*');
}

addEventListener('message', (e: MessageEvent) => {
  if (!fromParent(e)) return;
  const data = e.data as { type?: unknown; page?: unknown; view?: unknown; theme?: unknown } | null;
  if (!data || data.type !== PAGE_MESSAGE || typeof data.page !== 'string') return;
  const view = isView(data.view) ? data.view : null;
  const page = isTheme(data.theme) ? inTheme(data.page, data.theme) : data.page;
  // document.open() also removes this listener: one page per frame. The page's relative script
  // names (three.min.js) are read against this document's address, beside it. This script's
  // own variables stay: the window is the same one.
  document.open();
  document.write(page);
  document.close();
  addEventListener('message', answerStill);
  // After the page's scripts (three.js is loaded from beside this document, then Sage's own):
  // its camera exists, and has drawn its first view.
  addEventListener('load', () => {
    try {
      if (view) showView(view);
    } catch {
      // The page's own objects, not three.js's: shown from its first view.
    }
    window.parent.postMessage({ type: SHOWN_MESSAGE }, '*');
  }, { once: true });
});
