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

/** Runs a Python cell that displays `page` as a 3D graphic's, and returns the frame it is shown in. */
async function showPage(page: string): Promise<Frame> {
  const bundle = { [THREEJS_MIME]: page, 'text/plain': 'Graphics3d Object' };
  await setCode(w.page, `import json\ndisplay(json.loads(${JSON.stringify(JSON.stringify(bundle))}), raw=True)`);
  await w.page.keyboard.press('Shift+Enter');
  await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
  const frame = (await (await w.page.locator('.cb-output iframe.cb-viewer3d').elementHandle())!.contentFrame())!;
  return frame;
}

describe('the 3D viewer frame, with a page of the cell', () => {
  it('shows the page again when the page it is on moves it (a tab or slide put elsewhere)', async () => {
    // Moved, an iframe loads its document again: the page, handed over once at the first
    // load, was gone, and the graphic an empty frame.
    const frame = await showPage('<!DOCTYPE html><html><body><p id="shown">the graphic</p></body></html>');
    await frame.locator('#shown').waitFor();
    await w.page.evaluate(() => {
      const iframe = document.querySelector('.cb-output iframe.cb-viewer3d')!;
      const holder = document.createElement('div');
      iframe.before(holder);
      holder.append(iframe);
    });
    const moved = (await (await w.page.locator('.cb-output iframe.cb-viewer3d').elementHandle())!.contentFrame())!;
    await expect.poll(() => moved.locator('#shown').count(), { timeout: 10_000 }).toBe(1);
    expect(w.pageErrors).toEqual([]);
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
