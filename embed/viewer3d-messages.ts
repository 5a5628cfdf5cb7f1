// The messages between a 3D graphic's place in the output (embed/viewer3d.ts) and Cellbox's
// viewer frame it is shown in (embed/viewer3d-frame.ts), and the checks of their shape. Both
// sides take nothing on trust: the frame runs the cell's page, which can post the page around
// it anything, and the frame hears only the window it is in.

/** Parent → frame: the page to show, with the view to show it from (`view`, when it had one). */
export const PAGE_MESSAGE = 'cellbox-viewer3d';
/** Parent → frame: asks for a still image of the graphic and its view; frame → parent: the answer. */
export const STILL_MESSAGE = 'cellbox-viewer3d-still';
/** Frame → parent: the page has loaded, and shows the view it was given. */
export const SHOWN_MESSAGE = 'cellbox-viewer3d-shown';

/** Where three.js's camera of Sage's page stands and looks: what a reader's turning, zooming and moving changed. */
export interface View {
  position: [number, number, number];
  up: [number, number, number];
  target: [number, number, number];
  zoom: number;
}

/** The still image the frame answers with: a PNG as a data: URL, at most this long (a 4K canvas's is some 5 MB). */
export const STILL_MAX_CHARS = 16 * 1024 * 1024;
const STILL_URL = /^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/;

function isTriple(v: unknown): v is [number, number, number] {
  return Array.isArray(v) && v.length === 3 && v.every((n) => typeof n === 'number' && Number.isFinite(n));
}

export function isView(v: unknown): v is View {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return isTriple(o.position) && isTriple(o.up) && isTriple(o.target) && typeof o.zoom === 'number' && Number.isFinite(o.zoom) && o.zoom > 0;
}

/** A still image the frame may answer with: a PNG data: URL (shown in an <img>, where no script runs), or null. */
export function isStill(v: unknown): v is string | null {
  return v === null || (typeof v === 'string' && v.length <= STILL_MAX_CHARS && STILL_URL.test(v));
}

/** The frame's answer to STILL_MESSAGE, checked: what a page posted in its shape is taken as the frame's own. */
export function readStill(data: unknown): { image: string | null; view: View | null } | null {
  if (typeof data !== 'object' || data === null) return null;
  const o = data as Record<string, unknown>;
  if (o.type !== STILL_MESSAGE || !isStill(o.image) || !(o.view === null || isView(o.view))) return null;
  return { image: o.image, view: o.view };
}
