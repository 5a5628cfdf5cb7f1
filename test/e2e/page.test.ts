// The cell page in a real browser (Debian's Chromium) against the real server and device:
// typing and running, streaming state, rich outputs, MathJax served locally, sanitised HTML,
// Stop, keyboard escape from the editor, and screenshots for a person to look at.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, runByTouch, screenshot, setCode, type Watched } from '../helpers/browser';
import { lowestContrast } from '../helpers/contrast';
import { pythonZ } from '../helpers/python-link';

let box: Cellbox;
let browser: Browser;
let w: Watched;

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox());
  w = await openPage(browser, `${box.url}/`);
});

afterAll(async () => {
  await browser?.close();
  await box?.stop();
});

async function runCode(code: string, expectStatus: RegExp = /Done in/): Promise<void> {
  await setCode(w.page, code);
  await w.page.keyboard.press('Shift+Enter');
  await w.page.locator('.cb-status', { hasText: expectStatus }).waitFor({ timeout: 30_000 });
}

/** Whether anything (a cell's output, say) lies over the middle of the site's heading, scrolled to the top. */
function headingCovered(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    window.scrollTo(0, 0);
    const h = document.querySelector('header.site h1')!;
    const r = h.getBoundingClientRect();
    return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) !== h;
  });
}

