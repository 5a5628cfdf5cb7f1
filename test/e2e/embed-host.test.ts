// The embed on host pages as course notes, textbooks and documentation sites write them, served
// from another origin in a real browser: a strict Content-Security-Policy, a root font size of
// their own, the script loaded as a module or from behind a path prefix, cells added after the
// page loaded, fifty cells, SageMathCell's markup, and settings written wrong.
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
/** The host pages by path, each with the headers it is served with. */
const pages = new Map<string, { html: string; headers?: Record<string, string> }>();

/** Where a Cellbox behind a path prefix is reached through the host's own server. */
const PREFIX = '/tools/cellbox';

function page(head: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Course notes</title>${head}</head><body><h1>Notes</h1>${body}</body></html>`;
}

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox());
  const cellbox = `http://localhost:${box.port}`;
  const script = `<script src="${cellbox}/embed.js" defer></script>`;
  host = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith(`${PREFIX}/`)) {
      // A reverse proxy that serves Cellbox under a path of the host's site.
      const upstream = http.request(
        { host: '127.0.0.1', port: box.port, method: req.method, path: req.url!.slice(PREFIX.length), headers: { ...req.headers, host: `127.0.0.1:${box.port}` } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
      return;
    }
    if (url.pathname === '/framed-from-localhost') {
      // The same server under another name: another origin for the browser.
      res.writeHead(302, { Location: `http://localhost:${(host.address() as AddressInfo).port}/framed` });
      res.end();
      return;
    }
    const p = pages.get(url.pathname);
    res.writeHead(p ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8', ...p?.headers });
    res.end(p?.html ?? 'not found');
  });
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;

  // A strict policy that names Cellbox where it must: no inline style, no inline script.
  const strict = `default-src 'none'; script-src ${cellbox}; style-src ${cellbox}; connect-src ${cellbox}; img-src ${cellbox} data:`;
  pages.set('/csp', { html: page(script, '<pre data-cellbox data-theme="light" data-autorun id="a">print("under a strict policy")</pre>'), headers: { 'Content-Security-Policy': strict } });
  // A policy that lets the script in and forgets connect-src.
  pages.set('/csp-no-connect', {
    html: page(script, '<pre data-cellbox data-autorun id="a">print(1)</pre>'),
    headers: { 'Content-Security-Policy': `default-src 'self'; script-src ${cellbox}` },
  });
  // The strict policy demanding Trusted Types too, allowing the embed's policy by its name.
  const mixed = ['from IPython.display import display, HTML, Markdown, Latex, Image', 'import base64',
    'print("text under Trusted Types")',
    'display(HTML("<table><tr><th>n</th><th>square</th></tr><tr><td>3</td><td>9</td></tr></table>"))',
    'display(Markdown("some **bold** Markdown"))',
    `display(Image(data=base64.b64decode("${PNG_1PX}")))`,
    'display(Latex(r"$\\frac{a}{b}$"))',
    'open("out.txt", "w").write("hello")'].join('\n');
  const trusted = `${strict}; font-src ${cellbox}; worker-src blob:; require-trusted-types-for 'script'; trusted-types cellbox`;
  pages.set('/trusted-types', { html: page(script, `<script type="text/x-cellbox" data-autorun id="a">${mixed}</script>`), headers: { 'Content-Security-Policy': trusted } });
  // An interact's controls under the same policy: made with DOM calls, styled by adopted sheets.
  const interact = ['@interact', "def f(n=slider(0, 10, 1, default=2), c=selector(['a', 'b'], buttons=True)):", '    print(f"n is {n}, c is {c}")'].join('\n');
  pages.set('/interact-trusted-types', { html: page(script, `<script type="text/x-cellbox" data-autorun id="a">${interact}</script>`), headers: { 'Content-Security-Policy': trusted } });
  // Math under a policy that allows no inline style (and names Cellbox's fonts and speech worker).
  pages.set('/math-strict-style', {
    html: page(script, '<pre data-cellbox data-autorun id="a">from IPython.display import Latex\nLatex(r"$\\sum_{n=1}^\\infty \\frac{1}{n^2} = \\frac{\\pi^2}{6}$")</pre>'),
    headers: { 'Content-Security-Policy': `${strict}; font-src ${cellbox}; worker-src blob:` },
  });
  // Scripts allowed by a nonce alone, no host: the embed's own script carries it.
  pages.set('/nonce', {
    html: page(`<script nonce="abc" src="${cellbox}/embed.js" defer></script>`, '<pre data-cellbox data-autorun id="a">from IPython.display import Latex\nLatex(r"$\\frac{a}{b}$")</pre>'),
    headers: { 'Content-Security-Policy': `default-src 'none'; script-src 'nonce-abc'; connect-src ${cellbox}; img-src ${cellbox} data:; font-src ${cellbox}; worker-src blob:` },
  });
  // The same, with a trusted-types directive that does not name the embed's policy.
  pages.set('/trusted-types-refused', {
    html: page(script, '<pre data-cellbox data-autorun id="a">print(1)</pre>'),
    headers: { 'Content-Security-Policy': `${strict}; require-trusted-types-for 'script'; trusted-types other` },
  });
  pages.set('/big-root', {
    html: page(`${script}<style>html { font-size: 40px; } output { display: block; }</style>`, '<pre data-cellbox data-theme="light" id="a">print(1)</pre><output id="old">1</output>'),
  });
  // A page written right to left (Arabic, Hebrew, Persian course notes): code and its output
  // read left to right whatever the page's direction, as code blocks do on such sites.
  pages.set('/rtl', {
    html: `<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>ملاحظات</title>${script}</head><body><p>نص عربي</p>
<pre data-cellbox data-theme="light" id="rtl" data-output="#rtl-out">for i in range(2):
    print(i, "done:")
from IPython.display import Latex
Latex(r"$\\int_0^1 x\\,dx$")</pre><div id="rtl-out"></div></body></html>`,
  });
  // Course notes shown by a learning platform (Canvas, Moodle) in a frame of another origin,
  // which the Clipboard API's permissions policy refuses unless the platform allows it.
  pages.set('/lms', { html: page('', '<iframe title="Lesson" src="/framed-from-localhost" width="900" height="500"></iframe>') });
  pages.set('/framed', { html: page(script, '<pre data-cellbox data-theme="light" id="a">print("copied from a frame")</pre>') });
  // Math a cell cannot typeset: on a page of MathJax 2 (older course notes load it; the
  // inline script stands in for it, as Cellbox tells it by its MathJax.Hub), and on a page whose
  // policy lets in embed.js alone, not Cellbox's MathJax.
  const latex = '<pre data-cellbox data-theme="light" data-autorun id="a">from IPython.display import Latex\nLatex(r"$\\frac{a}{b}$")</pre>';
  pages.set('/mathjax2', { html: page(`<script>window.MathJax = { Hub: { Queue() {} }, version: '2.7.9' };</script>${script}`, latex) });
  pages.set('/mathjax-refused', {
    html: page(script, latex),
    headers: { 'Content-Security-Policy': `default-src 'none'; script-src ${cellbox}/embed.js; connect-src ${cellbox}; img-src data:` },
  });
  pages.set('/module', { html: page(`<script src="${cellbox}/embed.js" type="module"></script>`, '<pre data-cellbox data-autorun id="a">print("as a module")</pre>') });
  pages.set('/prefix', { html: page(`<script src="${PREFIX}/embed.js" defer></script>`, '<pre data-cellbox data-autorun id="a">print("behind a prefix")</pre>') });
  pages.set('/late', { html: page(script, '<div id="slides"></div>') });
  pages.set('/many', { html: page(script, Array.from({ length: 50 }, (_, i) => `<pre data-cellbox id="c${i}">print(${i})</pre>`).join('\n')) });
  // Flex layouts, as course notes and documentation frameworks make them: the cell is the item.
  const long = `print("${'a long line of code '.repeat(30)}")`;
  pages.set('/flex', {
    html: page(`${script}<style>.row, .column { display: flex; width: 900px; gap: 20px; margin: 8px 0; } .column { flex-direction: column; align-items: center; } nav { flex: none; width: 200px; }</style>`, `
<div class="row"><div data-cellbox id="alone">print(1)</div></div>
<div class="row"><nav>Contents</nav><div data-cellbox id="beside">print(2)</div></div>
<div class="row"><div data-cellbox id="left">print(3)</div><div data-cellbox id="right">print(4)</div></div>
<div class="column"><div data-cellbox id="centred">print(5)</div></div>
<div class="column" style="height: 900px"><div data-cellbox id="in-tall">print(6)</div><p id="below">below the cell</p></div>
<div class="row"><pre data-cellbox id="long">${long}</pre></div>`),
  });
  // A documentation layout: the text in a grid's 1fr column (or a flex item) beside a table of
  // contents, the cell a few elements down in it; a table of exercises of a set width; and a
  // box only as wide as its content (inline-block).
  pages.set('/sidebar', {
    html: page(`${script}<style>body { margin: 0; } .grid { display: grid; grid-template-columns: 1fr 200px; gap: 20px; width: 900px; } .flex { display: flex; gap: 20px; width: 900px; } .flex > main { flex: 1; } aside { width: 200px; flex: none; } .fit { display: inline-block; }</style>`, `
<div class="grid"><main><section><pre data-cellbox id="in-grid">${long}</pre>
<script type="text/x-cellbox" data-autorun id="wide-table">from IPython.display import HTML
HTML("<table><tr>" + "<td>a_value_that_does_not_break</td>" * 40 + "</tr></table>")</script></section></main><aside id="grid-toc">Contents</aside></div>
<div class="flex"><main><pre data-cellbox id="in-flex">${long}</pre></main><aside id="flex-toc">Contents</aside></div>
<table style="width: 600px" id="exercises"><tr><td>1.</td><td><pre data-cellbox id="in-table">${long}</pre></td></tr></table>
<div class="fit"><pre data-cellbox id="in-fit">${long}</pre></div>`),
  });
  // A "Try it" button opening a modal dialog with a cell in it: the dialog focuses the first
  // thing in it that can take the focus.
  pages.set('/dialog', {
    html: page(script, `<button id="try">Try it</button><dialog id="dlg"><pre data-cellbox data-theme="light" id="in-dialog">print(1)</pre></dialog>
<script>document.getElementById('try').onclick = () => document.getElementById('dlg').showModal();</script>`),
  });
  pages.set('/sage', { html: page(script, '<div class="compute"><script type="text/x-sage">print(2^10)</script></div>') });
  pages.set('/wrong', {
    html: page(script, `
<pre data-cellbox data-output="###" id="bad-selector">print(1)</pre>
<pre data-cellbox data-autorun="maybe" id="bad-bool">print("ran")</pre>
<pre data-cellbox data-theme="drak" id="bad-theme">print(1)</pre>
<pre data-cellbox data-hide="editr share" id="bad-hide">print(1)</pre>
<pre data-cellbox data-server="cellbox.example.org" id="bad-server">print(1)</pre>
<pre data-cellbox data-language="pyhton" id="bad-language">print(1)</pre>
<pre data-cellbox data-language="c" id="tag-in-code">#include <stdio.h>
int main(void) { puts("hi"); }</pre>
<pre data-cellbox id="fine" data-output-preview="!important: a preview may say anything">print("fine")</pre>`),
  });
  // Attributes Cellbox does not read: near misses of its own, the page's own, and SageMathCell's
  // data-lang, which makeSagecell() reads.
  pages.set('/slips', {
    html: page(script, `
<pre data-cellbox data-lang="r" id="lang">print(1)</pre>
<pre data-cellbox data-langauge="r" data-them="dark" id="two">print(2)</pre>
<pre data-cellbox data-line="2" data-label="Example 1" data-toc-skip id="own">print(3)</pre>
<div class="compute" data-lang="python"><script type="text/x-sage">print(4)</script></div>
<script type="text/x-sage" data-lang="python" id="sage-lang">print(5)</script>
<script>document.addEventListener('DOMContentLoaded', () => sagecell.makeSagecell({ inputLocation: 'div.compute', languages: ['python'] }));</script>`),
  });
});

