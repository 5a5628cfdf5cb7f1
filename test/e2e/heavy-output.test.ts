// Outputs heavy enough to hold the reader's page: HTML nested tens of thousands deep, and a
// formula of tens of thousands of characters. The page's own long-task observer (as
// scripts/render-bench.mjs uses) sees what showing them cost; what is asserted first is what is
// shown in their place, and then only a bound far above what the fallback costs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, setCode, type Watched } from '../helpers/browser';

let box: Cellbox;
let browser: Browser;
let w: Watched;

/** Far above what a fallback costs, far below what the outputs cost shown as they were (5 s and 12 s). */
const LONGEST_TASK_MS = 2_000;

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox());
  w = await openPage(browser, `${box.url}/`);
  await w.page.evaluate(() => {
    const seen: number[] = [];
    (window as unknown as { __long: number[] }).__long = seen;
    new PerformanceObserver((l) => seen.push(...l.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
  });
});

afterAll(async () => {
  await browser?.close();
  await box?.stop();
});

/** Runs the code; returns the page's long tasks (ms) from then until it has answered an evaluate after the cell ended. */
async function runMeasured(code: string): Promise<number[]> {
  await setCode(w.page, code);
  await w.page.evaluate(() => ((window as unknown as { __long: number[] }).__long.length = 0));
  await w.page.keyboard.press('Shift+Enter');
  await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 60_000 });
  // Two frames and a moment: whatever the output set off (typesetting, layout) has run or begun.
  await w.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 1000)))));
  return w.page.evaluate(() => [...(window as unknown as { __long: number[] }).__long]);
}

describe('an output heavy enough to hold the page', () => {
  it('shows HTML nested 50,000 deep as its source, saying why, and the page goes on', async () => {
    // It held the page for over 5 s in one task, and then showed nothing a reader could read.
    const long = await runMeasured("from IPython.display import HTML, display\ndisplay(HTML('<div>' * 50000 + 'the bottom'))\nprint('after the html')");
    await w.page.locator('.cb-output', { hasText: 'after the html' }).waitFor();
    expect(await w.page.locator('.cb-output .cb-html-source .cb-truncated').textContent()).toMatch(/nests its elements more than \d+ deep/);
    const source = await w.page.locator('.cb-output .cb-html-source pre').textContent();
    expect(source).toMatch(/^<div><div>/);
    expect(source).toMatch(/characters left out …\n(<div>)+the bottom$/);
    expect(await w.page.locator('.cb-output .cb-html-host').count()).toBe(0);
    expect(Math.max(0, ...long)).toBeLessThan(LONGEST_TASK_MS);
  });

  it('shows a huge formula as its TeX with a note, and typesets it when asked', async () => {
    // sympy's expand((x+1)**400), 38,700 characters of TeX, held the page for 12 s.
    const long = await runMeasured("from sympy import symbols, expand\nx = symbols('x')\ndisplay(expand((x + 1)**400))\nprint('after the formula')");
    await w.page.locator('.cb-output', { hasText: 'after the formula' }).waitFor();
    expect(await w.page.locator('.cb-output .cb-latex').textContent()).toMatch(/^\\\(\\displaystyle x\^\{400\} \+ 400 x\^\{399\}/);
    const note = w.page.locator('.cb-output .cb-truncated', { hasText: 'characters of TeX' });
    expect(await note.textContent()).toContain('38,');
    expect(await w.page.locator('.cb-output mjx-container').count()).toBe(0);
    expect(Math.max(0, ...long)).toBeLessThan(LONGEST_TASK_MS);

    // Asked for, a smaller one over the cap is typeset all the same.
    // Each run starts afresh: the imports again.
    await runMeasured("from sympy import symbols, expand\nx = symbols('x')\ndisplay(expand((x + 1)**140))");
    await w.page.locator('.cb-output .cb-typeset-anyway').click();
    await w.page.locator('.cb-output .cb-latex mjx-container').waitFor({ timeout: 120_000 });
    expect(await w.page.locator('.cb-output .cb-truncated').count()).toBe(0);
  }, 180_000);
});