describe('the cell page', () => {
  it('runs typed code with Shift+Enter and shows text, errors and the value', async () => {
    await runCode('import sys\nprint("hello from the page")\nprint("careful", file=sys.stderr)\n6 * 7');
    const out = w.page.locator('.cb-output');
    await expect(out.textContent()).resolves.toContain('hello from the page');
    expect(await out.locator('.cb-stderr').textContent()).toContain('careful');
    expect(await out.textContent()).toContain('42');
    await runCode('def f():\n    return 1/0\nf()', /Error: ZeroDivisionError/);
    expect(await w.page.locator('.cb-output .cb-error').textContent()).toContain('ZeroDivisionError');
  });

  it('shows the run state: Stop while running, elapsed time, then the result', async () => {
    await setCode(w.page, 'import time\nprint("tick", flush=True)\ntime.sleep(1.5)\nprint("tock")');
    await w.page.keyboard.press('Shift+Enter');
    await w.page.locator('.cb-run', { hasText: 'Stop' }).waitFor();
    await w.page.locator('.cb-status', { hasText: /Running… \d/ }).waitFor();
    // Streams: the first line is on screen while the cell still runs.
    await w.page.locator('.cb-output', { hasText: 'tick' }).waitFor();
    expect(await w.page.locator('.cb-output').textContent()).not.toContain('tock');
    await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 10_000 });
    expect(await w.page.locator('.cb-run').textContent()).toBe('Run');
  });

  it('Stop ends an endless loop and shows the line it was on, as Jupyter does', async () => {
    await setCode(w.page, 'print("looping", flush=True)\nwhile True:\n    pass');
    await w.page.keyboard.press('Shift+Enter');
    // Stopped once it loops: a cell stopped while still queued was on no line.
    await w.page.locator('.cb-output', { hasText: 'looping' }).waitFor();
    await w.page.locator('.cb-run', { hasText: 'Stop' }).click();
    await w.page.locator('.cb-status', { hasText: 'Error: Interrupted' }).waitFor({ timeout: 10_000 });
    const error = await w.page.locator('.cb-output .cb-error').textContent();
    expect(error).toMatch(/File "<cell>", line [23], in <module>\n {4}(while True:|pass)\nKeyboardInterrupt/);
  });

  it('draws a matplotlib figure inline without savefig', async () => {
    await runCode('import matplotlib.pyplot as plt\nplt.plot([1, 3, 2, 4])\nplt.title("inline")');
    const img = w.page.locator('.cb-output img').first();
    await img.waitFor();
    const size = await img.evaluate((e: HTMLImageElement) => (e.decode().then(() => [e.naturalWidth, e.naturalHeight])));
    expect(size[0]).toBeGreaterThan(100);
    expect(size[1]).toBeGreaterThan(100);
    await screenshot(w.page, 'plot-light');
  });

  it('typesets a sympy integral with MathJax served by Cellbox, nothing fetched from elsewhere', async () => {
    await runCode('from sympy import symbols, integrate, sin\nx = symbols("x")\nintegrate(x**2 * sin(x), x)');
    await w.page.locator('.cb-output mjx-container').first().waitFor({ timeout: 20_000 });
    expect(w.offMachine).toEqual([]);
    await screenshot(w.page, 'sympy-light');
  });

  it('never runs script from HTML output', async () => {
    await runCode('class Evil:\n    def _repr_html_(self):\n        return "<b id=bold>bold</b><script>window.__pwned = 1</script><img src=x onerror=\\"window.__pwned = 2\\">"\nEvil()');
    await w.page.locator('.cb-output b', { hasText: 'bold' }).waitFor();
    await w.page.waitForTimeout(300);
    expect(await w.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await w.page.locator('.cb-output script').count()).toBe(0);
  });

  it('never runs script from a link in math, nor lets styled math cover the page', async () => {
    // MathJax's \href made a link MathJax followed itself on a click, javascript: or not; its
    // \style put any CSS on the formula. In LaTeX, in Markdown and in HTML output alike.
    await runCode([
      'from IPython.display import HTML, Latex, Markdown, display',
      'display(Latex(r"$\\href{javascript:window.__pwned=1}{LATEXLINK}$"))',
      'display(Markdown(r"see $\\href{javascript:window.__pwned=2}{MDLINK}$"))',
      'display(HTML(r"<p>see \\(\\href{javascript:window.__pwned=3}{HTMLLINK}\\)</p>"))',
      'display(Latex(r"$\\style{position:fixed;top:0;left:0;width:100vw;height:100vh;z-index:99;background:red}{\\text{COVER}}$"))',
    ].join('\n'));
    const math = w.page.locator('.cb-output mjx-container');
    await expect.poll(() => math.count(), { timeout: 20_000 }).toBe(4);
    await w.page.waitForFunction(() => document.querySelectorAll('.cb-output .cb-html-host').length === 2
      && [...document.querySelectorAll('.cb-output .cb-html-host')].every((h) => h.shadowRoot?.querySelector('mjx-container')));
    // The formulas still show their text; none of it covers the page's heading.
    expect(await w.page.locator('.cb-output').textContent()).toContain('COVER');
    expect(await headingCovered(w.page)).toBe(false);
    for (let i = 0; i < 3; i++) await math.nth(i).click();
    await w.page.waitForTimeout(300);
    expect(await w.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(new URL(w.page.url()).pathname).toBe('/');
  });

  it('opens a link printed to the terminal in a new tab, leaving the page and its output', async () => {
    // An OSC 8 hyperlink (ls --hyperlink, rich, pip): ansi_up makes it a link, which took the
    // page itself to the link's address.
    await runCode('print("\\x1b]8;;https://example.invalid/docs\\x1b\\\\the docs\\x1b]8;;\\x1b\\\\ and \\x1b[31mred\\x1b[0m")');
    const link = w.page.locator('.cb-output pre a', { hasText: 'the docs' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('https://example.invalid/docs');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toMatch(/noopener/);
  });

  it("keeps HTML output's styles inside that output, where they still apply", async () => {
    // A <style> after the first element once survived sanitising and restyled the whole page:
    // Run, the language and the header hidden, a pink page, "Session expired" for a shared link.
    const leak = '<i> </i><style>.cb-run, .cb-lang, header { display: none } body { background: rgb(255, 221, 221) } h2 { color: rgb(1, 2, 3) }'
      + ' :host { position: fixed !important; inset: 0 !important; z-index: 99 !important }</style><h2>Session expired</h2>'
      + '<div style="position: fixed; inset: 0; background: rgb(255, 221, 221)">cover</div>';
    // A pandas table starts with its <style scoped>: that one was dropped.
    const table = '<style scoped>td { color: rgb(4, 5, 6) }</style><table><tr><td>7</td></tr></table>';
    await runCode(`from IPython.display import HTML, display\ndisplay(HTML(${JSON.stringify(leak)}))\ndisplay(HTML(${JSON.stringify(table)}))`);
    const heading = w.page.locator('.cb-output h2', { hasText: 'Session expired' });
    await heading.waitFor();
    expect(await w.page.locator('.cb-run').isVisible()).toBe(true);
    expect(await w.page.locator('.cb-lang').isVisible()).toBe(true);
    expect(await w.page.locator('header.site').isVisible()).toBe(true);
    expect(await w.page.evaluate(() => getComputedStyle(document.body).backgroundColor)).not.toBe('rgb(255, 221, 221)');
    // Nothing the output holds covers the page outside it, fixed or not.
    expect(await headingCovered(w.page)).toBe(false);
    // Inside its own output the styles hold: the heading's colour, the table's.
    expect(await heading.evaluate((e) => getComputedStyle(e).color)).toBe('rgb(1, 2, 3)');
    expect(await w.page.locator('.cb-output td', { hasText: '7' }).evaluate((e) => getComputedStyle(e).color)).toBe('rgb(4, 5, 6)');
    await screenshot(w.page, 'html-style-contained');
  });

  it('aligns display math to the left, as inline math is', async () => {
    // Sage's results come as $$…$$ (display math), sympy's as $\displaystyle …$: the first
    // were centred, the second at the left, on one page.
    await runCode('from IPython.display import Latex, display\ndisplay(Latex(r"$$x^2 + 1$$"))');
    const math = w.page.locator('.cb-output .cb-latex mjx-container[display="true"]');
    await math.waitFor({ timeout: 20_000 });
    const [box, drawn] = await Promise.all([
      w.page.locator('.cb-output .cb-latex').boundingBox(),
      math.locator('mjx-math').boundingBox(),
    ]);
    expect(drawn!.x - box!.x).toBeLessThan(4);
  });

  it('lists created files with a link, and shows images among them', async () => {
    await runCode('import matplotlib\nmatplotlib.use("Agg")\nimport matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.savefig("line.png")\nplt.savefig("line.svg")\nplt.close("all")\nopen("data.csv", "w").write("a,b\\n1,2\\n")');
    const links = w.page.locator('.cb-output a[href*="/files/"]');
    await links.first().waitFor();
    const hrefs = await links.evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).textContent));
    expect(hrefs).toEqual(expect.arrayContaining(['data.csv', 'line.png', 'line.svg']));
    // Both images shown, and drawn: the file's sandboxing CSP leaves an SVG as an image be.
    const inline = w.page.locator('.cb-output img[src*="/files/"]');
    expect(await inline.count()).toBe(2);
    await inline.last().scrollIntoViewIfNeeded(); // they load lazily
    await expect.poll(() => inline.evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0))).toEqual([true, true]);
  });

  it("lists as the cell's files only files the server stored, not a list the cell printed", async () => {
    // Any cell can display a bundle of the files type itself: its javascript: link, and its
    // image from elsewhere, were shown as files the cell had made.
    const forged = {
      'application/vnd.cellbox.files+json': { files: [
        { name: 'forged.txt', url: 'javascript:window.__pwned=1', size: 1, content_type: 'text/plain' },
        { name: 'forged.png', url: 'http://198.51.100.7/x.png', size: 1, content_type: 'image/png' },
        { name: 'forged.csv', url: '//198.51.100.7/y.csv', size: 1, content_type: 'text/csv' },
        // A files path by its look, leading elsewhere on Cellbox's origin.
        { name: 'forged.json', url: '/files/AAAAAAAAAAAA/../../api/v1/languages', size: 1, content_type: 'application/json' },
      ] },
      'text/plain': 'forged list',
    };
    await runCode(`from IPython.display import display\nimport json\ndisplay(json.loads(${JSON.stringify(JSON.stringify(forged))}), raw=True)\nopen("real.txt", "w").write("real")\nimport os\nos.mkdir("sub")\nopen("sub/in.txt", "w").write("in")`);
    const links = w.page.locator('.cb-output .cb-files a');
    await links.first().waitFor();
    expect(await links.evaluateAll((as) => as.map((a) => a.textContent))).toEqual(['real.txt', 'sub/in.txt']);
    expect(await links.nth(1).getAttribute('href')).toMatch(/\/files\/[A-Za-z0-9_-]+\/sub\/in\.txt$/);
    expect(await w.page.locator('.cb-output a[href^="javascript:"], .cb-output img[src*="198.51.100.7"]').count()).toBe(0);
    // The forged bundle shows as what else it holds, as a Jupyter client without Cellbox's type would.
    expect(await w.page.locator('.cb-output .cb-plain', { hasText: 'forged list' }).count()).toBe(1);
  });

  it('shows every output, and the end, after outputs a renderer once threw on', async () => {
    // Markdown spelling the renderer's own math marker, and an SVG with a lone surrogate (an
    // event the cell wrote on its pipe itself: Python's SVG() refuses one) threw in the page:
    // every later output and the cell's end went unseen, the status an error of the page's.
    await runCode([
      'import os',
      'from IPython.display import Markdown, display',
      'display(Markdown("marker @@CBMATH3@@ here"))',
      'print("after markdown", flush=True)',
      'os.write(3, b\'{"type":"display_data","data":{"image/svg+xml":"<svg xmlns=\\\\"http://www.w3.org/2000/svg\\\\" width=\\\\"9\\\\" height=\\\\"9\\\\"><text>\\\\ud800</text></svg>","text/plain":"svg"}}\\n\')',
      'print("after svg")',
    ].join('\n'));
    const out = w.page.locator('.cb-output');
    await expect.poll(() => out.textContent()).toContain('after svg');
    expect(await out.textContent()).toContain('after markdown');
    expect(await w.page.locator('.cb-output .cb-markdown .cb-html-body').textContent()).toContain('marker @@CBMATH3@@ here');
    expect(await w.page.locator('.cb-output img[src^="data:image/svg+xml"]').count()).toBe(1);
    expect(await w.page.locator('.cb-output .cb-client-error').count()).toBe(0);
  });

  it('shows math too long to typeset as its TeX, saying so, and goes on', async () => {
    // MathJax held the page's only thread for as long as it took: a sum of thousands of terms
    // (well under the output limit) froze the page, the cell "Running…", for a minute or more.
    await runCode('from IPython.display import Latex, display\ndisplay(Latex("$" + "+".join("x_{%d}" % i for i in range(8000)) + "$"))\nprint("after the sum")');
    await w.page.locator('.cb-output', { hasText: 'after the sum' }).waitFor();
    const note = w.page.locator('.cb-output .cb-truncated', { hasText: 'characters of TeX' });
    expect(await note.count()).toBe(1);
    expect(await w.page.locator('.cb-output .cb-latex').textContent()).toMatch(/^\\\(x_\{0\}\+x_\{1\}/);
    expect(await w.page.locator('.cb-output mjx-container').count()).toBe(0);
  });

  it('honours update_display_data and clear_output', async () => {
    await runCode('import time\nh = display("step 1", display_id=True)\ntime.sleep(0.3)\nh.update("step 2")\nprint("gone soon")\nclear_output(wait=True)\nprint("after clear")');
    const text = await w.page.locator('.cb-output').textContent();
    expect(text).not.toContain('gone soon');
    expect(text).toContain('after clear');
    await runCode('h = display("first", display_id=True)\nprint("between")\nh.update("second")');
    const out = await w.page.locator('.cb-output').textContent();
    expect(out).toContain('second');
    expect(out).not.toContain('first');
    expect(out!.indexOf('second')).toBeLessThan(out!.indexOf('between'));
  });

  it('renders markdown with math, JSON collapsibly, and SVG as an image', async () => {
    await runCode([
      'display({"text/markdown": "Some **bold** and $a_1 + b_2$ and `x = 1`", "text/plain": "md"}, raw=True)',
      'display({"application/json": {"answer": 42, "list": [1, 2]}, "text/plain": "json"}, raw=True)',
      'display({"image/svg+xml": "<svg xmlns=\'http://www.w3.org/2000/svg\' width=\'40\' height=\'20\'><script>window.__svg=1</script><rect width=\'40\' height=\'20\' fill=\'teal\'/></svg>", "text/plain": "svg"}, raw=True)',
    ].join('\n'));
    await w.page.locator('.cb-output .cb-markdown strong', { hasText: 'bold' }).waitFor();
    await w.page.locator('.cb-output .cb-markdown mjx-container').waitFor({ timeout: 20_000 });
    // Inline code reads as code: monospace, on a tint of its own.
    const code = await w.page.locator('.cb-output .cb-markdown code').evaluate((e) => ({ font: getComputedStyle(e).fontFamily, background: getComputedStyle(e).backgroundColor }));
    expect(code.font).toMatch(/mono|Menlo|Consolas/);
    expect(code.background).not.toBe('rgba(0, 0, 0, 0)');
    expect(await w.page.locator('.cb-output details.cb-json pre').textContent()).toContain('"answer": 42');
    const svg = w.page.locator('.cb-output img[src^="data:image/svg+xml"]');
    expect(await svg.evaluate((e: HTMLImageElement) => e.decode().then(() => e.naturalWidth))).toBe(40);
    expect(await w.page.evaluate(() => (window as unknown as { __svg?: number }).__svg)).toBeUndefined();
  });

  it('shows huge output with its head, its tail and a note of what was cut', async () => {
    await runCode('for i in range(40000):\n    print(f"line {i:05d}")');
    const note = await w.page.locator('.cb-output .cb-truncated').textContent();
    expect(note).toMatch(/characters not shown/);
    const text = await w.page.locator('.cb-output').textContent();
    expect(text).toContain('line 00000');
    expect(text).toContain('line 39999');
  });

  it('says plainly when the code is too large or the server cannot be reached', async () => {
    await setCode(w.page, `# ${'x'.repeat(70 * 1024)}`);
    await w.page.keyboard.press('Shift+Enter');
    // With the size and the limit, in bytes: in characters, Japanese code is a third of that.
    await w.page.locator('.cb-status', { hasText: /The code is too large to run here: code is \d+ bytes; the limit is 65536\./ }).waitFor();
    const posting = /\/api\/v1\/cells(\?|$)/; // the POST, with its `wait`
    await w.page.route(posting, (r) => r.abort('connectionrefused'));
    await setCode(w.page, 'print(1)');
    await w.page.keyboard.press('Shift+Enter');
    await w.page.locator('.cb-status', { hasText: 'could not be reached' }).waitFor();
    await w.page.unroute(posting);
  });

  it('Esc then Tab moves focus out of the editor', async () => {
    // A cursor, no selection and no completion popup: Esc would first clear those.
    await setCode(w.page, '1 + 1');
    await w.page.keyboard.press('End');
    await w.page.keyboard.press('Escape');
    await w.page.keyboard.press('Tab');
    const focused = await w.page.evaluate(() => ({ inEditor: !!document.activeElement?.closest('.cm-editor'), what: document.activeElement?.outerHTML.slice(0, 120) }));
    expect(focused.inEditor, focused.what).toBe(false);
    expect(await w.page.locator('.cm-content').innerText()).toBe('1 + 1');
  });


  it('shows the editor has focus, and tells how Tab and Escape work in it', async () => {
    // The ring was CodeMirror's own, cut off by the rounded box around it: none showed.
    await w.page.locator('.cb-lang').focus();
    await w.page.keyboard.press('Shift+Tab');
    expect(await w.page.evaluate(() => !!document.activeElement?.closest('.cm-editor'))).toBe(true);
    const ring = await w.page.locator('.cb-editor').evaluate((e) => {
      const s = getComputedStyle(e);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    expect(ring.style).toBe('solid');
    expect(ring.width).toBeGreaterThanOrEqual(2);
    // The keys, in the editor's accessible description and, while it has focus, on screen.
    const id = await w.page.locator('.cm-content').getAttribute('aria-describedby');
    expect(id).toBeTruthy();
    const hint = w.page.locator(`[id="${id}"]`);
    expect(await hint.textContent()).toMatch(/Tab.*indent.*Esc.*Tab/i);
    expect(await hint.isVisible()).toBe(true);
    await w.page.keyboard.press('Escape');
    await w.page.keyboard.press('Tab');
    expect(await hint.isVisible()).toBe(false);
    expect(await w.page.locator('.cb-editor').evaluate((e) => getComputedStyle(e).outlineStyle)).toBe('none');
  });

  it('says Run, not Shift+Enter, on a touch screen', async () => {
    const text = async (touch: boolean) => {
      const context = await browser.newContext({ viewport: { width: 390, height: 800 }, hasTouch: touch, isMobile: touch });
      const page = await context.newPage();
      await page.goto(`${box.url}/`);
      const said = await page.locator('header.site p').innerText();
      // The starting code's first line, a comment, said only "Shift+Enter runs the cell",
      // which a phone has no key for: it names Run too.
      const comment = (await page.locator('.cm-line').first().innerText());
      await context.close();
      return `${said}\n${comment}`;
    };
    expect(await text(false)).toContain('Press Shift+Enter or Run.');
    const touch = await text(true);
    expect(touch).toContain('Press Run.');
    expect(touch.split('\n')[0]).not.toContain('Shift+Enter');
    expect(touch.split('\n')[1]).toMatch(/^# .*\bRun\b/);
  });

  it('keeps a long output shorter than a phone held sideways, so a swipe beside it still scrolls the page', async () => {
    // 390 px of screen: the 600 px box filled it, every swipe scrolled the box's thousands of
    // lines, and the page (the code, Run) could not be reached again.
    const { context, page } = await runByTouch(browser, `${box.url}/`, 'for i in range(300): print(i, "a line of output")', { width: 844, height: 390 });
    await page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
    const pre = page.locator('.cb-output pre.cb-stream');
    const { height, scrolls } = await pre.evaluate((p) => ({ height: p.getBoundingClientRect().height, scrolls: p.scrollHeight > p.clientHeight }));
    expect(scrolls).toBe(true);
    expect(height).toBeLessThanOrEqual(390 * 0.7 + 1);
    await context.close();
  });

  it('sets what a reader types into, on a touch screen, at 16 px at least, so that a phone does not zoom the page to it', async () => {
    // iPhones zoom the page in on an editable box (the code, the language menu, an interact's
    // box) whose text is under 16 px, and leave it zoomed: the page then scrolled sideways.
    const { context, page } = await runByTouch(browser, `${box.url}/`, '@interact\ndef f(e=input_box("x^2", type=str), c=selector(["a", "b"])):\n    print("got", e)', { width: 390, height: 844 });
    await page.locator('.cb-output', { hasText: 'got x^2' }).waitFor({ timeout: 30_000 });
    const size = (selector: string) => page.locator(selector).first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    for (const selector of ['.cm-content', '.cb-bar select', '.cb-output .cb-ia-input', '.cb-output .cb-ia-select']) {
      expect(await size(selector), selector).toBeGreaterThanOrEqual(16);
    }
    await context.close();
    // With a mouse, the sizes stay as they were.
    expect(await w.page.locator('.cm-content').evaluate((e) => getComputedStyle(e).fontSize)).toBe('14px');
  });

  it('changes highlighting with the language', async () => {
    await w.page.selectOption('.cb-lang', 'javascript');
    await setCode(w.page, 'const answer = 6 * 7;\nconsole.log(answer)');
    await w.page.keyboard.press('Shift+Enter');
    await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 20_000 });
    expect(await w.page.locator('.cb-output').textContent()).toContain('42');
    // `const` is a keyword in the JavaScript mode: it gets a highlighting span of its own.
    expect(await w.page.locator('.cm-content span', { hasText: /^const$/ }).count()).toBeGreaterThan(0);
    await w.page.selectOption('.cb-lang', 'python');
  });

  it('copies the code and resets it to the original', async () => {
    const fresh = await openPage(browser, `${box.url}/`);
    await fresh.context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const original = await fresh.page.locator('.cm-content').textContent();
    expect(await fresh.page.locator('.cb-reset').isVisible()).toBe(false);
    await setCode(fresh.page, 'print("edited")');
    await fresh.page.locator('.cb-copy').click();
    await fresh.page.locator('.cb-copy', { hasText: 'Copied' }).waitFor();
    expect(await fresh.page.evaluate(() => navigator.clipboard.readText())).toBe('print("edited")');
    await fresh.page.locator('.cb-reset').click();
    expect(await fresh.page.locator('.cm-content').textContent()).toBe(original);
    expect(await fresh.page.locator('.cb-reset').isVisible()).toBe(false);
    await fresh.context.close();
  });

  it('keeps what was typed at / across a reload, until Reset; a link still shows its own code', async () => {
    const d = await openPage(browser, `${box.url}/`);
    const content = d.page.locator('.cm-content');
    const draft = () => d.page.evaluate(() => localStorage.getItem('cellbox:draft'));
    await setCode(d.page, 'console.log("kept " + (6 * 7))');
    await d.page.selectOption('.cb-lang', 'javascript');
    await d.page.waitForFunction(() => localStorage.getItem('cellbox:draft')?.includes('javascript'));
    await d.page.reload();
    await content.filter({ hasText: 'console.log("kept " + (6 * 7))' }).waitFor();
    expect(await d.page.locator('.cb-lang').inputValue()).toBe('javascript');
    await d.page.locator('.cb-run').click();
    await d.page.locator('.cb-output', { hasText: 'kept 42' }).waitFor({ timeout: 20_000 });
    // Back to the starting cell: the draft is forgotten, and a reload shows the welcome code.
    await d.page.selectOption('.cb-lang', 'python');
    await d.page.locator('.cb-reset').click();
    await d.page.waitForFunction(() => localStorage.getItem('cellbox:draft') === null);
    await d.page.reload();
    await content.filter({ hasText: 'Hello from Cellbox' }).waitFor();
    expect(await d.page.locator('.cb-reset').isVisible()).toBe(false);
    // A link names its code: the draft neither replaces it nor is replaced by its edits.
    await setCode(d.page, 'print("draft again")');
    await d.page.waitForFunction(() => localStorage.getItem('cellbox:draft')?.includes('draft again'));
    await d.page.goto(`${box.url}/?z=${pythonZ('print("from the link")')}`);
    await content.filter({ hasText: 'from the link' }).waitFor();
    await setCode(d.page, 'print("edited link")');
    await d.page.goto(`${box.url}/`);
    await content.filter({ hasText: 'draft again' }).waitFor();
    expect(await draft()).toContain('draft again');
    expect(d.pageErrors).toEqual([]);
    await d.context.close();
  });

  it('Reset brings back the starting code and language together, and forgets the draft', async () => {
    const d = await openPage(browser, `${box.url}/`);
    const content = d.page.locator('.cm-content');
    await content.filter({ hasText: 'Hello from Cellbox' }).waitFor();
    const start = await content.innerText();
    // A language chosen alone is an edit: Reset shows, and the draft keeps it.
    await d.page.selectOption('.cb-lang', 'bash');
    await d.page.locator('.cb-reset').waitFor();
    await setCode(d.page, 'echo hi');
    await d.page.waitForFunction(() => localStorage.getItem('cellbox:draft')?.includes('echo hi'));
    // After a reload the draft's language is an edit too: Reset goes back to Python.
    await d.page.reload();
    await content.filter({ hasText: 'echo hi' }).waitFor();
    expect(await d.page.locator('.cb-lang').inputValue()).toBe('bash');
    await d.page.locator('.cb-reset').click();
    expect(await d.page.locator('.cb-lang').inputValue()).toBe('python');
    expect(await content.innerText()).toBe(start);
    expect(await d.page.locator('.cb-reset').isVisible()).toBe(false);
    await d.page.waitForFunction(() => localStorage.getItem('cellbox:draft') === null);
    // The starting code runs as what it is: Python.
    await d.page.locator('.cb-run').click();
    await d.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 20_000 });
    expect(await d.page.locator('.cb-output').textContent()).toContain('Hello from Cellbox');
    expect(d.pageErrors).toEqual([]);
    await d.context.close();
  });

  it('closes the Share panel when the code or the language changes: its links were of the old code', async () => {
    const s = await openPage(browser, `${box.url}/`);
    const panel = s.page.locator('.cb-share');
    const links = () => s.page.locator('.cb-share .cb-share-value').evaluateAll((fields) => fields.map((f) => (f as HTMLInputElement).value));
    await setCode(s.page, 'print("first")');
    await s.page.locator('.cb-share-button').click();
    await s.page.locator('.cb-share .cb-share-value').first().waitFor();
    const first = await links();
    expect(first[2]).toContain('print("first")');
    await setCode(s.page, 'print("second")');
    await panel.waitFor({ state: 'hidden' });
    expect(await s.page.locator('.cb-share-button').getAttribute('aria-expanded')).toBe('false');
    // Share again: links of the code as it is now.
    await s.page.locator('.cb-share-button').click();
    await s.page.locator('.cb-share .cb-share-value').first().waitFor();
    const second = await links();
    expect(second[0]).not.toBe(first[0]);
    expect(second[2]).toContain('print("second")');
    await s.page.selectOption('.cb-lang', 'bash');
    await panel.waitFor({ state: 'hidden' });
    expect(s.pageErrors).toEqual([]);
    await s.context.close();
  });

  it('closes the Share panel with Escape, the focus back on Share', async () => {
    // The panel takes the focus to its link; a keyboard user had to Tab through all of its
    // fields and buttons, or press Share again, to get out of it.
    const s = await openPage(browser, `${box.url}/`);
    await s.page.locator('.cb-share-button').focus();
    await s.page.keyboard.press('Enter');
    await s.page.locator('.cb-share .cb-share-value:focus').waitFor();
    await s.page.keyboard.press('Tab');
    await s.page.keyboard.press('Escape');
    await s.page.locator('.cb-share').waitFor({ state: 'hidden' });
    expect(await s.page.locator('.cb-share-button').getAttribute('aria-expanded')).toBe('false');
    expect(await s.page.locator('.cb-share-button:focus').count()).toBe(1);
    expect(s.pageErrors).toEqual([]);
    await s.context.close();
  });

  it("keeps the search panel's fields and buttons readable in the dark theme", async () => {
    const dark = await openPage(browser, `${box.url}/`, { colorScheme: 'dark' });
    await setCode(dark.page, 'for i in range(3):\n    print(i)');
    await dark.page.keyboard.press('Control+f');
    await dark.page.keyboard.type('print');
    const panel = dark.page.locator('.cm-search');
    await panel.waitFor();
    // Before, the fields were white and the buttons a light grey gradient under the dark
    // theme's near-white text: 1.2:1, the words being searched for unreadable.
    const fields = await lowestContrast(dark.page, '.cm-search :is(.cm-textfield, .cm-button)');
    expect(fields.count).toBe(7);
    expect(fields.lowest).toBeGreaterThanOrEqual(4.5);
    const images = await panel.locator('.cm-button').evaluateAll((bs) => bs.map((b) => getComputedStyle(b).backgroundImage));
    expect(new Set(images)).toEqual(new Set(['none']));
    await dark.context.close();
  });

  it('looks right in light, dark and at phone width', async () => {
    await runCode('print("Hello from Cellbox")\n[n * n for n in range(10)]');
    await screenshot(w.page, 'page-light');
    const dark = await openPage(browser, `${box.url}/`, { colorScheme: 'dark' });
    await setCode(dark.page, 'print("Hello in the dark")');
    await dark.page.keyboard.press('Shift+Enter');
    await dark.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 20_000 });
    await screenshot(dark.page, 'page-dark');
    // Highlighted code, selected code and coloured output are readable in both themes (AA:
    // 4.5:1). CodeMirror's own colours, drawn for white, gave a keyword some 2:1 on the dark
    // background; ansi_up's blue was 1.6:1 there, its yellow 2:1 on white.
    for (const page of [w.page, dark.page]) {
      await setCode(page, 'import math  # a comment\nclass A:\n    def f(self, x=None):\n        return f"{x!r}" + "\\n" * 2');
      const tokens = await lowestContrast(page, '.cm-content .cm-line span');
      expect(tokens.count).toBeGreaterThan(8);
      expect(tokens.lowest).toBeGreaterThanOrEqual(4.5);
      await page.keyboard.press('Control+A');
      const selected = await lowestContrast(page, '.cm-content', '.cm-selectionBackground');
      expect(selected.lowest).toBeGreaterThanOrEqual(4.5);
      await setCode(page, 'import sys\nfor c in [*range(30, 38), *range(90, 98)]:\n    print(f"\\x1b[{c}m{c}\\x1b[0m", f"\\x1b[1;{c}mbold\\x1b[0m")\n    print(f"\\x1b[{c}m{c}\\x1b[0m", file=sys.stderr)');
      await page.keyboard.press('Shift+Enter');
      await page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 20_000 });
      // The coloured spans, not the boxes a stream's lines are laid out in (embed/stream-view.ts).
      const coloured = await lowestContrast(page, '.cb-output pre span[class*="ansi-"]');
      expect(coloured.count).toBe(48);
      expect(coloured.lowest).toBeGreaterThanOrEqual(4.5);
    }
    const phone = await openPage(browser, `${box.url}/`, { viewport: { width: 390, height: 844 } });
    // No Shift key on a phone: the Run button is visible and works.
    // The cell mounts after the page's load event; isVisible() does not wait, and under the
    // suite's load it once looked before the cell was there. waitFor throws if it never shows.
    const run = phone.page.locator('.cb-run');
    await run.waitFor({ state: 'visible', timeout: 20_000 });
    await run.click();
    await phone.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 20_000 });
    // After an edit: language and Run share the first row, Share, Copy and Reset the second,
    // all big enough to touch and inside the screen.
    await phone.page.locator('.cm-content').click();
    await phone.page.keyboard.type('# edited');
    const rows = [['select', '.cb-run'], ['.cb-share-button', '.cb-copy', '.cb-reset']];
    for (const row of rows) {
      const boxes = await Promise.all(row.map((s) => phone.page.locator(`.cb-bar ${s}`).boundingBox()));
      for (const b of boxes) {
        expect(b!.y).toBeCloseTo(boxes[0]!.y, -1);
        expect(b!.x + b!.width).toBeLessThanOrEqual(390);
        expect(b!.height).toBeGreaterThanOrEqual(40);
      }
    }
    await screenshot(phone.page, 'page-phone');
    expect([...w.pageErrors, ...dark.pageErrors, ...phone.pageErrors]).toEqual([]);
    // Nothing the pages load is missing or refused.
    expect([...dark.consoleErrors, ...phone.consoleErrors]).toEqual([]);
    await dark.context.close();
    await phone.context.close();
  });
});
