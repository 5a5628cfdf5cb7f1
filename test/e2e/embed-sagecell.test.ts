// A page written for SageMathCell, its script's src swapped for Cellbox's /embed.js and nothing
// else changed, in a real browser: the script loaded as SageMathCell's pages load it (no
// defer), makeSagecell() called inline before the markup exists, the markup below. Its cells
// come with the page's button label, hide what it hid, link, evaluate by themselves, run Sage,
// and are made once, whatever Cellbox's own scan of the same markup does.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { get, startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, screenshot } from '../helpers/browser';
import { serveHostPages, type HostPages } from '../helpers/host-pages';

const sageInstalled = fs.existsSync('/usr/lib/python3/dist-packages/sage');
let box: Cellbox;
let browser: Browser;
let host: HostPages;

function page(head: string, body: string): string {
  return `<!DOCTYPE HTML>\n<html><head><meta charset="utf-8"><title>Course notes</title>${head}</head><body><h1>Notes</h1>${body}</body></html>`;
}

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox({ CELLBOX_LANGUAGES: sageInstalled ? 'python,javascript,bash,sage' : 'python,javascript,bash' }));
  host = await serveHostPages();
  const script = `<script src="http://localhost:${box.port}/embed.js"></script>`;
  // As SageMathCell's documentation writes a page: the calls in the head, the markup below.
  host.pages.set('/notes', page(`${script}
<script>
sagecell.makeSagecell({inputLocation: 'div.compute', evalButtonText: 'Evaluate', linked: true, hide: ['permalink'], languages: ['python', 'sage']});
sagecell.makeSagecell({inputLocation: '#shown', template: sagecell.templates.minimal, evalButtonText: 'Show', autoeval: true, languages: ['python'],
  callback: function () { document.body.setAttribute('data-made', (document.body.getAttribute('data-made') || '') + 'x'); }});
sagecell.makeSagecell({inputLocation: '#sage', evalButtonText: 'Compute'});
// The same location twice makes it once.
sagecell.makeSagecell({inputLocation: '#sage', evalButtonText: 'Again'});
</script>`, `
<div class="compute"><script type="text/x-sage">
def area(r):
    return 3 * r * r
</script></div>
<p>Between the cells.</p>
<div class="compute"><script type="text/x-sage">print(area(2))</script></div>
<div id="shown"><script type="text/x-sage">print("ran by itself")</script></div>
<div id="sage"><script type="text/x-sage">print(2^10)</script></div>
<pre data-cellbox data-run-label="Try it" data-languages="python bash">print("a Cellbox cell")</pre>`));
  // makeSagecell() called once the page has loaded, after Cellbox's scan mounted the markup.
  host.pages.set('/late', page(script, `
<div class="late"><script type="text/x-sage">print("late")</script></div>
<script>
window.addEventListener('load', function () {
  window.info = sagecell.makeSagecell({inputLocation: 'div.late', evalButtonText: 'Go', editor: 'codemirror-readonly', languages: ['python', 'bash']});
});
</script>`));
  // As SageMathCell's first documentation wrote a page: sagecell.init(), the code in a script of
  // the head named by codeLocation, an empty element for the cell; and data-lang on a location.
  host.pages.set('/init', page(`${script}
<script type="text/x-sage" id="code">print(6 * 7)</script>
<script>
sagecell.init(function () {
  sagecell.makeSagecell({inputLocation: '#mycell', codeLocation: '#code', template: sagecell.templates.restricted, evalButtonText: 'Activate', languages: ['python']});
  sagecell.makeSagecell({inputLocation: '#other', languages: ['python', 'bash']});
});
</script>`, '<div id="mycell"></div><div id="other" data-lang="bash"><script type="text/x-sage">echo "from bash"</script></div>'));
  // Two calls' linked cells, interleaved in the page: as in SageMathCell, each call's cells are
  // linked with each other only.
  host.pages.set('/two-calls', page(`${script}
<script>
sagecell.makeSagecell({inputLocation: 'div.first', linked: true, languages: ['python']});
sagecell.makeSagecell({inputLocation: 'div.second', linked: true, languages: ['python']});
</script>`, `
<div class="first"><script type="text/x-sage">x = "first"</script></div>
<div class="second"><script type="text/x-sage">x = "second"</script></div>
<div class="first"><script type="text/x-sage">print("first sees", x)</script></div>
<div class="second"><script type="text/x-sage">print("second sees", x)</script></div>`));
  // The script deferred, the call in a DOMContentLoaded handler: it runs before Cellbox's scan.
  host.pages.set('/deferred', page(`<script src="http://localhost:${box.port}/embed.js" defer></script>
<script>document.addEventListener('DOMContentLoaded', function () { sagecell.makeSagecell({inputLocation: 'div.d', evalButtonText: 'Go', languages: ['python']}); });</script>`,
  '<div class="d"><script type="text/x-sage">print("deferred")</script></div>'));
  // As SageMathCell's pages long wrote the call, in jQuery's ready: SageMathCell's script
  // defines `$` (its jQuery) on a page that has none, and these pages rely on it.
  host.pages.set('/dollar', page(`${script}
<script>
$(function () { throw new Error("the page's own mistake"); });
try { $('.menu'); } catch (e) { document.documentElement.setAttribute('data-said', e.message); }
$(function () {
    sagecell.makeSagecell({inputLocation: 'div.jq', evalButtonText: 'Evaluate', linked: true, languages: ['python']});
});
$(document).ready(function ($) { document.body.setAttribute('data-ready', typeof $); });
</script>`, `
<div class="jq"><script type="text/x-sage">n = 6</script></div>
<div class="jq"><script type="text/x-sage">print(n * 7)</script></div>`));
  // SageMathCell's own documented snippet, every URL on the server's host as it was: the script
  // and the stylesheet under SageMathCell's names. A site that ran a SageMathCell server and now
  // runs Cellbox under the same name changes nothing in its pages.
  const sagecellServer = `http://localhost:${box.port}`;
  host.pages.set('/same-host', page(`<script src="${sagecellServer}/static/embedded_sagecell.js"></script>
<script>sagecell.makeSagecell({"inputLocation": ".sage"${sageInstalled ? '' : ', "languages": ["python"]'}});</script>
<link rel="stylesheet" type="text/css" href="${sagecellServer}/static/sagecell_embed.css">`,
  '<div class="sage"><script type="text/x-sage">print(6 * 7)</script></div>'));
  // A page with a `$` of its own keeps it.
  host.pages.set('/own-dollar', page(`<script>window.$ = function mine() { return 'mine'; };</script>${script}`,
    '<div id="d"><script type="text/x-sage">print(1)</script></div>'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await box?.stop();
  await host?.close();
});

