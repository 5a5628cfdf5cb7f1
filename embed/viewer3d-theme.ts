// Sage's three.js page in the colours of the cell it is shown in. Sage draws a graphic light
// (white background, black frame, labels and mesh lines) or dark (black, and white ones) by one
// option of its page, `theme`, written into it as JSON (`var options = {..., "theme": "light",
// ...};`, sage/ext_data/threejs/threejs_template.html); its default is light, which a dark
// cell showed as a white box. A page Sage made dark stays dark; a page not Sage's, unchanged.
// Used by the viewer frame's script (embed/viewer3d-frame.ts), before it writes the page.

/** The cell's scheme, as the frame is told it. */
export type Theme = 'light' | 'dark';

export function isTheme(v: unknown): v is Theme {
  return v === 'light' || v === 'dark';
}

/** Sage's options line, up to the light theme in it: JSON on one line, keys sorted or not. */
const LIGHT_OPTIONS = /^(\s*var options = \{[^\n]*?"theme": )"light"/m;

/** `page` drawn in `theme` where it is Sage's page in the light one. */
export function inTheme(page: string, theme: Theme): string {
  return theme === 'dark' ? page.replace(LIGHT_OPTIONS, '$1"dark"') : page;
}
