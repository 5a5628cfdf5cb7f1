// The embed script in a real browser, across two origins: a host page served from one port
// embeds cells from the Cellbox server on another, styled boldly to try to break them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, screenshot, type Watched } from '../helpers/browser';
import { serveHostPages, type HostPages } from '../helpers/host-pages';
import { lowestContrast } from '../helpers/contrast';

let box: Cellbox;
let browser: Browser;
let host: HostPages;
let hostUrl: string;

/** A page that styles pre and button as loudly as it can: none of it may reach a cell. */
const LOUD_CSS = `
  body { font: 21px/2 Georgia, serif; color: #6a1b9a; background: #fffde7; }
  pre, button, select, textarea { font: 900 28px/3 'Comic Sans MS', cursive !important; color: #d50000 !important;
    background: #ffeb3b !important; border: 6px dashed #00c853 !important; padding: 20px !important; }
  div { letter-spacing: 3px; }`;

function hostPage(cellbox: string, body: string, head = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Host page</title><style>${LOUD_CSS}</style>${head}
<script src="${cellbox}/embed.js" defer></script></head><body><h1>A course page</h1>${body}</body></html>`;
}

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox());
  // Another origin: the page is on 127.0.0.1, Cellbox on localhost.
  const cellbox = `http://localhost:${box.port}`;
  host = await serveHostPages();
  hostUrl = host.url;
  host.pages.set('/cells', hostPage(cellbox, `
<script type="application/json" data-cellbox-config>{"theme": "light"}</script>
<p>Run these:</p>
<pre data-cellbox id="plain">
    for i in range(3):
        print("line", i)
</pre>
<pre data-cellbox data-autorun id="auto">print("ran by itself")</pre>
<pre data-cellbox data-readonly id="readonly">print("read only")</pre>
<pre data-cellbox data-hide="editor language share" id="noeditor">print("no editor here")</pre>
<textarea data-cellbox data-language="javascript" id="js">console.log(6 * 7)</textarea>
<script type="text/x-cellbox" data-language="bash" id="sh">echo "from bash"</script>
<pre data-cellbox data-output="#elsewhere" id="redirected">print("printed elsewhere")</pre>
<div id="elsewhere"></div>
<pre data-cellbox id="previewed">print("fresh output")</pre><output>an old run's output</output>
<div id="manual"></div>`));
  host.pages.set('/math', hostPage(cellbox, `
<pre data-cellbox data-autorun>from sympy import symbols, integrate, sin
x = symbols("x")
integrate(x**2 * sin(x), x)</pre>`));
  // A page with MathJax of its own (loaded from the one copy on this machine, marked ?page).
  host.pages.set('/page-mathjax', hostPage(cellbox, '<pre data-cellbox data-autorun>from sympy import sqrt, Symbol\nsqrt(Symbol("y"))</pre>', `
<script>window.MathJax = { loader: { paths: { mathjax: '${cellbox}/mathjax', fonts: '${cellbox}/mathjax/fonts' } }, output: { font: 'mathjax-newcm' } };</script>
<script src="${cellbox}/mathjax/tex-chtml.js?page" async></script>`));
  // The same page MathJax (ui/safe not loaded: its configuration is the page's), and a cell's
  // TeX link to javascript:, which that MathJax would follow on a click.
  host.pages.set('/page-mathjax-href', hostPage(cellbox, '<pre data-cellbox data-autorun>from IPython.display import Latex\nLatex(r"$\\href{javascript:window.pwned=1}{CLICK}$")</pre>', `
<script>window.MathJax = { loader: { paths: { mathjax: '${cellbox}/mathjax', fonts: '${cellbox}/mathjax/fonts' } }, output: { font: 'mathjax-newcm' } };</script>
<script src="${cellbox}/mathjax/tex-chtml.js?page" async></script>`));
  // The code is escaped in the page, as any author must: only the cell's output holds the tags.
  const htmlCell = [
    'class Page:',
    '    def _repr_html_(self):',
    '        return \'<b id="bold">bold</b><img src="x" onerror="window.pwned = 1"><script>window.pwned = 2</script>\'',
    'Page()',
  ].join('\n').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  host.pages.set('/html', hostPage(cellbox, `<pre data-cellbox data-autorun>${htmlCell}</pre>`));
  host.pages.set('/unreachable', hostPage(cellbox, '<pre data-cellbox data-server="http://127.0.0.1:9">print(1)</pre>'));
  host.pages.set('/manual', hostPage(cellbox, '<script type="application/json" data-cellbox-config>{"autoMount": false}</script><pre data-cellbox>print(1)</pre>'));
  // A theme the page fixes, against the reader's system, with one cell's output placed elsewhere.
  host.pages.set('/themed', hostPage(cellbox, `
<pre data-cellbox data-theme="dark" data-autorun id="dark-below">print("dark below")</pre>
<pre data-cellbox data-theme="dark" data-autorun data-output="#dark-out" id="dark-away">print("dark elsewhere")</pre>
<div id="dark-out"></div>
<pre data-cellbox data-theme="light" data-autorun data-output="#light-out" id="light-away">print("light elsewhere")</pre>
<div id="light-out"></div>
<div style="background: #111318; padding: 1px 8px">
<pre data-cellbox data-theme="light" data-autorun id="light-on-dark">print("light on a dark page")</pre>
<pre data-cellbox data-theme="light" data-autorun data-output="#light-dark-out" id="light-dark-away">print("light elsewhere on dark")</pre>
<div id="light-dark-out"></div>
</div>`));
  // A page whose own scheme is dark (a documentation theme switched to dark), the cell on auto.
  host.pages.set('/scheme', hostPage(cellbox, '<pre data-cellbox data-autorun>print("scheme")</pre>', '<style>:root { color-scheme: dark; }</style>'));
  // Pages that give their scheme by <meta name="color-scheme"> alone, with no background of their
  // own: the browser paints their canvas (and a <input>) by it, and so must the cell.
  const metaPage = (content: string, html = '<html>') => `<!doctype html>${html}<head><meta charset="utf-8"><title>Notes</title>
<meta name="color-scheme" content="${content}"><script src="${cellbox}/embed.js" defer></script></head>
<body><h1>Notes</h1><pre data-cellbox>print("meta")</pre></body></html>`;
  host.pages.set('/meta-dark', metaPage('dark'));
  host.pages.set('/meta-both', metaPage('light dark'));
  host.pages.set('/meta-css', metaPage('dark', '<html style="color-scheme: light">'));
});