const runButton = (cell: Locator) => cell.locator('.cb-run');

async function runAndWait(cell: Locator): Promise<string> {
  await runButton(cell).click();
  await cell.locator('.cb-status', { hasText: /Done in|Error/ }).waitFor({ timeout: 90_000 });
  return cell.locator('.cb-output').innerText();
}

describe('a SageMathCell page with the script swapped', () => {
  let p: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    const w = await openPage(browser, `${host.url}/notes`);
    p = w.page;
    pageErrors = w.pageErrors;
    await p.locator('#sage .cellbox-embed .cb-run').waitFor();
  });

  it('makes one cell of each location, with the label the page gave its button', async () => {
    expect(await p.locator('.cellbox-embed').count()).toBe(5);
    for (const sel of ['div.compute >> nth=0', 'div.compute >> nth=1', '#shown', '#sage']) {
      expect(await p.locator(sel).locator('.cellbox-embed').count(), sel).toBe(1);
    }
    expect(await runButton(p.locator('div.compute').first()).innerText()).toBe('Evaluate');
    // #shown evaluates by itself: its button says Stop until that run ends (a while, on a
    // loaded machine), then the page's label.
    await p.locator('#shown .cb-status', { hasText: /Done in|Error/ }).waitFor({ timeout: 90_000 });
    expect(await runButton(p.locator('#shown')).innerText()).toBe('Show');
    // The second call for #sage made nothing: the first call's label stays.
    expect(await runButton(p.locator('#sage')).innerText()).toBe('Compute');
    // Cellbox's own option for it.
    const own = p.locator('cellbox-cell:has(+ pre[data-cellbox])');
    expect(await runButton(own).innerText()).toBe('Try it');
    await expect.poll(() => own.locator('.cb-lang option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)), { timeout: 10_000 }).toEqual(['python', 'bash']);
    expect(await p.locator('body').getAttribute('data-made')).toBe('x');
    expect(pageErrors).toEqual([]);
  });

  it('hides the parts the page hid, and offers only its languages', async () => {
    const compute = p.locator('div.compute').first();
    expect(await compute.locator('.cb-share-button').isHidden()).toBe(true);
    expect(await compute.locator('.cb-lang').isVisible()).toBe(true);
    expect(await compute.locator('.cb-lang').inputValue()).toBe('python');
    await expect.poll(() => compute.locator('.cb-lang option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)), { timeout: 10_000 }).toEqual(['python', 'sage']);
    // The minimal template: no editor, no permalink; one language, no selector.
    const shown = p.locator('#shown');
    expect(await shown.locator('.cb-editor').isHidden()).toBe(true);
    expect(await shown.locator('.cb-share-button').isHidden()).toBe(true);
    expect(await shown.locator('.cb-lang').isHidden()).toBe(true);
    // Nor Copy: it copied code the reader could not see.
    expect(await shown.locator('.cb-copy').isHidden()).toBe(true);
    expect(await shown.locator('.cb-run').isVisible()).toBe(true);
    // SageMathCell's default language: Sage.
    expect(await p.locator('#sage .cb-lang').inputValue()).toBe('sage');
  });

  it('evaluates an autoeval cell by itself', async () => {
    await p.locator('#shown .cb-output', { hasText: 'ran by itself' }).waitFor({ timeout: 30_000 });
  });

  it('runs a linked cell after the linked cells above it', async () => {
    expect(await runAndWait(p.locator('div.compute').nth(1))).toContain('12');
    await screenshot(p, 'embed-sagecell');
  });

  it.skipIf(!sageInstalled)('runs a Sage cell', async () => {
    for (let i = 0; i < 900; i++) {
      const langs = (await get(`${box.url}/api/v1/languages`)).body as { name: string; version: string }[];
      if (langs.some((l) => l.name === 'sage' && l.version)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await runAndWait(p.locator('#sage'))).toContain('1024');
  }, 120_000);
});

describe('linked cells of two makeSagecell() calls', () => {
  it("links each call's cells with each other only, as SageMathCell's kernel per call", async () => {
    const w = await openPage(browser, `${host.url}/two-calls`);
    await w.page.locator('div.second').nth(1).locator('.cb-run').waitFor();
    expect(await runAndWait(w.page.locator('div.first').nth(1))).toContain('first sees first');
    expect(await runAndWait(w.page.locator('div.second').nth(1))).toContain('second sees second');
    // Each says whose cells it runs after: its own call's.
    expect(await w.page.locator('div.second').nth(1).locator('.cb-linked-note').innerText()).toBe('Linked (the chain of its makeSagecell() call): runs after the linked cells of that chain above it on this page, their output not shown here.');
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });
});

describe('makeSagecell() once the page has loaded', () => {
  it('takes the markup Cellbox had mounted, once, and deleteSagecell() removes it', async () => {
    const w = await openPage(browser, `${host.url}/late`);
    const late = w.page.locator('div.late');
    await runButton(late).filter({ hasText: 'Go' }).waitFor();
    expect(await late.locator('.cellbox-embed').count()).toBe(1);
    expect(await late.locator('.cb-lang').inputValue()).toBe('python');
    expect(await late.locator('.cm-content').getAttribute('aria-readonly')).toBe('true');
    // Again, after the fact: nothing more.
    await w.page.evaluate(() => (window as unknown as { sagecell: { makeSagecell(a: object): void } }).sagecell.makeSagecell({ inputLocation: 'div.late' }));
    expect(await w.page.locator('.cellbox-embed').count()).toBe(1);
    await w.page.evaluate(() => {
      const win = window as unknown as { sagecell: { deleteSagecell(i: unknown): void }; info: unknown };
      win.sagecell.deleteSagecell(win.info);
    });
    expect(await w.page.locator('div.late').count()).toBe(0);
    expect(await w.page.locator('.cellbox-embed').count()).toBe(0);
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });
});

describe('the script deferred', () => {
  it('makes the cells of a makeSagecell() called when the document is ready, once', async () => {
    const w = await openPage(browser, `${host.url}/deferred`);
    const d = w.page.locator('div.d');
    await runButton(d).filter({ hasText: 'Go' }).waitFor();
    expect(await w.page.locator('.cellbox-embed').count()).toBe(1);
    expect(await d.locator('.cb-lang').inputValue()).toBe('python');
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });
});

describe("a page that waits for the document with SageMathCell's $", () => {
  it('makes the cells in $(function () {…}), linked as the call says', async () => {
    const w = await openPage(browser, `${host.url}/dollar`);
    const second = w.page.locator('div.jq').nth(1);
    await runButton(second).waitFor();
    // Before, "$ is not defined": the call never ran, and Cellbox's own scan made plain cells
    // of the markup, Run for Evaluate, not linked (NameError: name 'n' is not defined).
    // The page's own callback that threw is reported, and keeps neither the call after it
    // nor Cellbox's scan from running.
    expect(w.pageErrors).toEqual([expect.stringContaining("Error: the page's own mistake")]);
    expect(await runButton(second).innerText()).toBe('Evaluate');
    expect(await runAndWait(second)).toContain('42');
    expect(await w.page.locator('.cellbox-embed').count()).toBe(2);
    await expect.poll(() => w.page.locator('body').getAttribute('data-ready')).toBe('function');
    // Anything else jQuery would do is not done quietly: it says what the page needs.
    expect(await w.page.locator('html').getAttribute('data-said')).toMatch(/^\$\(".menu"\) is jQuery, .*load jQuery in the page/);
    await w.context.close();
  });

  it("works unchanged from SageMathCell's own script and stylesheet URLs on the server's host", async () => {
    const w = await openPage(browser, `${host.url}/same-host`);
    const failed: string[] = [];
    w.page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    const cell = w.page.locator('div.sage');
    expect(await runAndWait(cell)).toContain('42');
    const css = await fetch(`${box.url}/static/sagecell_embed.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    // The same script as /embed.js, with its CORS headers.
    const [alias, own] = await Promise.all([fetch(`${box.url}/static/embedded_sagecell.js`), fetch(`${box.url}/embed.js`)]);
    expect(alias.headers.get('access-control-allow-origin')).toBe('*');
    expect(await alias.text()).toBe(await own.text());
    expect(failed).toEqual([]);
    expect(w.consoleErrors).toEqual([]);
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it("leaves a page's own $ alone", async () => {
    const w = await openPage(browser, `${host.url}/own-dollar`);
    await runButton(w.page.locator('#d')).waitFor();
    expect(await w.page.evaluate(() => (window as unknown as { $: () => string }).$())).toBe('mine');
    await w.context.close();
  });
});

describe("SageMathCell's first API", () => {
  it('makes the cells in sagecell.init()\'s callback, the code from codeLocation, the language from data-lang', async () => {
    const w = await openPage(browser, `${host.url}/init`);
    const mycell = w.page.locator('#mycell');
    await runButton(mycell).filter({ hasText: 'Activate' }).waitFor();
    // The code's script in the head is no cell of its own.
    expect(await w.page.locator('.cellbox-embed').count()).toBe(2);
    expect(await mycell.locator('.cm-content').innerText()).toBe('print(6 * 7)');
    expect(await mycell.locator('.cm-content').getAttribute('aria-readonly')).toBe('true');
    expect(await runAndWait(mycell)).toContain('42');
    const other = w.page.locator('#other');
    expect(await other.locator('.cb-lang').inputValue()).toBe('bash');
    expect(await runAndWait(other)).toContain('from bash');
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });
});
