// A running cell's page through lost connections, in a real browser (Debian's Chromium)
// against the real server and device: the browser taken offline, the web server killed and
// started again. The cell runs on at the server meanwhile; the page says it is reconnecting,
// keeps Stop, and picks up the output from where it was, nothing lost and nothing twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, screenshot, setCode, type Watched } from '../helpers/browser';

let box: Cellbox;
let browser: Browser;
const opened: Watched[] = [];

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox());
});

afterAll(async () => {
  const errors = opened.flatMap((w) => w.pageErrors);
  await browser?.close();
  await box?.stop();
  expect(errors).toEqual([]);
});

async function open(): Promise<Watched> {
  const w = await openPage(browser, `${box.url}/`);
  opened.push(w);
  await w.page.locator('.cm-content').waitFor();
  return w;
}

/** Python printing `tick 0` … `tick n-1` every half second, then FINISHED. */
function ticks(n: number): string {
  return `import time\nfor i in range(${n}):\n    print("tick", i, flush=True)\n    time.sleep(0.5)\nprint("FINISHED")`;
}

function expectAllTicks(text: string, n: number): void {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  expect(lines).toEqual([...Array.from({ length: n }, (_, i) => `tick ${i}`), 'FINISHED']);
}

const reconnecting = /reconnecting/i;

describe('a running cell when the connection drops', () => {
  it('follows the cell through five seconds offline, keeping Stop, and shows all of its output', async () => {
    const w = await open();
    await setCode(w.page, ticks(20));
    await w.page.locator('.cb-run').click();
    await w.page.locator('.cb-output', { hasText: 'tick 2' }).waitFor({ timeout: 20_000 });
    await w.context.setOffline(true);
    const status = w.page.locator('.cb-status');
    await w.page.locator('.cb-status', { hasText: reconnecting }).waitFor({ timeout: 10_000 });
    expect(await status.getAttribute('class')).toContain('cb-status-warn');
    expect(await w.page.locator('.cb-run').textContent()).toBe('Stop');
    // Past the few seconds after which the page once gave the cell up for lost.
    await w.page.waitForTimeout(5000);
    expect(await status.textContent()).toMatch(reconnecting);
    expect(await w.page.locator('.cb-run').textContent()).toBe('Stop');
    await screenshot(w.page, 'reconnect-offline');
    await w.context.setOffline(false);
    await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
    expectAllTicks(await w.page.locator('.cb-output').innerText(), 20);
    await w.context.close();
  });

  it('Stop pressed while offline stops the cell once the server can be reached again', async () => {
    const w = await open();
    await setCode(w.page, 'import time\nfor i in range(120):\n    print("still here", i, flush=True)\n    time.sleep(0.5)');
    await w.page.locator('.cb-run').click();
    await w.page.locator('.cb-output', { hasText: 'still here 1' }).waitFor({ timeout: 20_000 });
    await w.context.setOffline(true);
    await w.page.locator('.cb-run').click();
    await w.page.locator('.cb-status', { hasText: /Stopping… \(waiting for the connection/ }).waitFor({ timeout: 10_000 });
    await w.context.setOffline(false);
    await w.page.locator('.cb-status', { hasText: 'Error: Interrupted' }).waitFor({ timeout: 30_000 });
    expect(await w.page.locator('.cb-run').textContent()).toBe('Run');
    await w.context.close();
  });

  it('says plainly, as an error, that the server cannot be reached, keeping the toolbar on one line', async () => {
    const w = await open();
    await setCode(w.page, 'print("never sent")');
    await w.context.setOffline(true);
    await w.page.locator('.cb-run').click();
    const status = w.page.locator('.cb-status', { hasText: 'could not be reached' });
    await status.waitFor({ timeout: 10_000 });
    expect(await status.getAttribute('class')).toContain('cb-status-error');
    // Coloured as the cell's errors are (--cb-stop), not the muted grey of "Done in".
    const colours = await w.page.evaluate(() => {
      const s = document.querySelector('.cb-status')!;
      return { status: getComputedStyle(s).color, stop: getComputedStyle(document.querySelector('.cb-cell')!).getPropertyValue('--cb-stop').trim() };
    });
    expect(colours.stop).toBe('#b3261e');
    expect(colours.status).toBe('rgb(179, 38, 30)');
    // Run, Share, Copy and Reset stay on the status's row.
    const tops = await Promise.all(['.cb-run', '.cb-share-button', '.cb-copy', '.cb-reset'].map(async (s) => (await w.page.locator(`.cb-bar ${s}`).boundingBox())!.y));
    for (const y of tops) expect(y).toBeCloseTo(tops[0]!, -1);
    await screenshot(w.page, 'reconnect-unreachable');
    await w.context.setOffline(false);
    await w.context.close();
  });

  it('follows the cell while the web server is killed and started again, from the last message seen', async () => {
    const w = await open();
    await setCode(w.page, ticks(16));
    await w.page.locator('.cb-run').click();
    await w.page.locator('.cb-output', { hasText: 'tick 1' }).waitFor({ timeout: 20_000 });
    await box.killWeb();
    await w.page.locator('.cb-status', { hasText: reconnecting }).waitFor({ timeout: 10_000 });
    expect(await w.page.locator('.cb-run').textContent()).toBe('Stop');
    await box.startWeb();
    await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 60_000 });
    expectAllTicks(await w.page.locator('.cb-output').innerText(), 16);
    await w.context.close();
  });
});
