// A pandas DataFrame on the cell page in a real browser, as a person reads it: a table whose
// figures stand whole on one line each, readable in light and dark, and, wider than the
// output, scrolling inside the output's box rather than squeezing its figures digit by digit
// or widening the page; at desktop and at phone width. Screenshots for a person to look at.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installed as isInstalled } from '../helpers/installed';
import type { Browser, Page } from 'playwright-core';
import { startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, screenshot, setCode } from '../helpers/browser';
import { lowestContrast } from '../helpers/contrast';

const installed = isInstalled('/usr/lib/python3/dist-packages/pandas');
let box: Cellbox;
let browser: Browser;

beforeAll(async () => {
  if (installed) [box, browser] = await launchBeside(startCellbox());
});

afterAll(async () => {
  await browser?.close();
  await box?.stop();
});

// 15 columns of figures and names: wider than the page's output at 1100 px, and far wider at 390.
const WIDE = `import pandas as pd
columns = [f"column_{i}" for i in range(14)]
df = pd.DataFrame([[round((r + 1) * (c - 6.5) / 3.7, 3) for c in range(14)] for r in range(8)], columns=columns)
df["name"] = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
df`;

/** What a reader meets in the cell's table: its size, any cell whose text is on more than one line, and how it fits. */
function tableAsShown(page: Page) {
  return page.evaluate(() => {
    const host = document.querySelector('.cb-output .cb-html-host')!;
    const table = host.shadowRoot!.querySelector('table.dataframe')!;
    const cells = [...table.querySelectorAll('th, td')];
    const broken = cells.filter((cell) => {
      const range = document.createRange();
      range.selectNodeContents(cell);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
    }).map((cell) => cell.textContent);
    const box = host.closest('.cb-html') as HTMLElement;
    const before = box.scrollLeft;
    box.scrollLeft = box.scrollWidth;
    const scrolled = box.scrollLeft - before;
    box.scrollLeft = before;
    return {
      rows: table.querySelectorAll('tbody tr').length,
      columns: table.querySelectorAll('thead th').length,
      broken,
      tableWidth: table.getBoundingClientRect().width,
      boxWidth: box.clientWidth,
      scrolled,
      pageWidth: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
    };
  });
}

describe.skipIf(!installed)('a DataFrame on the page (needs python3-pandas, which scripts/setup.mjs installs)', () => {
  for (const view of [
    { name: 'light', colorScheme: 'light' as const, viewport: { width: 1100, height: 800 } },
    { name: 'dark', colorScheme: 'dark' as const, viewport: { width: 1100, height: 800 } },
    { name: 'phone', colorScheme: 'light' as const, viewport: { width: 390, height: 844 } },
  ]) {
    it(`is a readable table that scrolls inside its output, ${view.name}`, async () => {
      const w = await openPage(browser, `${box.url}/`, { colorScheme: view.colorScheme, viewport: view.viewport });
      await setCode(w.page, WIDE);
      await w.page.keyboard.press('Shift+Enter');
      await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
      await w.page.locator('.cb-output table.dataframe').waitFor();
      const shown = await tableAsShown(w.page);
      expect(shown.rows).toBe(8);
      expect(shown.columns).toBe(16); // the index's and 15
      // Each figure and name whole on its line: the output's overflow-wrap: anywhere, inherited,
      // had split "-0.537" over three lines to squeeze the table into the width.
      expect(shown.broken).toEqual([]);
      // Wider than its output, the table scrolls inside it; the page stays as wide as the screen.
      expect(shown.tableWidth).toBeGreaterThan(shown.boxWidth);
      expect(shown.scrolled).toBeGreaterThan(0);
      expect(shown.pageWidth).toBeLessThanOrEqual(shown.viewport);
      const cells = await lowestContrast(w.page, '.cb-output table.dataframe :is(th, td)');
      expect(cells.count).toBe(8 * 16 + 16);
      expect(cells.lowest).toBeGreaterThanOrEqual(4.5);
      await screenshot(w.page, `pandas-${view.name}`);
      expect(w.pageErrors).toEqual([]);
      await w.context.close();
    });
  }
});
