// Course notes, as a teacher writes them and students use them: a static page of many cells
// embedded by one script tag, on another origin than the Cellbox server. What a student meets:
// a loop's long output, a screen reader's live status, the notes printed, the page reloaded
// while a cell runs, and a rate limit hit by a class behind one address.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage } from '../helpers/browser';

let box: Cellbox;
let browser: Browser;
let host: http.Server;
let hostUrl: string;
const pages = new Map<string, string>();

const escape = (code: string) => code.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function notes(cellbox: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Week 3</title>
<script src="${cellbox}/embed.js" defer></script></head><body><h1>Week 3</h1>${body}</body></html>`;
}

/** 90 short lines and one of 400 characters: taller than a window, wider than the column. */
const LONG_CODE = [
  ...Array.from({ length: 90 }, (_, i) => `x${i} = ${i} * 2  # line ${i + 1}`),
  `print("${'w'.repeat(400)}")`,
  'print("the last line")',
].join('\n');

async function serveNotes(cellbox: string): Promise<void> {
  host = http.createServer((req, res) => {
    const html = pages.get(new URL(req.url ?? '/', 'http://x').pathname);
    res.writeHead(html ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html ?? 'not found');
  });
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  pages.set('/notes', notes(cellbox, `
<p>A loop that prints:</p>
<pre data-cellbox id="long">for i in range(10000):
    print(f"line {i}: some output")</pre>
<p>A long listing:</p>
<pre data-cellbox id="listing">${escape(LONG_CODE)}</pre>
<pre data-cellbox data-theme="dark" id="dark">print("dark on screen, black on paper")</pre>
<pre data-cellbox id="slow">import time
time.sleep(2.5)
print("slept")</pre>
<pre data-cellbox id="endless">import time
time.sleep(25)
print("should never be seen")</pre>`));
}

const cell = (page: Page, id: string) => page.locator(`.cellbox-embed:has(+ #${id})`);

async function runAndWait(page: Page, id: string): Promise<void> {
  await cell(page, id).locator('.cb-run').click();
  await cell(page, id).locator('.cb-status', { hasText: /Done in|Error/ }).waitFor({ timeout: 60_000 });
}

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox());
  // Another origin: the notes on 127.0.0.1, Cellbox on localhost.
  await serveNotes(`http://localhost:${box.port}`);
});

afterAll(async () => {
  await browser?.close();
  await box?.stop();
  await new Promise((r) => host?.close(r));
});

describe('course notes with embedded cells', () => {
  it('keeps a 10,000-line output in a box of its own, its end in view, reachable by Tab', async () => {
    const w = await openPage(browser, `${hostUrl}/notes`);
    await runAndWait(w.page, 'long');
    const pre = cell(w.page, 'long').locator('.cb-output pre.cb-stream');
    const shown = await pre.evaluate((p) => {
      const r = p.getBoundingClientRect();
      return { height: r.height, scrolled: p.scrollTop, scrollHeight: p.scrollHeight, tabIndex: p.tabIndex, page: document.documentElement.scrollHeight };
    });
    // Before, the output was as tall as its text, some 110,000 px, and the notes with it.
    expect(shown.height).toBeLessThan(800);
    expect(shown.scrollHeight).toBeGreaterThan(shown.height * 10);
    expect(shown.page).toBeLessThan(10_000);
    // Its last line is what shows, as in a terminal; the keyboard can reach it to scroll.
    expect(shown.scrolled + shown.height).toBeGreaterThanOrEqual(shown.scrollHeight - 2);
    expect(shown.tabIndex).toBe(0);
    await cell(w.page, 'long').locator('.cb-run').focus();
    let reached = false;
    for (let i = 0; i < 6 && !reached; i++) {
      await w.page.keyboard.press('Tab');
      reached = await pre.evaluate((p) => (p.getRootNode() as ShadowRoot).activeElement === p);
    }
    expect(reached).toBe(true);
    // A short output is no stop for Tab.
    await runAndWait(w.page, 'dark');
    expect(await cell(w.page, 'dark').locator('.cb-output pre').getAttribute('tabindex')).toBeNull();
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

});
