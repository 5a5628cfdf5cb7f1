// A Sage cell in a real browser against the real server and device: a plot appears as an
// image, and an integral is typeset by the MathJax Cellbox serves itself.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { get, startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, screenshot, setCode, type Watched } from '../helpers/browser';
import { serveHostPages, type HostPages } from '../helpers/host-pages';
import { VIEWER3D_PATH } from '../../embed/viewer3d';

const installed = fs.existsSync('/usr/lib/python3/dist-packages/sage');
let box: Cellbox;
let browser: Browser;
let w: Watched;
let host: HostPages;

beforeAll(async () => {
  if (!installed) return;
  [box, browser] = await launchBeside(startCellbox({ CELLBOX_LANGUAGES: 'python,javascript,bash,sage' }));
  for (let i = 0; i < 600; i++) {
    const langs = (await get(`${box.url}/api/v1/languages`)).body as { name: string; version: string }[];
    if (langs.some((l) => l.name === 'sage' && l.version)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  host = await serveHostPages();
  w = await openPage(browser, `${box.url}/`);
  await w.page.selectOption('.cb-lang', 'sage');
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await box?.stop();
  await host?.close();
});

async function runCode(code: string): Promise<void> {
  await setCode(w.page, code);
  await w.page.keyboard.press('Shift+Enter');
  await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
}

describe.skipIf(!installed)('a Sage cell in the browser', () => {
  it('stops a computation in PARI on Stop, showing the line it was on', async () => {
    // In C code, where Sage's own signal handling (cysignals) stops it; Python's could not.
    await setCode(w.page, 'print("factoring")\nfactor(next_prime(2^200) * next_prime(2^210))');
    await w.page.keyboard.press('Shift+Enter');
    await w.page.locator('.cb-output', { hasText: 'factoring' }).waitFor({ timeout: 30_000 });
    await w.page.locator('.cb-run', { hasText: 'Stop' }).click();
    await w.page.locator('.cb-status', { hasText: 'Error: Interrupted' }).waitFor({ timeout: 10_000 });
    const error = await w.page.locator('.cb-output .cb-error').textContent();
    expect(error).toContain('File "<cell>", line 2, in <module>\n    factor(next_prime(2^200) * next_prime(2^210))\n');
    expect(error).toMatch(/\nKeyboardInterrupt$/);
  });

  it('draws a plot inline', async () => {
    await runCode('plot(sin(x) * x, (x, -2*pi, 2*pi), color="green")');
    const img = w.page.locator('.cb-output img').first();
    await img.waitFor();
    const size = await img.evaluate((e: HTMLImageElement) => e.decode().then(() => [e.naturalWidth, e.naturalHeight]));
    expect(size[0]).toBeGreaterThan(200);
    expect(size[1]).toBeGreaterThan(100);
    await screenshot(w.page, 'sage-plot');
  });

  it('shows a 3D graphic in a sandboxed frame, drawn by three.js from Cellbox, turned by dragging', async () => {
    // Was a still PNG. Headless Chromium draws WebGL in software (SwiftShader), with --disable-gpu too.
    await runCode("y = var('y')\nplot3d(sin(x*y), (x, -2, 2), (y, -2, 2), color='red')");
    const frameElement = w.page.locator('.cb-output iframe.cb-viewer3d');
    await frameElement.waitFor();
    expect(await frameElement.getAttribute('sandbox')).toBe('allow-scripts');
    expect(await frameElement.evaluate((e: HTMLIFrameElement) => e.src)).toBe(`${box.url}${VIEWER3D_PATH}`);
    const frame = (await frameElement.elementHandle())!.contentFrame();
    const inFrame = (await frame)!;
    await inFrame.locator('canvas').first().waitFor({ timeout: 20_000 });
    // The cell's scripts run in an opaque origin: not the page's, not Cellbox's.
    expect(await inFrame.evaluate(() => self.origin)).toBe('null');
    expect(await inFrame.evaluate(() => { try { return parent.document.title; } catch { return 'out of reach'; } })).toBe('out of reach');
    expect(await inFrame.evaluate(() => { try { return localStorage.length; } catch { return 'out of reach'; } })).toBe('out of reach');

    /** What the WebGL canvas shows (Sage's renderer keeps its drawing buffer): red pixels counted, and the whole as a data: URL. */
    const drawn = () => inFrame.evaluate(() => {
      const gl = document.querySelector('canvas')!;
      const copy = document.createElement('canvas');
      copy.width = gl.width;
      copy.height = gl.height;
      const ctx = copy.getContext('2d')!;
      ctx.drawImage(gl, 0, 0);
      const pixels = ctx.getImageData(0, 0, copy.width, copy.height).data;
      let red = 0;
      for (let i = 0; i < pixels.length; i += 4) if (pixels[i] > 120 && pixels[i + 1] < 90 && pixels[i + 2] < 90) red++;
      return { red, image: gl.toDataURL() };
    });
    const before = await drawn();
    // The surface, lit red, covers a good part of the 400-pixel-high frame.
    expect(before.red).toBeGreaterThan(5000);
    const box3d = (await frameElement.boundingBox())!;
    const [cx, cy] = [box3d.x + box3d.width / 2, box3d.y + box3d.height / 2];
    await w.page.mouse.move(cx, cy);
    await w.page.mouse.down();
    await w.page.mouse.move(cx + 150, cy + 40, { steps: 10 });
    await w.page.mouse.up();
    await expect.poll(async () => (await drawn()).image !== before.image, { timeout: 5_000 }).toBe(true);
    expect((await drawn()).red).toBeGreaterThan(5000);
    expect(w.offMachine).toEqual([]);
    expect(w.pageErrors).toEqual([]);
    expect(w.consoleErrors).toEqual([]);
    await screenshot(w.page, 'sage-plot3d');
  });

  it("shows each of a cell's 24 3D graphics when scrolled to, and one turned as the reader left it", async () => {
    // More than Chromium's 16 WebGL contexts (embed/viewer3d-live.ts); Sage's own page, whose
    // camera and controls the frame reads and sets (embed/viewer3d-frame.ts).
    await runCode("y = var('y')\nfor k in range(24):\n    show(plot3d(x*y + k, (x, -1, 1), (y, -1, 1), plot_points=6, color='red'))");
    const graphics = w.page.locator('.cb-output .cb-viewer3d-box');
    await expect.poll(() => graphics.count()).toBe(24);
    const frameOf = async (n: number) => (await (await graphics.nth(n).locator('iframe.cb-viewer3d').elementHandle({ timeout: 1000 }).catch(() => null))?.contentFrame()) ?? null;
    /** Graphic `n`'s camera and red pixels once its frame is shown (no still over it), else null. */
    const shown = async (n: number) => {
      const frame = await frameOf(n);
      if (!frame || (await graphics.nth(n).locator('img.cb-viewer3d-still').count()) > 0) return null;
      return frame.evaluate(() => {
        const camera = (window as unknown as { camera?: { position: { toArray(): number[] } } }).camera;
        const gl = document.querySelector('canvas');
        if (!camera || !gl || gl.width === 0) return null;
        const copy = document.createElement('canvas');
        [copy.width, copy.height] = [gl.width, gl.height];
        const ctx = copy.getContext('2d')!;
        ctx.drawImage(gl, 0, 0);
        const pixels = ctx.getImageData(0, 0, copy.width, copy.height).data;
        let red = 0;
        for (let i = 0; i < pixels.length; i += 4) if (pixels[i] > 120 && pixels[i + 1] < 90 && pixels[i + 2] < 90) red++;
        return { red, camera: camera.position.toArray() };
      }).catch(() => null);
    };
    await graphics.nth(0).scrollIntoViewIfNeeded();
    await expect.poll(async () => (await shown(0))?.red ?? 0, { timeout: 20_000 }).toBeGreaterThan(5000);
    const before = (await shown(0))!.camera;
    const box3d = (await graphics.nth(0).boundingBox())!;
    const [cx, cy] = [box3d.x + box3d.width / 2, box3d.y + box3d.height / 2];
    await w.page.mouse.move(cx, cy);
    await w.page.mouse.down();
    await w.page.mouse.move(cx + 150, cy + 40, { steps: 10 });
    await w.page.mouse.up();
    await expect.poll(async () => (await shown(0))?.camera.join(), { timeout: 5_000 }).not.toBe(before.join());
    const turned = (await shown(0))!.camera;
    for (let n = 1; n < 24; n++) {
      await graphics.nth(n).scrollIntoViewIfNeeded();
      await expect.poll(async () => (await shown(n))?.red ?? 0, { timeout: 20_000, message: `graphic ${n}` }).toBeGreaterThan(5000);
    }
    expect(await graphics.nth(0).locator('img.cb-viewer3d-still').getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await graphics.nth(0).scrollIntoViewIfNeeded();
    await expect.poll(async () => (await shown(0))?.red ?? 0, { timeout: 20_000 }).toBeGreaterThan(5000);
    (await shown(0))!.camera.forEach((c, i) => expect(c).toBeCloseTo(turned[i], 9));
    expect(w.pageErrors).toEqual([]);
    expect(w.consoleErrors).toEqual([]);
  }, 180_000);

  it("draws a 3D graphic in the cell's colours: on black in a dark cell, where Sage's page was light", async () => {
    // Sage's default theme is light: a dark cell showed a white box.
    const dark = await openPage(browser, `${box.url}/`, { colorScheme: 'dark' });
    try {
      await dark.page.selectOption('.cb-lang', 'sage');
      await setCode(dark.page, "sphere(color='red')");
      await dark.page.keyboard.press('Shift+Enter');
      const frameElement = dark.page.locator('.cb-output iframe.cb-viewer3d');
      await frameElement.waitFor({ timeout: 30_000 });
      const inFrame = (await (await frameElement.elementHandle())!.contentFrame())!;
      await inFrame.locator('canvas').first().waitFor({ timeout: 20_000 });
      /** The canvas's top-left pixel, the background, once drawn. */
      const corner = () => inFrame.evaluate(() => {
        const gl = document.querySelector('canvas')!;
        const copy = document.createElement('canvas');
        [copy.width, copy.height] = [gl.width, gl.height];
        const ctx = copy.getContext('2d')!;
        ctx.drawImage(gl, 0, 0);
        return [...ctx.getImageData(0, 0, 1, 1).data];
      });
      await expect.poll(corner, { timeout: 10_000 }).toEqual([0, 0, 0, 255]);
      expect(await inFrame.evaluate(() => document.body.className)).toBe('dark-theme');
      expect(dark.pageErrors).toEqual([]);
    } finally {
      await dark.context.close();
    }
  });

  it('shows a 3D graphic in a cell embedded on another site, under a strict policy that names Cellbox in frame-src', async () => {
    // The host page allows no inline script: the graphic's scripts run under the frame's own policy.
    const cellbox = `http://localhost:${box.port}`;
    const policy = `default-src 'none'; script-src ${cellbox}; connect-src ${cellbox}; img-src ${cellbox} data:; font-src ${cellbox}; frame-src ${cellbox}`;
    host.pages.set('/notes', `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${policy}"><title>Notes</title>
<script src="${cellbox}/embed.js" defer></script></head><body><pre data-cellbox data-language="sage" data-autorun>sphere(color='red')</pre></body></html>`);
    const notes = await openPage(browser, `${host.url}/notes`);
    try {
      const frameElement = notes.page.locator('iframe.cb-viewer3d');
      await frameElement.waitFor({ timeout: 60_000 });
      expect(await frameElement.getAttribute('src')).toBe(`${cellbox}${VIEWER3D_PATH}`);
      expect(await frameElement.getAttribute('sandbox')).toBe('allow-scripts');
      const inFrame = (await (await frameElement.elementHandle())!.contentFrame())!;
      await inFrame.locator('canvas').first().waitFor({ timeout: 20_000 });
      expect(await inFrame.evaluate(() => self.origin)).toBe('null');
      expect(notes.offMachine).toEqual([]);
      expect(notes.pageErrors).toEqual([]);
      expect(notes.consoleErrors).toEqual([]);
    } finally {
      await notes.context.close();
    }
  });

  it('shows an integral as typeset math, with nothing fetched from elsewhere', async () => {
    await runCode('integrate(x^2 * sin(x), x)');
    const math = w.page.locator('.cb-output mjx-container').first();
    await math.waitFor({ timeout: 20_000 });
    // MathJax drew the fraction-free result's cosine as math, not as the TeX source.
    expect(await w.page.locator('.cb-output').textContent()).not.toContain('\\cos');
    expect(await math.evaluate((e) => e.getBoundingClientRect().width)).toBeGreaterThan(50);
    expect(w.offMachine).toEqual([]);
    expect(w.pageErrors).toEqual([]);
    await screenshot(w.page, 'sage-integral');
  });

  it("runs an @interact again from its controls: a slider over a list, and an input box read as Sage", async () => {
    await runCode(`@interact
def _(f=input_box(x^2, label='f(x)'), k=slider([1, 2, 3], default=2)):
    print(f"derivative {k}: {diff(f, x, k)}")`);
    await w.page.locator('.cb-output', { hasText: 'derivative 2: 2' }).waitFor({ timeout: 30_000 });
    const slider = w.page.getByRole('slider', { name: 'k' });
    expect(await slider.getAttribute('aria-valuetext')).toBe('2');
    await slider.focus();
    await w.page.keyboard.press('ArrowLeft');
    await w.page.locator('.cb-output', { hasText: 'derivative 1: 2*x' }).waitFor({ timeout: 30_000 });
    await w.page.locator('.cb-run', { hasText: /^Run$/ }).waitFor();
    // The box's text is Sage's to read: x^3 is a polynomial, not a string.
    await w.page.getByRole('textbox', { name: 'f(x)' }).fill('x^3');
    await w.page.getByRole('textbox', { name: 'f(x)' }).press('Enter');
    await w.page.locator('.cb-output', { hasText: 'derivative 1: 3*x^2' }).waitFor({ timeout: 30_000 });
    // The same box, still focused, after the run its Enter made.
    expect(await w.page.getByRole('textbox', { name: 'f(x)' }).evaluate((e) => e === document.activeElement)).toBe(true);
    expect(w.pageErrors).toEqual([]);
  });

  it('draws a matrix default as a grid of boxes, each read as Sage, the function given a matrix again', async () => {
    await runCode(`@interact
def _(A=matrix(QQ, [[1, 2], [3, 4]])):
    print(f"det {A.det()} over {A.base_ring()}")`);
    await w.page.locator('.cb-output', { hasText: 'det -2 over Rational Field' }).waitFor({ timeout: 30_000 });
    const box = w.page.getByRole('group', { name: 'A' }).getByRole('textbox', { name: 'A row 1 column 1' });
    await box.fill('1/2');
    await box.press('Enter');
    await w.page.locator('.cb-output', { hasText: 'det -4 over Rational Field' }).waitFor({ timeout: 30_000 });
    expect(w.pageErrors).toEqual([]);
  });

  it("typesets the math in an interact's labels and texts, as SageMathCell does, and keeps it as the controls run", async () => {
    // `label='$\\alpha$'` showed its TeX, dollars and all.
    await runCode(`@interact
def _(a=slider(1, 5, 1, 2, label='$\\\\alpha$'), t=text_control('Area: $\\\\pi r^2$')):
    print(f"alpha is {a}")`);
    await w.page.locator('.cb-output', { hasText: 'alpha is 2' }).waitFor({ timeout: 30_000 });
    const label = w.page.locator('.cb-output .cb-ia-label').first();
    const text = w.page.locator('.cb-output .cb-ia-text');
    await label.locator('mjx-container').waitFor({ timeout: 20_000 });
    await text.locator('mjx-container').waitFor({ timeout: 20_000 });
    expect(await label.textContent()).not.toMatch(/[$\\]/);
    expect(await text.textContent()).toMatch(/^Area: /);
    expect(await text.textContent()).not.toMatch(/[$\\]/);
    const slider = w.page.getByRole('slider');
    await slider.focus();
    await w.page.keyboard.press('ArrowRight');
    await w.page.locator('.cb-output', { hasText: 'alpha is 3' }).waitFor({ timeout: 30_000 });
    await w.page.locator('.cb-run', { hasText: /^Run$/ }).waitFor();
    expect(await label.locator('mjx-container').count()).toBe(1);
    expect(await text.locator('mjx-container').count()).toBe(1);
    expect(w.pageErrors).toEqual([]);
    await screenshot(w.page, 'sage-interact-math-labels');
  });

  it('plays an animation as an animated GIF', async () => {
    // Without ImageMagick or ffmpeg it showed the words "Animation with 4 frames", typeset.
    await runCode('animate([plot(sin(x + k/2), (x, 0, 2*pi)) for k in range(4)], figsize=3)');
    const img = w.page.locator('.cb-output img').first();
    await img.waitFor();
    expect(await img.getAttribute('src')).toMatch(/^data:image\/gif;base64,/);
    const size = await img.evaluate((e: HTMLImageElement) => e.decode().then(() => [e.naturalWidth, e.naturalHeight]));
    expect(size[0]).toBeGreaterThan(100);
    expect(size[1]).toBeGreaterThan(50);
    expect(await w.page.locator('.cb-output').textContent()).not.toContain('Animation');
    await screenshot(w.page, 'sage-animation');
  });

  it("shows pretty_print() as math, and html() and table() as HTML with their math typeset", async () => {
    // Through Sage's display manager: its plain-text backend printed "x^3", showed html()'s
    // source as a typeset string and table() as a LaTeX tabular MathJax cannot draw.
    await runCode('pretty_print(x^3)\nshow(html("<b>bold</b> and $x^2$"))\ntable([[1, 2], [x, sqrt(x)]])');
    const html = w.page.locator('.cb-output .cb-html');
    // Typesetting is asynchronous, one output after another: wait for the last one's last math.
    await w.page.locator('.cb-output mjx-container').nth(5).waitFor({ timeout: 20_000 });
    expect(await html.first().locator('b').textContent()).toBe('bold');
    expect(await html.first().locator('mjx-container').count()).toBe(1);
    expect(await html.nth(1).locator('td').count()).toBe(4);
    expect(await html.nth(1).locator('td mjx-container').count()).toBe(4);
    // Three outputs, all typeset: no TeX source or MathJax 2 script left showing.
    const text = (await w.page.locator('.cb-output').textContent()) ?? '';
    expect(text).not.toMatch(/\\\(|\\sqrt|x\^3|tabular/);
    expect(await w.page.locator('.cb-output mjx-container').count()).toBe(1 + 1 + 4);
    expect(w.pageErrors).toEqual([]);
    await screenshot(w.page, 'sage-html-table');
  });
});
