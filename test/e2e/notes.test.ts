// Course notes, as a teacher writes them and students use them: a static page of many cells
// embedded by one script tag, on another origin than the Cellbox server. What a student meets:
// a loop's long output, a screen reader's live status, the notes printed, the page reloaded
// while a cell runs, and a rate limit hit by a class behind one address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { get, run, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage } from '../helpers/browser';
import { serveHostPages, type HostPages } from '../helpers/host-pages';

let box: Cellbox;
let browser: Browser;
let host: HostPages;
let hostUrl: string;

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
  host = await serveHostPages();
  hostUrl = host.url;
  host.pages.set('/notes', notes(cellbox, `
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
print("should never be seen")</pre>
<p>Linked cells: a definition, then a use.</p>
<pre data-cellbox data-linked id="define">def newton(f, df, x, steps=6):
    for _ in range(steps):
        x = x - f(x) / df(x)
    return x</pre>
<pre data-cellbox data-linked id="start">x0 = 1.0</pre>
<pre data-cellbox data-linked id="use">print(round(newton(lambda x: x * x - 2, lambda x: 2 * x, x0), 6))</pre>`));
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
  await host?.close();
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

  it('prints the code, all of it, and the output, in dark ink, without the buttons', async () => {
    const w = await openPage(browser, `${hostUrl}/notes`, { colorScheme: 'dark' });
    await runAndWait(w.page, 'listing');
    await runAndWait(w.page, 'dark');
    await runAndWait(w.page, 'long');
    await w.page.emulateMedia({ media: 'print' });
    const listing = await cell(w.page, 'listing').evaluate((h) => {
      const root = h.shadowRoot!;
      const editor = root.querySelector('.cb-editor')!.getBoundingClientRect();
      const lines = [...root.querySelectorAll('.cm-line')];
      const last = lines[lines.length - 1]!.getBoundingClientRect();
      const wide = lines.find((l) => l.textContent!.includes('wwww'))!;
      return {
        lines: lines.length,
        lastText: lines[lines.length - 1]!.textContent,
        lastInside: last.bottom <= editor.bottom + 1,
        wideInside: wide.getBoundingClientRect().right <= editor.right + 1,
        bar: getComputedStyle(root.querySelector('.cb-bar')!).display,
      };
    });
    // On screen the editor stops at 70% of the window and a long line scrolls sideways: on
    // paper the rest of the listing and the end of the long line were cut off.
    expect(listing).toEqual({ lines: 92, lastText: 'print("the last line")', lastInside: true, wideInside: true, bar: 'none' });
    const dark = await cell(w.page, 'dark').evaluate((h) => {
      const root = h.shadowRoot!;
      const colour = (s: string) => getComputedStyle(root.querySelector(s)!).color;
      return { code: colour('.cm-content'), output: colour('.cb-output pre'), outputText: root.querySelector('.cb-output')!.textContent };
    });
    // Light ink for a dark background, which a printer leaves out: near invisible on paper.
    expect(dark).toEqual({ code: 'rgb(29, 29, 31)', output: 'rgb(29, 29, 31)', outputText: expect.stringContaining('black on paper') });
    // All of a long output is printed, not its scroll box.
    const long = await cell(w.page, 'long').locator('.cb-output pre.cb-stream').evaluate((p) => ({ height: p.getBoundingClientRect().height, scrollHeight: p.scrollHeight }));
    expect(long.height).toBeGreaterThanOrEqual(long.scrollHeight - 1);
    const pdf = await w.page.pdf({ format: 'A4' });
    expect(pdf.length).toBeGreaterThan(10_000);
    await w.context.close();
  });

  it('runs a cell double-clicked, as a reader double-clicks a button, to its end', async () => {
    const w = await openPage(browser, `${hostUrl}/notes`);
    const slow = cell(w.page, 'slow');
    // The first click ran the cell and made the button Stop under the pointer; the second
    // stopped it at once: "Error: Interrupted" and a traceback in place of "slept".
    await slow.locator('.cb-run').dblclick();
    await slow.locator('.cb-status', { hasText: /Done in|Error|Stopped/ }).waitFor({ timeout: 60_000 });
    expect(await slow.locator('.cb-status').textContent()).toMatch(/^Done in/);
    expect(await slow.locator('.cb-output').textContent()).toContain('slept');
    // Stop double-clicked stops the run, and the second click does not start another.
    await slow.locator('.cb-run', { hasText: 'Run' }).click();
    await slow.locator('.cb-run', { hasText: 'Stop' }).waitFor();
    await slow.locator('.cb-status', { hasText: /Running/ }).waitFor({ timeout: 30_000 });
    await slow.evaluate((h) => {
      const seen = { n: 0 };
      h.addEventListener('cellbox:run', () => seen.n++);
      (window as unknown as { runsSeen: { n: number } }).runsSeen = seen;
    });
    await slow.locator('.cb-run').dblclick();
    await slow.locator('.cb-run', { hasText: 'Run' }).waitFor({ timeout: 30_000 });
    expect(await slow.locator('.cb-status').textContent()).not.toMatch(/Running|Done in/);
    expect(await w.page.evaluate(() => (window as unknown as { runsSeen: { n: number } }).runsSeen.n)).toBe(0);
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it("shares a linked cell with the linked cells' code above it: the link runs as the cell does", async () => {
    const w = await openPage(browser, `${hostUrl}/notes`);
    const use = cell(w.page, 'use');
    await runAndWait(w.page, 'use');
    expect(await use.locator('.cb-output').textContent()).toContain('1.414214');
    await use.locator('.cb-share-button').click();
    const link = use.locator('.cb-share-row input').first();
    await expect.poll(() => link.inputValue(), { timeout: 30_000 }).toMatch(/\/s\/[\w-]{10}$/);
    const id = (await link.inputValue()).split('/s/')[1];
    const snippet = (await get(`${box.url}/api/v1/snippets/${id}`)).body as { code: string; language: string };
    // Its own line alone, the link's code ran into "NameError: name 'newton' is not defined".
    const ran = await run(box.url, snippet.code, snippet.language);
    expect(stdout(ran)).toBe('1.414214\n');
    // The panel says so, and the code in the link reads in the page's order.
    expect(await use.locator('.cb-share').textContent()).toMatch(/2 linked cells above/);
    expect(snippet.code.indexOf('def newton')).toBeLessThan(snippet.code.indexOf('x0 = 1.0'));
    expect(snippet.code.indexOf('x0 = 1.0')).toBeLessThan(snippet.code.indexOf('print(round'));
    // The link with the code in it and the markup hold the same code.
    const z = await use.locator('.cb-share-row input').nth(1).inputValue();
    const opened = await w.context.newPage();
    await opened.goto(z);
    await expect.poll(() => opened.locator('.cm-content').first().textContent()).toContain('def newton');
    expect(await use.locator('.cb-share-row textarea').inputValue()).toContain('def newton');
    // A cell with no linked cell above it shares its own code, as any cell.
    const define = cell(w.page, 'define');
    await define.locator('.cb-share-button').click();
    await expect.poll(() => define.locator('.cb-share-row input').first().inputValue(), { timeout: 30_000 }).toMatch(/\/s\//);
    expect(await define.locator('.cb-share').textContent()).not.toMatch(/linked cell/);
    await w.context.close();
  });

  it('says what the keys do beside the code, not over it: the end of a one-line cell stays in view', async () => {
    // A window as wide as a column of notes: the hint, some 320 px, sat over the right of the
    // last line, where a reader types, its cursor hidden under it.
    const w = await openPage(browser, `${hostUrl}/notes`, { viewport: { width: 700, height: 800 } });
    const use = cell(w.page, 'use');
    await use.locator('.cm-content').click();
    await w.page.keyboard.press('End');
    const seen = await use.evaluate((h) => {
      const root = h.shadowRoot!;
      const box = (e: Element) => e.getBoundingClientRect();
      const hint = root.querySelector('.cb-keys')!;
      const line = root.querySelector('.cm-line')!;
      const cursor = root.querySelector('.cm-cursor-primary');
      const overlaps = (a: DOMRect, b: DOMRect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      return {
        shown: getComputedStyle(hint).display !== 'none',
        text: hint.textContent,
        overLine: overlaps(box(hint), box(line)),
        overCursor: cursor ? overlaps(box(hint), box(cursor)) : null,
        inside: box(hint).bottom <= box(root.querySelector('.cb-editor')!).bottom,
      };
    });
    expect(seen).toEqual({ shown: true, text: expect.stringContaining('Esc then Tab'), overLine: false, overCursor: false, inside: true });
    // The focus leaving the editor moves nothing: had the hint's row gone with it, the Run
    // button below would move up between the press that takes the focus and the release, and
    // a click on it would miss.
    const runAt = () => use.locator('.cb-run').evaluate((b) => b.getBoundingClientRect().top);
    const before = await runAt();
    await w.page.keyboard.press('Escape');
    await w.page.keyboard.press('Tab');
    expect(await use.locator('.cb-keys').isVisible()).toBe(false);
    expect(await runAt()).toBe(before);
    await use.locator('.cm-content').click();
    await use.locator('.cb-run').click();
    await use.locator('.cb-status', { hasText: /Done in|Error/ }).waitFor({ timeout: 60_000 });
    expect(await use.locator('.cb-output').textContent()).toContain('1.414214');
    await w.context.close();
  });

  it("announces the status line's words when they change, not its clock at every tick", async () => {
    const w = await openPage(browser, `${hostUrl}/notes`);
    const slow = cell(w.page, 'slow');
    await slow.locator('.cb-run').waitFor();
    // Every change a screen reader is told of: the text of the cell's role="status" regions.
    await slow.evaluate((h) => {
      const seen: string[] = [];
      (window as unknown as { announced: string[] }).announced = seen;
      const regions = [...h.shadowRoot!.querySelectorAll('[role="status"], [aria-live]:not([aria-live="off"])')].filter((r) => !r.classList.contains('cb-output'));
      for (const r of regions) {
        new MutationObserver(() => seen.push(r.textContent ?? '')).observe(r, { childList: true, characterData: true, subtree: true });
      }
    });
    await slow.locator('.cb-run').click();
    await slow.locator('.cb-status', { hasText: 'Done in' }).waitFor({ timeout: 30_000 });
    const announced = await w.page.evaluate(() => (window as unknown as { announced: string[] }).announced);
    // "Running…", maybe a wait, then "Done in …": a few changes, where the clock beside them
    // changed some 25 times, each once announced as "Running… 0.1 s", "Running… 0.2 s" ….
    expect(announced.length, JSON.stringify(announced)).toBeLessThanOrEqual(5);
    expect(announced.at(-1)).toMatch(/^Done in/);
    expect(announced.some((a) => /\d s$/.test(a) && a.startsWith('Running'))).toBe(false);
    await w.context.close();
  });

  it('stops a running cell when the page is reloaded: no page will show its output', async () => {
    const w = await openPage(browser, `${hostUrl}/notes`);
    const posted = w.page.waitForResponse((r) => /\/api\/v1\/cells\?/.test(r.url()) && r.request().method() === 'POST');
    await cell(w.page, 'endless').locator('.cb-run').click();
    const id = ((await (await posted).json()) as { id: string }).id;
    await cell(w.page, 'endless').locator('.cb-status', { hasText: /Running/ }).waitFor();
    await w.page.reload();
    await cell(w.page, 'endless').locator('.cb-run').waitFor();
    // It ran on to its time limit (30 s; it sleeps 25), holding one of the server's places.
    let status = '';
    for (let i = 0; i < 100 && status !== 'done'; i++) {
      status = (await get(`${box.url}/api/v1/cells/${id}`)).body.status;
      if (status !== 'done') await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('done');
    const messages = (await get(`${box.url}/api/v1/cells/${id}/messages?after=0&wait=0`)).body.messages as { header: { msg_type: string }; content: { ename?: string } }[];
    expect(messages.find((m) => m.header.msg_type === 'error')?.content.ename).toBe('Interrupted');
    await w.context.close();
  });
});

describe('a class behind one address, over its rate limit', () => {
  let limited: Cellbox;
  beforeAll(async () => {
    limited = await startCellbox({ CELLBOX_CELLS_PER_MINUTE: '6', CELLBOX_CELLS_BURST: '2', CELLBOX_LANGUAGES: 'python' });
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('says in the cell how long to wait, from the Retry-After the server sent', async () => {
    const w = await openPage(browser, `${limited.url}/`);
    const run = async () => {
      await w.page.locator('.cb-run', { hasText: 'Run' }).click();
      await w.page.locator('.cb-run', { hasText: 'Run' }).waitFor({ timeout: 30_000 });
      return w.page.locator('.cb-status').textContent();
    };
    expect(await run()).toMatch(/Done in/);
    expect(await run()).toMatch(/Done in/);
    // The third within the burst's minute: 6 a minute is one every 10 s.
    expect(await run()).toMatch(/^Too many runs .*; try again in (\d|10) s\.$/);
    await w.context.close();
  });
});