afterAll(async () => {
  await browser?.close();
  await box?.stop();
  await new Promise((r) => host?.close(r));
});

/** A 1×1 PNG. */
const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** Opens a page noting every violation of its Content-Security-Policy, from the first script on. */
async function openWatchingPolicy(url: string) {
  const w = await openPage(browser, 'about:blank');
  await w.page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { violations: string[] }).violations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI} ${e.sample}`));
  });
  await w.page.goto(url);
  return { ...w, violations: () => w.page.evaluate(() => (window as unknown as { violations: string[] }).violations) };
}

const cell = (p: Page, id: string) => p.locator(`.cellbox-embed:has(+ #${id})`);

describe('a host page with a strict Content-Security-Policy', () => {
  it('styles and runs the cell, with no style of the embed refused', async () => {
    const w = await openPage(browser, `${hostUrl}/csp`);
    await cell(w.page, 'a').locator('.cb-output', { hasText: 'under a strict policy' }).waitFor({ timeout: 30_000 });
    // The cell's own styles apply: the Run button is the accent blue, not the browser's grey.
    expect(await cell(w.page, 'a').locator('.cb-run').evaluate((b) => getComputedStyle(b).backgroundColor)).toBe('rgb(36, 86, 214)');
    expect(await cell(w.page, 'a').locator('.cb-output pre').evaluate((p) => getComputedStyle(p).fontSize)).toBe('13.5px');
    expect(w.consoleErrors.filter((e) => e.includes('Content Security Policy'))).toEqual([]);
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it('typesets math in its own fonts and layout with no inline style allowed', async () => {
    const w = await openWatchingPolicy(`${hostUrl}/math-strict-style`);
    const math = cell(w.page, 'a').locator('.cb-latex mjx-container');
    await math.waitFor({ timeout: 30_000 });
    // MathJax's fonts, declared in a sheet the document adopts, loaded and used.
    await w.page.waitForFunction(() => [...document.fonts].some((f) => f.family.startsWith('MJX-NCM') && f.status === 'loaded'), null, { timeout: 15_000 });
    expect(await math.locator('mjx-c').first().evaluate((c) => getComputedStyle(c).display)).toBe('inline-block');
    expect(await math.locator('mjx-c').first().evaluate((c) => getComputedStyle(c).fontFamily)).toContain('MJX');
    expect(await math.evaluate((m) => m.getBoundingClientRect().width)).toBeGreaterThan(100);
    expect(await w.violations()).toEqual([]);
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it('typesets math under a script-src that allows only a nonce, giving MathJax its scripts the nonce', async () => {
    const w = await openWatchingPolicy(`${hostUrl}/nonce`);
    const math = cell(w.page, 'a').locator('.cb-latex mjx-container');
    await math.waitFor({ timeout: 30_000 });
    expect(await math.evaluate((m) => m.getBoundingClientRect().width)).toBeGreaterThan(5);
    expect(await cell(w.page, 'a').locator('.cb-latex').evaluate((e) => e.classList.contains('cb-math-failed'))).toBe(false);
    // Its speech too: the worker's code is fetched into its blob, not imported, which no nonce allows.
    await expect.poll(() => math.getAttribute('data-semantic-speech-none'), { timeout: 15_000 }).toBe('a over b');
    // Every script in the page came with the nonce: MathJax's too.
    const scripts = await w.page.evaluate(() => [...document.scripts].map((s) => ({ src: s.src, nonce: s.nonce })));
    expect(scripts.filter((s) => s.src.includes('/mathjax/')).length).toBeGreaterThan(0);
    expect(scripts.filter((s) => s.nonce !== 'abc')).toEqual([]);
    expect(await w.violations()).toEqual([]);
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it('says that the policy, not the connection, keeps the cell from the server', async () => {
    const w = await openPage(browser, `${hostUrl}/csp-no-connect`);
    const status = cell(w.page, 'a').locator('.cb-status');
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toContain('Content-Security-Policy');
    expect(await status.textContent()).toContain(`connect-src must name http://localhost:${box.port}`);
    await w.context.close();
  });
});

describe('a host page that requires Trusted Types', () => {
  it('shows text, HTML, Markdown, an image, math and a file link with no violation', async () => {
    const w = await openWatchingPolicy(`${hostUrl}/trusted-types`);
    const c = cell(w.page, 'a');
    await c.locator('.cb-files a', { hasText: 'out.txt' }).waitFor({ timeout: 30_000 });
    expect(await c.locator('.cb-stream').innerText()).toContain('text under Trusted Types');
    expect(await c.locator('.cb-html-body td').allInnerTexts()).toEqual(['3', '9']);
    expect(await c.locator('.cb-markdown strong').innerText()).toBe('bold');
    expect(await c.locator('img[alt="output image"]').evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBe(1);
    await c.locator('.cb-latex mjx-container').waitFor({ timeout: 30_000 });
    // Its speech, made in a worker whose script URL went through the policy too.
    await expect.poll(() => c.locator('.cb-latex mjx-container').getAttribute('data-semantic-speech-none'), { timeout: 15_000 }).toBe('a over b');
    expect(await c.locator('.cb-latex mjx-container').evaluate((m) => m.getBoundingClientRect().width)).toBeGreaterThan(5);
    expect(await c.locator('.cb-latex').evaluate((e) => e.classList.contains('cb-math-failed'))).toBe(false);
    expect(await c.locator('.cb-client-error').count()).toBe(0);
    expect(await w.violations()).toEqual([]);
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it('draws an interact\'s controls, styled, and runs again from them with no violation', async () => {
    const w = await openWatchingPolicy(`${hostUrl}/interact-trusted-types`);
    const c = cell(w.page, 'a');
    await c.locator('.cb-output', { hasText: 'n is 2, c is a' }).waitFor({ timeout: 30_000 });
    expect(await c.locator('.cb-interact').evaluate((e) => getComputedStyle(e).display)).toBe('grid');
    await c.getByRole('slider', { name: 'n' }).fill('7');
    await c.locator('.cb-output', { hasText: 'n is 7, c is a' }).waitFor({ timeout: 30_000 });
    await c.getByRole('button', { name: 'b' }).click();
    await c.locator('.cb-output', { hasText: 'n is 7, c is b' }).waitFor({ timeout: 30_000 });
    expect(await c.getByRole('button', { name: 'b' }).getAttribute('aria-pressed')).toBe('true');
    expect(await w.violations()).toEqual([]);
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it('says which name to allow when the page refuses the policy', async () => {
    const w = await openPage(browser, `${hostUrl}/trusted-types-refused`);
    await expect.poll(() => cell(w.page, 'a').locator('.cb-client-error').textContent(), { timeout: 30_000 })
      .toContain('does not allow the policy "cellbox": add cellbox to its trusted-types directive');
    await w.context.close();
  });
});

describe('a host page of its own make', () => {
  it('keeps its root font size out of the cell, and its display of <output> off the preview', async () => {
    const w = await openPage(browser, `${hostUrl}/big-root`);
    const run = cell(w.page, 'a').locator('.cb-run');
    await run.waitFor();
    const s = await run.evaluate((b) => ({ top: getComputedStyle(b).paddingTop, left: getComputedStyle(b).paddingLeft, height: b.getBoundingClientRect().height }));
    expect(s).toMatchObject({ top: '6.4px', left: '14.4px' });
    expect(s.height).toBeLessThan(40);
    // The old output is shown once, in the cell: the page's own output rule does not bring back
    // the markup's copy.
    expect(await cell(w.page, 'a').locator('.cb-preview').innerText()).toBe('1');
    expect(await w.page.locator('output#old').isHidden()).toBe(true);
    await w.context.close();
  });

  it('gives a cell in a flex container the width there is, not that of its content', async () => {
    // A cell in a display:flex parent was only as wide as its code and bar: a narrow box at
    // the left of a 900 px column.
    const w = await openPage(browser, `${hostUrl}/flex`);
    await cell(w.page, 'long').locator('.cb-run').waitFor();
    const width = (id: string) => cell(w.page, id).evaluate((e) => Math.round(e.getBoundingClientRect().width));
    expect(await width('alone')).toBe(900);
    // Beside a fixed sidebar, the rest of the row (900 - 200 - 20 of gap).
    expect(await width('beside')).toBe(680);
    expect([await width('left'), await width('right')]).toEqual([440, 440]);
    // In a column that centres its items, the column's width.
    expect(await width('centred')).toBe(900);
    // In a column of fixed height, as tall as the same cell in a column of no set height: it
    // grew to the column's end, a short cell a tall empty box, what followed pushed down.
    const height = (id: string) => cell(w.page, id).evaluate((e) => e.getBoundingClientRect().height);
    expect(await height('centred')).toBeGreaterThan(50);
    expect(await height('in-tall')).toBe(await height('centred'));
    const below = await w.page.locator('#below').evaluate((p) => p.getBoundingClientRect().top - p.parentElement!.getBoundingClientRect().top);
    expect(below).toBeLessThan((await height('centred')) + 100);
    // A line longer than the row scrolls in the editor rather than widening the cell past it.
    expect(await width('long')).toBe(900);
    const scroller = cell(w.page, 'long').locator('.cm-scroller');
    expect(await scroller.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it('keeps the cell, its code and its output left to right on a right-to-left page', async () => {
    // `all: initial` resets every property but direction and unicode-bidi: the cell took the
    // page's rtl, and a line such as `for i in range(2):` showed as `:for i in range(2)`, its
    // indentation on the right, the line numbers on the right, and typeset math reversed.
    const w = await openPage(browser, `${hostUrl}/rtl`);
    const c = cell(w.page, 'rtl');
    await c.locator('.cb-run').click();
    const out = w.page.locator('#rtl-out .cellbox-output');
    await out.locator('mjx-container').first().waitFor();
    const dir = (l: import('playwright-core').Locator) => l.evaluate((e) => getComputedStyle(e).direction);
    expect(await dir(c.locator('.cm-content'))).toBe('ltr');
    expect(await dir(c.locator('.cb-run'))).toBe('ltr');
    expect(await dir(out.locator('mjx-container').first())).toBe('ltr');
    expect(await dir(out.locator('pre').first())).toBe('ltr');
    // The line numbers on the left of the code, as in any code editor.
    const [gutter, content] = await Promise.all([c.locator('.cm-gutters'), c.locator('.cm-content')].map((l) => l.evaluate((e) => e.getBoundingClientRect().left)));
    expect(gutter).toBeLessThan(content);
    // The page around the cell keeps its own direction.
    expect(await w.page.locator('body > p').evaluate((e) => getComputedStyle(e).direction)).toBe('rtl');
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it('copies the code from a frame of another origin, as a learning platform shows notes', async () => {
    // The Clipboard API is refused there (permissions policy) and on a page served over plain
    // http: Copy said "Copy failed" and the reader had to select the code by hand.
    const w = await openPage(browser, 'about:blank');
    await w.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: hostUrl });
    await w.page.goto(`${hostUrl}/lms`);
    const framed = w.page.frameLocator('iframe');
    const copy = framed.locator('.cb-copy');
    await copy.click();
    await expect.poll(() => copy.textContent()).toBe('Copied');
    expect(await w.page.evaluate(() => navigator.clipboard.readText())).toBe('print("copied from a frame")');
    // The focus stays on the button pressed, and the page scrolled nowhere.
    expect(await framed.locator('.cb-copy:focus').count()).toBe(1);
    // Nothing of the copy is left in the cell.
    expect(await framed.locator('.cellbox-embed textarea').count()).toBe(0);
    // Nor did the refused API log an error.
    expect(w.consoleErrors.filter((e) => /[Pp]ermissions policy/.test(e))).toEqual([]);
    await w.context.close();
  });

  it('says why math stays TeX: a page of MathJax 2, or a policy refusing MathJax', async () => {
    // The math was left as TeX with no word to the reader or in the console.
    for (const [path, why] of [['/mathjax2', /this page has MathJax 2/], ['/mathjax-refused', /MathJax could not be loaded from/]] as const) {
      const w = await openPage(browser, 'about:blank');
      const warnings: string[] = [];
      w.page.on('console', (m) => {
        if (m.type() === 'warning') warnings.push(m.text());
      });
      await w.page.goto(`${hostUrl}${path}`);
      const note = cell(w.page, 'a').locator('.cb-math-note');
      await note.waitFor({ timeout: 30_000 });
      expect(await note.textContent()).toMatch(why);
      expect(await cell(w.page, 'a').locator('.cb-output').textContent()).toContain('\\frac{a}{b}');
      await expect.poll(() => warnings.filter((t) => why.test(t)).length).toBe(1);
      expect(w.pageErrors).toEqual([]);
      await w.context.close();
    }
  });

  it('never widens the column it sits in with a long line of code, a sidebar beside it', async () => {
    // A grid's 1fr column and a flex item are as wide as their content at least: a long line in
    // the editor made the text column as wide as the line, pushing the table of contents off the
    // page (a page scrolled sideways), and a table of exercises past its set width.
    const w = await openPage(browser, `${hostUrl}/sidebar`);
    await cell(w.page, 'in-fit').locator('.cb-run').waitFor();
    // A wide table of a run's output scrolls in its box too.
    await cell(w.page, 'wide-table').locator('.cb-html').waitFor();
    expect(await cell(w.page, 'wide-table').locator('.cb-html').evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
    const box = (l: import('playwright-core').Locator) => l.evaluate((e) => { const r = e.getBoundingClientRect(); return { left: Math.round(r.left), width: Math.round(r.width) }; });
    expect(await box(cell(w.page, 'in-grid'))).toEqual({ left: 0, width: 680 });
    expect((await box(w.page.locator('#grid-toc'))).left).toBe(700);
    expect(await box(cell(w.page, 'in-flex'))).toEqual({ left: 0, width: 680 });
    expect((await box(w.page.locator('#flex-toc'))).left).toBe(700);
    expect((await box(w.page.locator('#exercises'))).width).toBe(600);
    expect(await w.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(await w.page.evaluate(() => innerWidth));
    // The line scrolls in the editor instead.
    expect(await cell(w.page, 'in-grid').locator('.cm-scroller').evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
    // In a box only as wide as its content, the cell is as wide as its bar: usable, not a sliver.
    const fit = await box(cell(w.page, 'in-fit'));
    const bar = await cell(w.page, 'in-fit').locator('.cb-bar').evaluate((e) => e.scrollWidth);
    expect(fit.width).toBeGreaterThanOrEqual(bar);
    expect(fit.width).toBeGreaterThan(300);
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it('takes the focus into the code when a dialog gives it to the editor', async () => {
    // The dialog focused CodeMirror's scroller (focusable for its own clicks): the editor's
    // ring showed, but what the reader typed went nowhere, and their first click in the code
    // selected from the start of a line to it.
    const w = await openPage(browser, `${hostUrl}/dialog`);
    await cell(w.page, 'in-dialog').locator('.cm-content').waitFor({ state: 'attached' });
    await w.page.locator('#try').click();
    await w.page.keyboard.press('End');
    await w.page.keyboard.type(' + 1');
    expect(await cell(w.page, 'in-dialog').locator('.cm-content').textContent()).toBe('print(1) + 1');
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it('finds its server when loaded as a module', async () => {
    const w = await openPage(browser, `${hostUrl}/module`);
    await cell(w.page, 'a').locator('.cb-output', { hasText: 'as a module' }).waitFor({ timeout: 30_000 });
    await w.context.close();
  });

  it('finds its server behind a path prefix, and shares links under it', async () => {
    const w = await openPage(browser, `${hostUrl}/prefix`);
    await cell(w.page, 'a').locator('.cb-output', { hasText: 'behind a prefix' }).waitFor({ timeout: 30_000 });
    await cell(w.page, 'a').locator('.cb-share-button').click();
    const link = cell(w.page, 'a').locator('.cb-share input').first();
    await expect.poll(() => link.inputValue(), { timeout: 10_000 }).toMatch(new RegExp(`^${hostUrl}${PREFIX}/s/[A-Za-z0-9_-]+$`));
    const id = (await link.inputValue()).split('/').pop();
    const raw = await fetch(`${box.url}/s/${id}/raw`);
    expect(await raw.text()).toBe('print("behind a prefix")');
    await w.context.close();
  });

  it('mounts cells the page adds after it loaded, as a slide deck does', async () => {
    const w = await openPage(browser, `${hostUrl}/late`);
    await w.page.waitForFunction(() => 'Cellbox' in window);
    await w.page.evaluate(() => {
      document.getElementById('slides')!.innerHTML = '<section><pre data-cellbox data-autorun id="late">print("on a later slide")</pre></section>';
    });
    await cell(w.page, 'late').locator('.cb-output', { hasText: 'on a later slide' }).waitFor({ timeout: 30_000 });
    expect(await w.page.locator('.cellbox-embed').count()).toBe(1);
    // A framework re-renders the markup: the new element gets a cell, the old cell goes.
    await w.page.evaluate(() => {
      const old = document.getElementById('late')!;
      const fresh = old.cloneNode(true) as HTMLElement;
      fresh.removeAttribute('data-cellbox-mounted');
      fresh.removeAttribute('hidden');
      fresh.removeAttribute('style');
      fresh.textContent = 'print("re-rendered")';
      old.replaceWith(fresh);
    });
    await cell(w.page, 'late').locator('.cb-output', { hasText: 're-rendered' }).waitFor({ timeout: 30_000 });
    expect(await w.page.locator('.cellbox-embed').count()).toBe(1);
    // A view taken out whole and put back keeps its cell, output and all.
    const kept = await w.page.evaluate(async () => {
      const slides = document.getElementById('slides')!;
      slides.remove();
      await new Promise((r) => setTimeout(r, 50));
      document.body.append(slides);
      await new Promise((r) => setTimeout(r, 50));
      return document.querySelectorAll('.cellbox-embed').length;
    });
    expect(kept).toBe(1);
    expect(await cell(w.page, 'late').locator('.cb-output').innerText()).toContain('re-rendered');
    await w.context.close();
  });

  it('mounts fifty cells asking the server for its languages once', async () => {
    const w = await openPage(browser, 'about:blank');
    const asked: string[] = [];
    w.page.on('request', (r) => {
      if (r.url().includes('/api/v1/languages')) asked.push(r.url());
    });
    await w.page.goto(`${hostUrl}/many`);
    await cell(w.page, 'c49').locator('.cb-lang option', { hasText: 'Python 3' }).waitFor({ state: 'attached', timeout: 15_000 });
    expect(await w.page.locator('.cellbox-embed').count()).toBe(50);
    expect(asked).toHaveLength(1);
    await w.context.close();
  });

  it("mounts SageMathCell's script markup as a Sage cell", async () => {
    const w = await openPage(browser, `${hostUrl}/sage`);
    const c = w.page.locator('.compute .cellbox-embed');
    await c.locator('.cm-content').waitFor();
    expect(await c.locator('.cm-content').innerText()).toBe('print(2^10)');
    expect(await c.locator('.cb-lang').inputValue()).toBe('sage');
    await w.context.close();
  });
});

describe('settings written wrong', () => {
  it('says in each cell what is wrong and what was used, and mounts every cell', async () => {
    const w = await openPage(browser, `${hostUrl}/wrong`);
    await cell(w.page, 'fine').locator('.cb-run').waitFor();
    const problems = (id: string) => cell(w.page, id).locator('.cb-problems').innerText();
    expect(await problems('bad-selector')).toContain('data-output="###" is not a CSS selector; the output goes below the cell.');
    expect(await problems('bad-bool')).toContain('data-autorun="maybe" is neither true nor false');
    expect(await problems('bad-theme')).toContain('data-theme="drak" is not light, dark or auto; the theme is auto.');
    expect(await problems('bad-hide')).toContain('"editr" in data-hide (hide) is not a part of a cell');
    // The known part of the list still applies.
    expect(await cell(w.page, 'bad-hide').locator('.cb-share-button').isHidden()).toBe(true);
    expect(await problems('bad-server')).toContain('data-server="cellbox.example.org" is not an http: or https: URL');
    await expect.poll(() => problems('bad-language'), { timeout: 10_000 }).toContain('this Cellbox server has no language "pyhton"; it offers python');
    expect(await problems('tag-in-code')).toContain('took <stdio.h> in this cell\'s code for a tag');
    expect(await cell(w.page, 'fine').locator('.cb-problems').isHidden()).toBe(true);
    expect(await cell(w.page, 'fine').locator('.cb-preview').innerText()).toBe('!important: a preview may say anything');
    // A bad value never runs code: "maybe" is not a yes.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await cell(w.page, 'bad-bool').locator('.cb-output').textContent()).toBe('');
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it('warns in the console, once per cell, of an attribute that is a near miss of one Cellbox reads', async () => {
    const w = await openPage(browser, 'about:blank');
    const warnings: string[] = [];
    w.page.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    await w.page.goto(`${hostUrl}/slips`);
    await w.page.locator('.compute .cellbox-embed .cb-run').waitFor();
    await cell(w.page, 'own').locator('.cb-run').waitFor();
    const slips = () => warnings.filter((t) => t.includes('Cellbox reads'));
    expect(slips()).toHaveLength(2);
    expect(slips()[0]).toContain('Cellbox: this cell\'s data-lang="r" (did you mean data-language?) is not an attribute Cellbox reads, and does nothing.');
    expect(slips()[1]).toContain('Cellbox: this cell\'s data-langauge="r" (did you mean data-language?) and data-them="dark" (did you mean data-theme?) are not attributes Cellbox reads, and do nothing.');
    // Left as it is: the default language, and nothing in the cell for its reader.
    expect(await cell(w.page, 'lang').locator('.cb-lang').inputValue()).toBe('python');
    // SageMathCell's own markup, found by the scan, takes its data-lang as makeSagecell() does.
    expect(await cell(w.page, 'sage-lang').locator('.cb-lang').inputValue()).toBe('python');
    expect(await cell(w.page, 'lang').locator('.cb-problems').isHidden()).toBe(true);
    // Mounted again (a framework's view shown anew), the cell does not say it twice.
    await w.page.evaluate(() => {
      const api = (window as unknown as { Cellbox: { mount(e: HTMLElement): { destroy(): void }; scan(): unknown[] } }).Cellbox;
      api.mount(document.getElementById('lang')!).destroy();
      api.scan();
    });
    await cell(w.page, 'lang').locator('.cb-run').waitFor();
    expect(slips()).toHaveLength(2);
    await w.context.close();
  });

  it("throws Cellbox.mount()'s mistakes at once, naming them", async () => {
    const w = await openPage(browser, `${hostUrl}/late`);
    await w.page.waitForFunction(() => 'Cellbox' in window);
    const thrown = await w.page.evaluate(() => {
      const api = (window as unknown as { Cellbox: { mount(e: unknown, o?: unknown): unknown } }).Cellbox;
      const slides = document.getElementById('slides');
      return [() => api.mount('#slides'), () => api.mount(null), () => api.mount(slides, { code: 42 }), () => api.mount(slides, 'print(1)')].map((f) => {
        try {
          f();
          return 'mounted';
        } catch (e) {
          return String(e);
        }
      });
    });
    expect(thrown).toEqual([
      'TypeError: Cellbox.mount() takes an element to mount the cell in; got the string "#slides"; pass document.querySelector("#slides").',
      'TypeError: Cellbox.mount() takes an element to mount the cell in; got null.',
      "TypeError: Cellbox.mount()'s option code is the code as a string; got number.",
      'TypeError: Cellbox.mount()\'s options are an object, such as { code: \'print(1)\', language: \'python\' }; got "print(1)".',
    ]);
    expect(await w.page.locator('.cellbox-embed').count()).toBe(0);
    await w.context.close();
  });
});
