// The frame a Sage 3D graphic is shown in (embed/viewer3d.ts), in a real browser, with a page
// of the cell's own: any cell can display the bundle (Python's display(…, raw=True) here), so
// what the frame does must hold for any page, not Sage's alone.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Frame } from 'playwright-core';
import { startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, setCode, type Watched } from '../helpers/browser';
import { THREEJS_MIME } from '../../embed/viewer3d';
import { MAX_LIVE } from '../../embed/viewer3d-live';

let box: Cellbox;
let browser: Browser;
let w: Watched;

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox({ CELLBOX_LANGUAGES: 'python', CELLBOX_CELLS_PER_MINUTE: '0' }));
  w = await openPage(browser, `${box.url}/`);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await box?.stop();
});

/** Runs a Python cell that displays each of `pages` as a 3D graphic's. */
async function showPages(pages: string[]): Promise<void> {
  const bundles = pages.map((page) => ({ [THREEJS_MIME]: page, 'text/plain': 'Graphics3d Object' }));
  await setCode(w.page, `import json\nfor b in json.loads(${JSON.stringify(JSON.stringify(bundles))}):\n    display(b, raw=True)\n`);
  await w.page.keyboard.press('Shift+Enter');
  await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
}

/** Runs a Python cell that displays `page` as a 3D graphic's, and returns the frame it is shown in. */
async function showPage(page: string): Promise<Frame> {
  await showPages([page]);
  const frame = (await (await w.page.locator('.cb-output iframe.cb-viewer3d').elementHandle())!.contentFrame())!;
  return frame;
}

/**
 * A three.js page made as Sage's is (sage/ext_data/threejs/threejs_template.html): three.js
 * r122 and its OrbitControls from beside the frame's document, a renderer that keeps its
 * drawing buffer, and its camera, controls and renderer in global variables; drawn on each
 * change of the controls. A red box on white, so that what is drawn can be counted.
 */
function threePage(n: number): string {
  return `<!DOCTYPE html><html><head><title>graphic ${n}</title><style>body { margin: 0; overflow: hidden; }</style></head><body>
<script src="three.min.js"></script><script src="OrbitControls.js"></script>
<script>
var scene = new THREE.Scene();
var renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
renderer.setPixelRatio(window.devicePixelRatio);
renderer.setSize(window.innerWidth, window.innerHeight);
renderer.setClearColor(0xffffff, 1);
document.body.appendChild(renderer.domElement);
var camera = new THREE.PerspectiveCamera(45, window.innerWidth / window.innerHeight, 0.1, 100);
camera.up.set(0, 0, 1);
camera.position.set(4, 3, 2);
scene.add(camera);
scene.add(new THREE.Mesh(new THREE.BoxGeometry(2, 1, 0.6), new THREE.MeshBasicMaterial({ color: 0xff0000 })));
var controls = new THREE.OrbitControls(camera, renderer.domElement);
function render() { renderer.render(scene, camera); }
controls.addEventListener('change', render);
render();
controls.update();
</script></body></html>`;
}

/** In a frame: the red pixels its WebGL canvas shows, and the whole as a data: URL (0 and '' with no canvas). */
function drawnInFrame(): { red: number; image: string } {
  const gl = document.querySelector('canvas');
  if (!gl || gl.width === 0) return { red: 0, image: '' };
  const copy = document.createElement('canvas');
  copy.width = gl.width;
  copy.height = gl.height;
  const ctx = copy.getContext('2d')!;
  ctx.drawImage(gl, 0, 0);
  const pixels = ctx.getImageData(0, 0, copy.width, copy.height).data;
  let red = 0;
  for (let i = 0; i < pixels.length; i += 4) if (pixels[i] > 200 && pixels[i + 1] < 60 && pixels[i + 2] < 60) red++;
  return { red, image: gl.toDataURL() };
}

