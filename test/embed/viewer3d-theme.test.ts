// Sage's three.js page in the cell's colours (embed/viewer3d-theme.ts), on the options line as
// Sage 9.5's _rich_repr_threejs writes it into threejs_template.html.
import { describe, expect, it } from 'vitest';
import { inTheme } from '../../embed/viewer3d-theme';

const sagePage = (theme: string) => `<script>

    var options = {"animate": false, "aspectRatio": [1.0, 1.0, 1.0], "axesLabels": ["x", "y", "z"], "frame": true, "projection": "perspective", "theme": "${theme}", "viewpoint": false};
    var animate = options.animate;
    if ( options.theme === 'dark' )
        document.body.className = 'dark-theme';
    var label = "theme": "light";
</script>`;

describe("a 3D graphic's page in the cell's colours", () => {
  it("draws Sage's light page dark in a dark cell, its options alone", () => {
    const dark = inTheme(sagePage('light'), 'dark');
    expect(dark).toBe(sagePage('light').replace('"theme": "light", "viewpoint"', '"theme": "dark", "viewpoint"'));
    expect(dark).toContain('var label = "theme": "light"');
  });

  it("leaves a page Sage made dark, a light cell's page, and a page not Sage's as they are", () => {
    expect(inTheme(sagePage('dark'), 'dark')).toBe(sagePage('dark'));
    expect(inTheme(sagePage('light'), 'light')).toBe(sagePage('light'));
    const other = '<p>"theme": "light"</p><script>var options = 1;</script>';
    expect(inTheme(other, 'dark')).toBe(other);
  });
});
