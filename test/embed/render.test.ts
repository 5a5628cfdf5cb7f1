// The renderer's pure parts: which MIME type wins, carriage returns, math kept out of
// markdown, sizes, and cutting the middle of huge output.
import { describe, expect, it } from 'vitest';
import { applyBackspaces, applyCarriageReturns, chooseMime, formatSize, htmlDepth, imageAlt, mathLength, protectMath, restoreMath, truncateMiddle, visibleName } from '../../embed/render';
import { standardDelimiters } from '../../embed/math-delimiters';
import { THREEJS_MIME } from '../../embed/viewer3d';
import { FILES_MIME } from '../../protocol/messages';

describe('chooseMime', () => {
  const cases: [string, Record<string, unknown>, string | null][] = [
    ['html over plain', { 'text/plain': 'x', 'text/html': '<b>x</b>' }, 'text/html'],
    // Jupyter's order: math and markdown over a picture of them, as the notebook and JupyterLab show.
    ['latex over png', { 'text/latex': '$x$', 'image/png': 'AA==' }, 'text/latex'],
    ['markdown over png', { 'image/png': 'AA==', 'text/markdown': '# a' }, 'text/markdown'],
    ['html over markdown', { 'text/markdown': '# a', 'text/html': '<h1>a</h1>' }, 'text/html'],
    ['svg over png', { 'image/png': 'AA==', 'image/svg+xml': '<svg/>' }, 'image/svg+xml'],
    // JupyterLab shows WebP and BMP images: alone in a bundle they were nothing here.
    ['webp alone', { 'image/webp': 'UklGRg==' }, 'image/webp'],
    ['bmp over plain', { 'text/plain': '<image>', 'image/bmp': 'Qk0=' }, 'image/bmp'],
    ['latex over plain', { 'text/plain': 'x', 'text/latex': '$x$' }, 'text/latex'],
    ['files first', { 'text/html': '<ul>', [FILES_MIME]: { files: [] } }, FILES_MIME],
    ['unknown types alone', { 'application/x-unknown': 1 }, null],
    ['markdown over json', { 'application/json': {}, 'text/markdown': '# a' }, 'text/markdown'],
    // A Sage 3D graphic's page is the graphic itself: over any picture or text of it.
    ['3D viewer over png, html and plain', { 'text/plain': 'Graphics3d Object', 'image/png': 'AA==', 'text/html': '<p>', [THREEJS_MIME]: '<!DOCTYPE html>' }, THREEJS_MIME],
  ];
  for (const [name, data, want] of cases) it(name, () => expect(chooseMime(data)).toBe(want));
});

describe('imageAlt', () => {
  it("is the words the bundle has for the picture, its angle brackets off, read as 'less than'", () => {
    expect(imageAlt({ 'image/png': 'AA==', 'text/plain': '<Figure size 640x480 with 1 Axes>' })).toBe('Figure size 640x480 with 1 Axes');
    expect(imageAlt({ 'image/png': 'AA==', 'text/plain': 'Graphics object consisting of 1 graphics primitive' })).toBe('Graphics object consisting of 1 graphics primitive');
    expect(imageAlt({ 'image/svg+xml': '<svg/>', 'text/plain': ['a ', 'plot'] })).toBe('a plot');
  });

  it("is 'output image' where those words say nothing of the picture, or there are none", () => {
    expect(imageAlt({ 'image/png': 'AA==', 'text/plain': '<IPython.core.display.Image object>' })).toBe('output image');
    expect(imageAlt({ 'image/png': 'AA==', 'text/plain': '<PIL.Image.Image object at 0x7f3a2c1b9d90>' })).toBe('output image');
    expect(imageAlt({ 'image/png': 'AA==' })).toBe('output image');
    expect(imageAlt({ 'image/png': 'AA==', 'text/plain': '  ' })).toBe('output image');
    expect(imageAlt({ 'image/png': 'AA==', 'text/plain': 'x'.repeat(301) })).toBe('output image');
  });
});

describe('applyCarriageReturns', () => {
  it('overwrites the line like a terminal', () => {
    expect(applyCarriageReturns('10%\r50%\r100%\ndone')).toBe('100%\ndone');
    expect(applyCarriageReturns('abcdef\rXY')).toBe('XYcdef');
    expect(applyCarriageReturns('a\r\nb')).toBe('a\nb');
    expect(applyCarriageReturns('plain')).toBe('plain');
    // One character over one, an emoji (two UTF-16 units) as one: never half of one left.
    expect(applyCarriageReturns('😀😀😀😀\rabc')).toBe('abc😀');
    expect(applyCarriageReturns('abcd\r😀😀')).toBe('😀😀cd');
    expect(applyCarriageReturns('進捗 10%\r進捗 100%')).toBe('進捗 100%');
  });
});