describe('the 3D viewer frame, with a page of the cell', () => {
  it('shows every one of more graphics than the browser keeps WebGL contexts, each when scrolled to, turned as the reader left it', async () => {
    // Chromium keeps 16 WebGL contexts alive and took the oldest one's past that: the first
    // graphics of a page with more were blank for good.
    const count = 24;
    await showPages(Array.from({ length: count }, (_, n) => threePage(n)));
    const graphics = w.page.locator('.cb-output .cb-viewer3d-box');
    await expect.poll(() => graphics.count()).toBe(count);
    /** The live frame of graphic `n`, or null while it has none (a still in its place). */
    const frameOf = async (n: number) => (await (await graphics.nth(n).locator('iframe.cb-viewer3d').elementHandle({ timeout: 1000 }).catch(() => null))?.contentFrame()) ?? null;
    /** What graphic `n`'s live frame shows, once shown (its still gone from over it); red 0 until then. */
    const shown = async (n: number) => {
      const frame = await frameOf(n);
      if (!frame || (await graphics.nth(n).locator('img.cb-viewer3d-still').count()) > 0) return { red: 0, image: '' };
      return frame.evaluate(drawnInFrame).catch(() => ({ red: 0, image: '' }));
    };
    const liveFrames = () => w.page.locator('iframe.cb-viewer3d').count();
    const cameraOf = async (n: number) => (await frameOf(n))!.evaluate(() => (window as unknown as { camera: { position: { toArray(): number[] } } }).camera.position.toArray());

    // Turned by dragging, the second graphic shows another view.
    await graphics.nth(1).scrollIntoViewIfNeeded();
    await expect.poll(async () => (await shown(1)).red, { timeout: 20_000 }).toBeGreaterThan(5000);
    const before = await shown(1);
    const box = (await graphics.nth(1).boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    await w.page.mouse.move(cx, cy);
    await w.page.mouse.down();
    await w.page.mouse.move(cx + 150, cy + 40, { steps: 10 });
    await w.page.mouse.up();
    await expect.poll(async () => (await shown(1)).image !== before.image, { timeout: 5_000 }).toBe(true);
    const turned = await shown(1);
    const turnedCamera = await cameraOf(1);

    // Scrolled to, each shows its graphic drawn; never more frames live than the limit.
    for (let n = 0; n < count; n++) {
      await graphics.nth(n).scrollIntoViewIfNeeded();
      await expect.poll(async () => (await shown(n)).red, { timeout: 20_000, message: `graphic ${n}` }).toBeGreaterThan(5000);
      expect(await liveFrames()).toBeLessThanOrEqual(MAX_LIVE);
    }

    // Far away, the turned graphic is a still image of the view it was left in.
    const still = graphics.nth(1).locator('img.cb-viewer3d-still');
    await expect.poll(() => still.count()).toBe(1);
    expect(await graphics.nth(1).locator('iframe').count()).toBe(0);
    expect(await still.getAttribute('alt')).toBe(await graphics.nth(count - 1).locator('iframe.cb-viewer3d').getAttribute('title'));
    expect(await still.getAttribute('src')).toBe(turned.image);

    // Back at it (and at the first, whose context was the oldest), each is live and drawn again,
    // the turned one from where the reader left it.
    for (const n of [0, 1]) {
      await graphics.nth(n).scrollIntoViewIfNeeded();
      await expect.poll(async () => (await shown(n)).red, { timeout: 20_000, message: `graphic ${n} again` }).toBeGreaterThan(5000);
    }
    // OrbitControls put the camera back through its spherical coordinates: to the last bit or so.
    (await cameraOf(1)).forEach((c, i) => expect(c).toBeCloseTo(turnedCamera[i], 9));
    expect((await shown(1)).image).toBe(turned.image);
    expect(await liveFrames()).toBeLessThanOrEqual(MAX_LIVE);
    expect(w.pageErrors).toEqual([]);
  }, 180_000);

  it('shows the page again when the page it is on moves it (a tab or slide put elsewhere)', async () => {
    // Moved, an iframe loads its document again: the page, handed over once at the first
    // load, was gone, and the graphic an empty frame.
    const frame = await showPage('<!DOCTYPE html><html><body><p id="shown">the graphic</p></body></html>');
    await frame.locator('#shown').waitFor();
    await w.page.evaluate(() => {
      const graphic = document.querySelector('.cb-output .cb-viewer3d-box')!;
      const holder = document.createElement('div');
      graphic.before(holder);
      holder.append(graphic);
    });
    const moved = (await (await w.page.locator('.cb-output iframe.cb-viewer3d').elementHandle())!.contentFrame())!;
    await expect.poll(() => moved.locator('#shown').count(), { timeout: 10_000 }).toBe(1);
    expect(w.pageErrors).toEqual([]);
  });

  it('brings graphics put back in the page (a single-page app showing a view again) to life without the pointer', async () => {
    await showPages([threePage(0), threePage(1)]);
    const graphics = w.page.locator('.cb-output .cb-viewer3d-box');
    const drawn = async (n: number) => {
      const handle = await graphics.nth(n).locator('iframe.cb-viewer3d').elementHandle({ timeout: 1000 }).catch(() => null);
      const frame = await handle?.contentFrame();
      if (!frame || (await graphics.nth(n).locator('img.cb-viewer3d-still').count()) > 0) return 0;
      return (await frame.evaluate(drawnInFrame).catch(() => ({ red: 0 }))).red;
    };
    for (const n of [0, 1]) await expect.poll(() => drawn(n), { timeout: 20_000, message: `graphic ${n}` }).toBeGreaterThan(5000);
    // The pointer well away from the graphics: nothing of the reader's wakes them.
    await w.page.mouse.move(1, 1);
    // The second pushed far below the viewport: it is a still of itself.
    await w.page.evaluate(() => {
      const second = document.querySelectorAll('.cb-output .cb-viewer3d-box')[1];
      const spacer = document.createElement('div');
      spacer.id = 'spacer';
      spacer.style.height = '500vh';
      second.before(spacer);
    });
    await expect.poll(() => graphics.nth(1).locator('iframe').count(), { timeout: 10_000 }).toBe(0);
    expect(await graphics.nth(1).locator('img.cb-viewer3d-still').getAttribute('src')).toMatch(/^data:image\//);
    // The view leaves the page; the registry lets both graphics go (the first's frame unloaded).
    await w.page.evaluate(() => {
      const output = document.querySelector('.cb-output')!;
      const away = document.createElement('div');
      away.id = 'away';
      away.append(...output.childNodes);
      (window as unknown as { away: HTMLElement }).away = away;
    });
    await expect.poll(() => w.page.evaluate(() => (window as unknown as { away: HTMLElement }).away.querySelectorAll('iframe').length), { timeout: 10_000 }).toBe(0);
    // Shown again, both near the viewport now: each gets its frame back and draws.
    await w.page.evaluate(() => {
      const away = (window as unknown as { away: HTMLElement }).away;
      away.querySelector('#spacer')!.remove();
      document.querySelector('.cb-output')!.append(...away.childNodes);
    });
    for (const n of [0, 1]) await expect.poll(() => drawn(n), { timeout: 20_000, message: `graphic ${n} put back` }).toBeGreaterThan(5000);
    expect(w.pageErrors).toEqual([]);
  });

  it('is shorter than a phone held sideways, so a swipe beside it still scrolls the page', async () => {
    // At 400 px on a 390 px screen the graphic was all the reader could touch: a swipe turned
    // it and never scrolled the page on to the text or back to the code.
    const context = await browser.newContext({ viewport: { width: 844, height: 390 }, hasTouch: true, isMobile: true });
    const page = await context.newPage();
    await page.goto(`${box.url}/`);
    const bundle = { [THREEJS_MIME]: threePage(0), 'text/plain': 'Graphics3d Object' };
    await page.locator('.cm-content').tap();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(`import json\ndisplay(json.loads(${JSON.stringify(JSON.stringify(bundle))}), raw=True)\n`);
    await page.locator('.cb-run').tap();
    await page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
    const graphic = page.locator('.cb-output .cb-viewer3d-box');
    expect((await graphic.boundingBox())!.height).toBeLessThanOrEqual(390 * 0.7 + 1);
    // A desktop's window keeps Jupyter's 400 px.
    await page.setViewportSize({ width: 1100, height: 800 });
    expect((await graphic.boundingBox())!.height).toBe(400);
    await context.close();
  });

  it("never shows another site in the output: the frame's own navigation elsewhere is refused", async () => {
    // Another site, as far as the browser knows (another port); it answers any page it is asked.
    const asked: string[] = [];
    const elsewhere = http.createServer((req, res) => {
      asked.push(req.url!);
      res.end('<p id="elsewhere">Cellbox: your session expired, sign in again</p>');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    try {
      const target = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/login`;
      const frame = await showPage(`<!DOCTYPE html><html><body><p id="shown">the graphic</p><script>setTimeout(() => { location.href = ${JSON.stringify(target)}; }, 100)</script></body></html>`);
      // Refused, the frame shows the browser's error page instead; allowed, the other site's.
      await expect.poll(() => frame.url(), { timeout: 10_000 }).not.toMatch(/\/viewer3d\//);
      expect(frame.url()).not.toBe(target);
      expect(asked).toEqual([]);
    } finally {
      elsewhere.closeAllConnections();
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });
});
