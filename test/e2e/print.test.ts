// Course notes printed from a dark colour scheme: a dark page, a cell with data-theme="dark",
// the reader's system in dark mode, and Cellbox's own page. With Chromium's "Background
// graphics" on, the page's dark background is printed: the output's text, made dark for paper,
// sat on it unreadable, while the code printed on the editor's white. Measured here as WCAG
// contrast of every output text against what is behind it under print media.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, setCode } from '../helpers/browser';
import { lowestContrast } from '../helpers/contrast';
import { serveHostPages, type HostPages } from '../helpers/host-pages';

let box: Cellbox;
let browser: Browser;
let host: HostPages;

/** Text, ANSI colours, stderr, a table, math and a traceback. */
const CODE = [
  'import sys',
  'from IPython.display import HTML, Math, display',
  'print("plain \\x1b[34mblue\\x1b[0m \\x1b[33myellow\\x1b[0m \\x1b[97mbright white\\x1b[0m")',
  'print("a warning", file=sys.stderr)',
  'display(HTML("<table><tr><th>n</th><th>n squared</th></tr><tr><td>3</td><td>9</td></tr></table>"))',
  'display(Math(r"\\int_0^1 x^2\\,dx"))',
  '1 / 0',
].join('\n');

/** The output's texts and the code's lines, through the cell's and the HTML output's shadow roots. */
const TEXTS = '.cb-output pre, .cb-output pre span, .cb-output th, .cb-output td, .cb-output mjx-container, .cb-cell .cm-line';

function page(cellbox: string, head: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Notes</title>${head}
<script src="${cellbox}/embed.js" defer></script></head><body>${body}</body></html>`;
}

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox());
  host = await serveHostPages();
  const cellbox = `http://localhost:${box.port}`;
  const cell = (attrs: string) => `<p>Some notes.</p><pre data-cellbox ${attrs}>${CODE.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</pre>`;
  host.pages.set('/dark-page', page(cellbox, '<style>body { background: #121212; color: #e8e8e8; }</style>', cell('id="auto"') + cell('data-output="#elsewhere" id="placed"') + '<div id="elsewhere"></div>'));
  host.pages.set('/dark-theme', page(cellbox, '<style>body { background: #121212; color: #e8e8e8; }</style>', cell('data-theme="dark" id="themed"')));
  // A page that lets the reader's system choose, in CSS and by <meta>: no background of its own.
  host.pages.set('/system', page(cellbox, '<style>:root { color-scheme: light dark; }</style>', cell('id="system"') + cell('data-output="#elsewhere" id="placed"') + '<div id="elsewhere"></div>'));
  host.pages.set('/system-meta', page(cellbox, '<meta name="color-scheme" content="light dark">', cell('id="system"')));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await box?.stop();
  await host?.close();
});

async function runAll(p: Page): Promise<void> {
  const cells = p.locator('.cellbox-embed');
  for (let i = 0; i < (await cells.count()); i++) {
    await cells.nth(i).locator('.cb-run').click();
    await cells.nth(i).locator('.cb-status', { hasText: /Done in|Error/ }).waitFor({ timeout: 60_000 });
  }
  // The math is typeset once MathJax has loaded.
  await p.locator('.cb-output mjx-container').first().waitFor({ timeout: 30_000 });
}

describe('printing notes from a dark scheme', () => {
  for (const path of ['/dark-page', '/dark-theme', '/system', '/system-meta']) {
    it(`prints every output readably, background graphics on, from ${path}`, async () => {
      const w = await openPage(browser, `${host.url}${path}`, { colorScheme: 'dark' });
      await runAll(w.page);
      const mathCount = await w.page.locator('.cb-output mjx-container').count();
      await w.page.emulateMedia({ media: 'print', colorScheme: 'dark' });
      const texts = await lowestContrast(w.page, TEXTS);
      // Each cell's lines of code, its three streams, its table, its math and its traceback.
      expect(texts.count).toBeGreaterThan(10);
      expect(mathCount).toBeGreaterThan(0);
      expect(texts.lowest).toBeGreaterThanOrEqual(4.5);
      const pdf = await w.page.pdf({ format: 'A4', printBackground: true });
      expect(pdf.length).toBeGreaterThan(10_000);
      expect(w.pageErrors).toEqual([]);
      await w.context.close();
    });
  }

  it("prints Cellbox's own page readably from the reader's dark system", async () => {
    const w = await openPage(browser, `${box.url}/`, { colorScheme: 'dark' });
    await setCode(w.page, CODE);
    await w.page.locator('.cb-run').click();
    await w.page.locator('.cb-status', { hasText: /Done in|Error/ }).waitFor({ timeout: 60_000 });
    await w.page.locator('.cb-output mjx-container').first().waitFor({ timeout: 30_000 });
    await w.page.emulateMedia({ media: 'print', colorScheme: 'dark' });
    const texts = await lowestContrast(w.page, `${TEXTS}, main h1, main p`);
    expect(texts.count).toBeGreaterThan(10);
    expect(texts.lowest).toBeGreaterThanOrEqual(4.5);
    await w.context.close();
  });
});
