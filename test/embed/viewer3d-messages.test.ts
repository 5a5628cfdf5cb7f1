// What the page around a 3D graphic takes from its frame (embed/viewer3d-messages.ts): the frame
// runs the cell's page, which can post anything in the frame's name, so only a PNG still and a
// view of finite numbers are taken.
import { describe, expect, it } from 'vitest';
import { STILL_MAX_CHARS, STILL_MESSAGE, isView, readStill } from '../../embed/viewer3d-messages';

const view = { position: [1, 2, 3], up: [0, 0, 1], target: [0, 0, 0], zoom: 1 };
const png = 'data:image/png;base64,iVBORw0KGgo=';

describe("a 3D graphic frame's still and view", () => {
  it('takes a PNG data: URL and a view of finite numbers', () => {
    expect(readStill({ type: STILL_MESSAGE, image: png, view })).toEqual({ image: png, view });
    expect(readStill({ type: STILL_MESSAGE, image: null, view: null })).toEqual({ image: null, view: null });
  });

  it('refuses any other image: another type, another scheme, markup, or past the size', () => {
    for (const image of ['data:image/svg+xml;base64,PHN2Zz4=', 'javascript:alert(1)', 'https://elsewhere.example/x.png', 'data:image/png;base64,AA"><script>', 'data:,', `data:image/png;base64,${'A'.repeat(STILL_MAX_CHARS)}`, 42]) {
      expect(readStill({ type: STILL_MESSAGE, image, view }), String(image).slice(0, 40)).toBeNull();
    }
  });

  it('refuses a view with a missing, non-finite or extra-long part, and other messages', () => {
    expect(isView(view)).toBe(true);
    expect(isView({ ...view, zoom: 0 })).toBe(false);
    expect(isView({ ...view, position: [1, 2, Infinity] })).toBe(false);
    expect(isView({ ...view, up: [0, 0, 1, 0] })).toBe(false);
    expect(isView({ ...view, target: ['0', 0, 0] })).toBe(false);
    expect(isView(null)).toBe(false);
    expect(readStill({ type: STILL_MESSAGE, image: png, view: { ...view, zoom: NaN } })).toBeNull();
    expect(readStill({ type: 'cellbox-viewer3d', image: png, view })).toBeNull();
    expect(readStill('still')).toBeNull();
  });
});