afterAll(async () => {
  await browser?.close();
  await box?.stop();
  await host?.close();
});

/**
 * Counts the page's long-polls: open at once (as the page's fetch sees them: a poll ends when
 * its promise settles, aborted or answered), in all, and requests for one cell's messages.
 */
async function watchPolls(page: Page) {
  await page.addInitScript(() => {
    const seen = { open: 0, maxOpen: 0, polls: 0 };
    (window as unknown as { polls: typeof seen }).polls = seen;
    const original = window.fetch;
    window.fetch = (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (!url.includes('/api/v1/poll?')) return original(input, init);
      seen.polls++;
      seen.maxOpen = Math.max(seen.maxOpen, ++seen.open);
      const settled = () => void seen.open--;
      const p = original(input, init);
      p.then(settled, settled);
      return p;
    };
  });
  const perCell: string[] = [];
  page.on('request', (r) => {
    if (/\/api\/v1\/cells\/[^/]+\/messages/.test(r.url())) perCell.push(r.url());
  });
  return {
    perCell,
    counts: () => page.evaluate(() => (window as unknown as { polls: { open: number; maxOpen: number; polls: number } }).polls),
  };
}

const cell = (page: Page, id: string) => page.locator(`.cellbox-embed:has(+ #${id})`);

describe('cells embedded in another site', () => {
  let w: Watched;
  let polls: Awaited<ReturnType<typeof watchPolls>>;

  beforeAll(async () => {
    w = await openPage(browser, 'about:blank');
    polls = await watchPolls(w.page);
    await w.page.addInitScript(() => {
      (window as unknown as { events: string[] }).events = [];
      for (const t of ['ready', 'run', 'done', 'error']) document.addEventListener(`cellbox:${t}`, () => (window as unknown as { events: string[] }).events.push(t));
    });
    await w.page.goto(`${hostUrl}/cells`);
  });

  afterAll(async () => {
    await w.context.close();
  });

  it('mounts every kind of markup, with its code dedented, and runs the autorun cell alone', async () => {
    await w.page.locator('.cellbox-embed').nth(7).waitFor();
    expect(await w.page.locator('.cellbox-embed').count()).toBe(8);
    expect(await cell(w.page, 'plain').locator('.cm-content').innerText()).toBe('for i in range(3):\n    print("line", i)');
    await cell(w.page, 'auto').locator('.cb-output', { hasText: 'ran by itself' }).waitFor({ timeout: 30_000 });
    expect(await cell(w.page, 'plain').locator('.cb-output').textContent()).toBe('');
    // The markup stays in the page for readers without JavaScript, hidden.
    expect(await w.page.locator('#plain').isHidden()).toBe(true);
  });

  it('runs all the cells at once over one long-poll', async () => {
    const ids = ['plain', 'readonly', 'noeditor', 'js', 'sh', 'redirected', 'previewed'];
    expect(await cell(w.page, 'previewed').locator('.cb-output').textContent()).toContain("an old run's output");
    await w.page.evaluate(async () => {
      const cells = [...document.querySelectorAll('[data-cellbox-mounted]')];
      await Promise.all(cells.map((e) => (window as unknown as { Cellbox: { mount(e: Element): { run(): Promise<void> } } }).Cellbox.mount(e).run()));
    });
    const expected: Record<string, string> = {
      plain: 'line 0\nline 1\nline 2',
      readonly: 'read only',
      noeditor: 'no editor here',
      js: '42',
      sh: 'from bash',
      previewed: 'fresh output',
    };
    for (const id of ids.filter((i) => i !== 'redirected')) {
      expect((await cell(w.page, id).locator('.cb-output').innerText()).trim(), id).toBe(expected[id]);
    }
    expect((await w.page.locator('#elsewhere .cb-output').innerText()).trim()).toBe('printed elsewhere');
    // Output placed in the page is isolated too: the page's loud pre style does not reach it.
    expect(await w.page.locator('#elsewhere .cb-output pre').evaluate((p) => getComputedStyle(p).fontSize)).toBe('13.5px');
    const counts = await polls.counts();
    expect(counts.maxOpen).toBe(1);
    // A poll is restarted when a cell joins, and answered as messages come: a few per cell.
    expect(counts.polls).toBeGreaterThan(1);
    expect(counts.polls).toBeLessThan(100);
    expect(polls.perCell).toEqual([]);
  });

  it('keeps the host page styles out of the cells', async () => {
    const run = cell(w.page, 'plain').locator('.cb-run');
    const style = await run.evaluate((b) => {
      const s = getComputedStyle(b);
      return { weight: s.fontWeight, size: s.fontSize, color: s.color, border: s.borderStyle, family: s.fontFamily };
    });
    expect(style).toMatchObject({ weight: '600', size: '14px', color: 'rgb(255, 255, 255)', border: 'solid' });
    expect(style.family).not.toContain('Comic');
    const out = await cell(w.page, 'plain').locator('.cb-output pre').first().evaluate((p) => {
      const s = getComputedStyle(p);
      return { size: s.fontSize, color: s.color, background: s.backgroundColor, letterSpacing: s.letterSpacing };
    });
    expect(out).toEqual({ size: '13.5px', color: 'rgb(29, 29, 31)', background: 'rgba(0, 0, 0, 0)', letterSpacing: 'normal' });
    await screenshot(w.page, 'embed-host-page');
  });

  it('honours readonly and a hidden editor', async () => {
    const ro = cell(w.page, 'readonly');
    await ro.locator('.cm-content').click();
    await w.page.keyboard.type('# typed');
    expect(await ro.locator('.cm-content').innerText()).toBe('print("read only")');
    const hidden = cell(w.page, 'noeditor');
    // Mounted first (the Run button shows): before that, isHidden() holds for anything.
    await hidden.locator('.cb-run').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await hidden.locator('.cb-editor').isHidden()).toBe(true);
    expect(await hidden.locator('.cb-lang').isHidden()).toBe(true);
    expect(await hidden.locator('.cb-share-button').isHidden()).toBe(true);
  });

  it('offers Cellbox.mount with run, code, reset and bubbling events; the script twice mounts once', async () => {
    const result = await w.page.evaluate(async () => {
      type Handle = { run(): Promise<void>; code: string; reset(): void; element: HTMLElement };
      const api = (window as unknown as { Cellbox: { mount(e: Element, o: object): Handle; version: string } }).Cellbox;
      const handle = api.mount(document.getElementById('manual')!, { code: 'print(1 + 1)', language: 'python' });
      const before = (window as unknown as { events: string[] }).events.length;
      await handle.run();
      const output = handle.element.shadowRoot!.querySelector('.cb-output')!.textContent;
      handle.code = 'print("changed")';
      const changed = handle.code;
      handle.reset();
      // Load the script a second time: nothing is mounted again.
      const again = document.createElement('script');
      again.src = document.querySelector('script[src$="/embed.js"]')!.getAttribute('src')!;
      await new Promise((r) => {
        again.onload = r;
        document.head.append(again);
      });
      await new Promise((r) => setTimeout(r, 200));
      return {
        output,
        changed,
        reset: handle.code,
        events: (window as unknown as { events: string[] }).events.slice(before),
        mounted: document.querySelectorAll('.cellbox-embed').length,
        version: api.version,
      };
    });
    expect(result).toEqual({ output: '2\n', changed: 'print("changed")', reset: 'print(1 + 1)', events: ['run', 'done'], mounted: 9, version: '1' });
    const all = await w.page.evaluate(() => (window as unknown as { events: string[] }).events);
    expect(all.filter((e) => e === 'ready')).toHaveLength(9);
    expect(w.pageErrors).toEqual([]);
    expect(w.offMachine).toEqual([]);
  });
});