describe('applyBackspaces', () => {
  it('takes back the character before each backspace on its line, as Jupyter does', () => {
    expect(applyBackspaces('back\b\b\bXYZ')).toBe('bXYZ');
    expect(applyBackspaces('ab\n\bc')).toBe('ab\nc');
    expect(applyBackspaces('\b\bx')).toBe('x');
    expect(applyBackspaces('spin |\b/\b-\b\\\bdone')).toBe('spin done');
    expect(applyBackspaces('plain')).toBe('plain');
  });
});

describe('protectMath', () => {
  it('keeps $…$ and $$…$$ away from markdown and restores them escaped', () => {
    const { text, math } = protectMath('Area $a_1 * b_2$ and $$\\int_0^1 x\\,dx$$ cost $5 and $6');
    expect(math).toEqual(['$a_1 * b_2$', '$$\\int_0^1 x\\,dx$$']);
    expect(text).not.toContain('a_1');
    expect(text).toContain('cost $5 and $6');
    expect(restoreMath(`<p>${text}</p>`, math)).toContain('\\(a_1 * b_2\\)');
    expect(restoreMath('@@CBMATH0@@', ['$a<b$'])).toBe('\\(a&#60;b\\)');
    // The cell's own text may spell a marker: with no math under that number it stays text.
    expect(restoreMath('<p>see @@CBMATH3@@</p>', [])).toBe('<p>see @@CBMATH3@@</p>');
  });
});

describe('standardDelimiters', () => {
  it('turns dollars into the delimiters every MathJax knows, leaving prices and \\[…\\] alone', () => {
    expect(standardDelimiters('$\\displaystyle x^{2}$')).toBe('\\(\\displaystyle x^{2}\\)');
    expect(standardDelimiters('$$\n\\int f$$ and $y$')).toBe('\\[\n\\int f\\] and \\(y\\)');
    expect(standardDelimiters('costs $5 and $ 6, \\[z\\]')).toBe('costs $5 and $ 6, \\[z\\]');
  });
});

describe('formatSize and truncateMiddle', () => {
  it('formats sizes', () => {
    expect([formatSize(5), formatSize(2048), formatSize(5 * 1024 * 1024)]).toEqual(['5 B', '2.0 KiB', '5.0 MiB']);
  });
  it('keeps head and tail and says how much was cut', () => {
    const t = 'a'.repeat(80) + 'b'.repeat(20) + 'c'.repeat(900) + 'z'.repeat(20);
    const r = truncateMiddle(t, 100);
    expect(r.cut).toBe(t.length - 100);
    expect(r.text.length).toBe(100);
    expect(r.text.startsWith('a'.repeat(80))).toBe(true);
    expect(r.text.endsWith('z'.repeat(20))).toBe(true);
    expect(truncateMiddle('short', 100)).toEqual({ text: 'short', cut: 0, headEnd: 5 });
  });
});

describe('visibleName', () => {
  it('writes out the bidirectional controls that would make a name read as another', () => {
    expect(visibleName('\u202Egnp.exe')).toBe('\\u202egnp.exe');
    expect(visibleName('a\u2066b\u2069\u200f.txt')).toBe('a\\u2066b\\u2069\\u200f.txt');
    expect(visibleName('日本語 ünï.csv')).toBe('日本語 ünï.csv');
  });
});

describe('mathLength', () => {
  it('counts the TeX inside math delimiters, not the text around it', () => {
    // Prices read as math here: an over-count, which only errs toward typesetting less.
    expect(mathLength('no math, $5 and $6 dollars')).toBe('$5 and $'.length);
    expect(mathLength('<p>see \\(x^2\\) and \\[y\\]</p>')).toBe('\\(x^2\\)'.length + '\\[y\\]'.length);
    expect(mathLength('$$a$$ then $b$')).toBe(5 + 3);
    expect(mathLength('plain')).toBe(0);
  });
});

describe('htmlDepth', () => {
  it('counts how deep elements nest, not how many there are', () => {
    expect(htmlDepth('<div><span>a</span><b>b</b></div>')).toBe(2);
    expect(htmlDepth('<table><tr><td>1<td>2<tr><td>3</table>')).toBe(1);
    expect(htmlDepth('<p>a<p>b<br><img src=x><hr/><svg><path d="M0"/></svg>')).toBe(1);
    expect(htmlDepth('<div>'.repeat(50_000))).toBe(50_000);
    expect(htmlDepth('<DIV class="a">'.repeat(300) + '</div>'.repeat(300) + '<i>x</i>')).toBe(300);
  });

  it('stops once past its bound, and stays linear on tags that never close', () => {
    expect(htmlDepth('<div>'.repeat(50_000), 256)).toBe(257);
    expect(htmlDepth('<a'.repeat(200_000))).toBe(0);
  });
});