describe('an embedded cell', () => {
  it('typesets math with Cellbox\'s own MathJax when the page has none, loading nothing from elsewhere', async () => {
    const w = await openPage(browser, `${hostUrl}/math`);
    const failedFonts: string[] = [];
    w.page.on('requestfailed', (r) => failedFonts.push(r.url()));
    const math = w.page.locator('.cellbox-embed mjx-container');
    await math.waitFor({ timeout: 30_000 });
    const box = await math.boundingBox();
    expect(box!.width).toBeGreaterThan(100);
    // MathJax's CSS (kept in the document's head) is copied into the cell's shadow root (as a
    // sheet it adopts: a <style> would be refused by a page's Content-Security-Policy).
    await w.page.waitForFunction(() =>
      (document.querySelector('.cellbox-embed')?.shadowRoot?.adoptedStyleSheets ?? [])
        .some((sheet) => [...sheet.cssRules].some((r) => r.cssText.startsWith('mjx-container'))),
    null, { timeout: 10_000 });
    expect(await math.locator('mjx-c').first().evaluate((c) => getComputedStyle(c).display)).toBe('inline-block');
    expect(w.offMachine).toEqual([]);
    expect(failedFonts).toEqual([]);
    await screenshot(w.page, 'embed-math');
    await w.context.close();
  });

  it("borrows the page's own MathJax rather than loading a second one", async () => {
    const w = await openPage(browser, 'about:blank');
    const loads: string[] = [];
    w.page.on('request', (r) => {
      if (r.url().includes('/tex-chtml.js')) loads.push(new URL(r.url()).search);
    });
    await w.page.goto(`${hostUrl}/page-mathjax`);
    await w.page.locator('.cellbox-embed mjx-container').waitFor({ timeout: 30_000 });
    expect(loads).toEqual(['?page']);
    await w.context.close();
  });

  it("never follows a javascript: link in math typeset by the page's own MathJax", async () => {
    const w = await openPage(browser, `${hostUrl}/page-mathjax-href`);
    const math = w.page.locator('.cellbox-embed mjx-container');
    await math.waitFor({ timeout: 30_000 });
    // The links are checked as soon as MathJax has typeset: a moment for that, then a click.
    await w.page.waitForTimeout(500);
    await math.click();
    await w.page.waitForTimeout(300);
    expect(await w.page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    await w.context.close();
  });

  it('shows HTML output without ever running its script in the host page', async () => {
    const w = await openPage(browser, `${hostUrl}/html`);
    await w.page.locator('.cellbox-embed #bold').waitFor({ timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(await w.page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await w.page.locator('.cellbox-embed script').count()).toBe(0);
    await w.context.close();
  });

  it('says so when the server cannot be reached', async () => {
    const w = await openPage(browser, `${hostUrl}/unreachable`);
    await w.page.locator('.cellbox-embed .cb-run').click();
    await w.page.locator('.cellbox-embed .cb-status', { hasText: 'could not be reached' }).waitFor({ timeout: 15_000 });
    await w.context.close();
  });

  it('gives output placed elsewhere the theme the page fixed for its cell', async () => {
    // Output colours, as the reader's system would have them otherwise: light text on dark is
    // the dark theme's (#ececef), dark text the light one's (#1d1d1f).
    const text = (page: Page, where: string, said: string) =>
      page.locator(`${where} .cb-output`, { hasText: said }).evaluate((e) => getComputedStyle(e).color);
    for (const colorScheme of ['light', 'dark'] as const) {
      const w = await openPage(browser, `${hostUrl}/themed`, { colorScheme });
      await w.page.locator('#dark-out .cb-output', { hasText: 'dark elsewhere' }).waitFor({ timeout: 30_000 });
      await w.page.locator('#light-out .cb-output', { hasText: 'light elsewhere' }).waitFor({ timeout: 30_000 });
      expect(await text(w.page, '.cellbox-embed:has(+ #dark-below)', 'dark below'), colorScheme).toBe('rgb(236, 236, 239)');
      expect(await text(w.page, '#dark-out', 'dark elsewhere'), colorScheme).toBe('rgb(236, 236, 239)');
      expect(await text(w.page, '#light-out', 'light elsewhere'), colorScheme).toBe('rgb(29, 29, 31)');
      // And it reads: a theme unlike the page's brings its own background (the dark one's text
      // once sat at 1.1:1 on this pale page), below the cell or placed elsewhere, light or dark.
      await w.page.locator('#light-dark-out .cb-output', { hasText: 'light elsewhere on dark' }).waitFor({ timeout: 30_000 });
      await cell(w.page, 'light-on-dark').locator('.cb-output', { hasText: 'light on a dark page' }).waitFor({ timeout: 30_000 });
      for (const where of ['.cellbox-embed:has(+ #dark-below)', '#dark-out', '#light-out', '.cellbox-embed:has(+ #light-on-dark)', '#light-dark-out']) {
        const measured = await lowestContrast(w.page, `${where} .cb-output pre, ${where} .cb-status`);
        expect(measured.count, where).toBeGreaterThan(0);
        expect(measured.lowest, `${where}, ${colorScheme}`).toBeGreaterThanOrEqual(4.5);
      }
      await screenshot(w.page, `embed-themed-${colorScheme}`);
      await w.context.close();
    }
  });

  it('matches, on auto, the page it sits on: its colour scheme, its background, else the system', async () => {
    const w = await openPage(browser, `${hostUrl}/scheme`, { colorScheme: 'light' });
    const out = w.page.locator('.cellbox-embed .cb-output', { hasText: 'scheme' });
    await out.waitFor({ timeout: 30_000 });
    const colour = () => out.evaluate((e) => getComputedStyle(e).color);
    const editor = () => w.page.locator('.cellbox-embed .cm-editor').evaluate((e) => getComputedStyle(e).backgroundColor);
    const set = (what: 'scheme' | 'background', value: string) =>
      w.page.evaluate(([k, v]) => void (k === 'scheme' ? (document.documentElement.style.colorScheme = v) : (document.body.style.background = v)), [what, value]);
    // The page says dark, the reader's system light: the page wins.
    expect(await colour()).toBe('rgb(236, 236, 239)');
    expect(await editor()).toBe('rgb(31, 32, 36)');
    // The reader switches the page to light, as a theme toggle does on <html>.
    await set('scheme', 'light');
    await expect.poll(colour).toBe('rgb(29, 29, 31)');
    expect(await editor()).toBe('rgb(255, 255, 255)');
    // No scheme of its own: its background decides, whatever the system says (this page's is
    // pale yellow; then near black).
    await w.page.emulateMedia({ colorScheme: 'dark' });
    await set('scheme', 'normal');
    await expect.poll(colour).toBe('rgb(29, 29, 31)');
    await set('background', '#111318');
    await expect.poll(colour).toBe('rgb(236, 236, 239)');
    // Both schemes named and no background: the canvas, so the reader's system, decides.
    await set('background', 'transparent');
    await set('scheme', 'light dark');
    await expect.poll(colour).toBe('rgb(236, 236, 239)');
    await w.page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(colour).toBe('rgb(29, 29, 31)');
    await w.context.close();
  });

  it('follows the scheme a page gives only by <meta name="color-scheme">, as the browser does', async () => {
    // The editor's background: the dark theme's, or the light one's.
    const DARK = 'rgb(31, 32, 36)';
    const LIGHT = 'rgb(255, 255, 255)';
    const editor = (w: Watched) => w.page.locator('.cellbox-embed .cm-editor').evaluate((e) => getComputedStyle(e).backgroundColor);
    const open = async (path: string, colorScheme: 'light' | 'dark') => {
      const w = await openPage(browser, `${hostUrl}${path}`, { colorScheme });
      await w.page.locator('.cellbox-embed .cm-editor').waitFor({ timeout: 30_000 });
      return w;
    };
    // `dark` alone: a dark canvas whatever the reader's system says, and a dark cell on it.
    const dark = await open('/meta-dark', 'light');
    expect(await editor(dark)).toBe(DARK);
    // The page's theme switch edits the tag, or takes it out, or puts another in.
    const meta = (f: string) => dark.page.evaluate(f);
    await meta('document.querySelector(\'meta[name="color-scheme"]\').content = "light"');
    await expect.poll(() => editor(dark)).toBe(LIGHT);
    await meta('document.querySelector(\'meta[name="color-scheme"]\').setAttribute("content", "only dark")');
    await expect.poll(() => editor(dark)).toBe(DARK);
    await meta('document.querySelector(\'meta[name="color-scheme"]\').remove()');
    await expect.poll(() => editor(dark)).toBe(LIGHT);
    await meta('document.head.append(Object.assign(document.createElement("meta"), { name: "color-scheme", content: "dark" }))');
    await expect.poll(() => editor(dark)).toBe(DARK);
    await dark.context.close();
    // `light dark`: the reader's system decides, and the cell follows it as it changes.
    for (const colorScheme of ['dark', 'light'] as const) {
      const both = await open('/meta-both', colorScheme);
      expect(await editor(both), colorScheme).toBe(colorScheme === 'dark' ? DARK : LIGHT);
      await both.page.emulateMedia({ colorScheme: colorScheme === 'dark' ? 'light' : 'dark' });
      await expect.poll(() => editor(both)).toBe(colorScheme === 'dark' ? LIGHT : DARK);
      await both.context.close();
    }
    // The CSS property, where the page sets it, wins over the tag (as the browser's canvas shows).
    const css = await open('/meta-css', 'dark');
    expect(await editor(css)).toBe(LIGHT);
    await css.context.close();
  });

  it('mounts nothing by itself when the page opts out, and mounts on Cellbox.scan()', async () => {
    const w = await openPage(browser, `${hostUrl}/manual`);
    await w.page.waitForFunction(() => 'Cellbox' in window);
    expect(await w.page.locator('.cellbox-embed').count()).toBe(0);
    await w.page.evaluate(() => (window as unknown as { Cellbox: { scan(): unknown[] } }).Cellbox.scan());
    expect(await w.page.locator('.cellbox-embed').count()).toBe(1);
    await w.context.close();
  });
});

describe('the /embed page', () => {
  it('fits a 300 px phone without scrolling sideways once the scripted example has logged its JSON', async () => {
    const w = await openPage(browser, `${box.url}/embed`, { viewport: { width: 300, height: 700 } });
    await w.page.locator('#by-script-log', { hasText: 'cellbox:done {"ok":true' }).waitFor({ timeout: 30_000 });
    // The log is one word some 300 px wide, which scrolled the page by up to 27 px, unless the
    // cell's id had a "-" to break at: an id without one, then.
    const sizes = await w.page.evaluate(() => {
      const log = document.getElementById('by-script-log')!;
      log.textContent = log.textContent!.replace(/"cellId":"[^"]*"/, '"cellId":"WWWWWWWWWWWW"');
      return [document.documentElement.scrollWidth, document.documentElement.clientWidth];
    });
    expect(sizes[0]).toBe(sizes[1]);
  });

  it('runs every example live, the scripted one included', async () => {
    const w = await openPage(browser, `${box.url}/embed`);
    const examples = await w.page.locator('section').count();
    // One cell per example section, plus the one a script mounts and the SageMathCell
    // example's second cell.
    await w.page.locator('.cellbox-embed').nth(examples).waitFor();
    expect(await w.page.locator('.cellbox-embed').count()).toBe(examples + 1);
    await w.page.locator('#autorun .cb-output', { hasText: 'Ran as the page loaded' }).waitFor({ timeout: 30_000 });
    await w.page.locator('#by-script-log', { hasText: 'cellbox:done {"ok":true' }).waitFor({ timeout: 30_000 });
    await w.page.locator('#math .cb-run').click();
    await w.page.locator('#math mjx-container').waitFor({ timeout: 30_000 });
    await w.page.locator('#output .cb-run').click();
    await w.page.locator('#plot-here .cb-output img').waitFor({ timeout: 30_000 });
    expect(await w.page.locator('#preview .cb-output').innerText()).toContain('1267650600228229401496703205376');
    await w.page.locator('#markup .cb-run').click();
    await w.page.locator('#markup .cb-output', { hasText: '<c> & done' }).waitFor({ timeout: 30_000 });
    // makeSagecell()'s linked cells, with the label it gave them.
    const sagecell = w.page.locator('#sagecell .compute').nth(1);
    await sagecell.locator('.cb-run', { hasText: 'Evaluate' }).click();
    await sagecell.locator('.cb-output', { hasText: '144' }).waitFor({ timeout: 30_000 });
    await screenshot(w.page, 'embed-demo');
    expect(w.pageErrors).toEqual([]);
    // Nothing it loads is missing (a page with no icon of its own logs a 404 for /favicon.ico).
    expect(w.consoleErrors).toEqual([]);
    expect(w.offMachine).toEqual([]);
    await w.context.close();
  });
});

describe('sharing', () => {
  it('makes a permalink from the page that opens the same code, ready to run', async () => {
    const w = await openPage(browser, `${box.url}/`);
    await w.page.locator('.cm-content').click();
    await w.page.keyboard.press('Control+A');
    await w.page.keyboard.insertText('print("shared " * 2)');
    await w.page.locator('.cb-share-button').click();
    const link = w.page.locator('.cb-share input').first();
    await expect.poll(() => link.inputValue(), { timeout: 10_000 }).toMatch(/\/s\/[A-Za-z0-9_-]+$/);
    const url = await link.inputValue();
    const zLink = await w.page.locator('.cb-share input').nth(1).inputValue();
    expect(zLink).toMatch(/\/\?z=[A-Za-z0-9_-]+&lang=python$/);
    const embedCode = await w.page.locator('.cb-share textarea').inputValue();
    expect(embedCode).toBe(`<script src="${box.url}/embed.js" defer></script>\n<pre data-cellbox data-language="python">print("shared " * 2)</pre>`);
    await screenshot(w.page, 'share-panel');

    await w.page.goto(url);
    expect(await w.page.locator('.cm-content').innerText()).toBe('print("shared " * 2)');
    await w.page.locator('.cb-run').click();
    await w.page.locator('.cb-output', { hasText: 'shared shared' }).waitFor({ timeout: 30_000 });

    await w.page.goto(zLink);
    await expect.poll(() => w.page.locator('.cm-content').innerText(), { timeout: 10_000 }).toBe('print("shared " * 2)');
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });
});
