// Linked cells in a real browser, on a host page of another origin: the linked cells of a page
// form one chain in document order, and running one runs the code of those above it first, as
// their editors hold it now, their output not shown again; a cell that is not linked runs alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, screenshot, setCode } from '../helpers/browser';
import { serveHostPages, type HostPages } from '../helpers/host-pages';

let box: Cellbox;
let browser: Browser;
let host: HostPages;

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox({ CELLBOX_CELLS_PER_MINUTE: '0' }));
  host = await serveHostPages();
  const script = `<script src="http://localhost:${box.port}/embed.js" defer></script>`;
  // A teacher's notes: a function, then a value, then a cell that uses both; between them a cell
  // that is not linked, whose code would change the answer if it ran in the chain.
  host.pages.set('/notes', `<!doctype html><html><head><meta charset="utf-8"><title>Notes</title>${script}</head><body>
    <h1>Functions</h1>
    <pre data-cellbox data-linked id="one">print("from one")
def f(n):
    return n + 1</pre>
    <pre data-cellbox id="alone">base = 999
print("alone:", "f" in globals())</pre>
    <pre data-cellbox data-linked id="two">base = 1</pre>
    <p>Now use both:</p>
    <pre data-cellbox data-linked id="three">print("third:", f(base))</pre>
    <pre data-cellbox data-linked id="four">@interact
def g(k=slider(0, 9, 1, default=2)):
    print("four:", f(base) * k)</pre>
  </body></html>`);
  // Two sets of notes on one page, each its own chain by name, and the page's default chain
  // between them: each cell runs after the cells above it of its own chain only.
  host.pages.set('/chains', `<!doctype html><html><head><meta charset="utf-8"><title>Two notes</title>${script}</head><body>
    <pre data-cellbox data-linked="algebra" id="a1">x = "algebra"</pre>
    <pre data-cellbox data-linked="geometry" id="g1">x = "geometry"</pre>
    <pre data-cellbox data-linked id="d1">x = "default"</pre>
    <pre data-cellbox data-linked="algebra" id="a2">print("a2:", x)</pre>
    <pre data-cellbox data-linked="geometry" id="g2">print("g2:", x)</pre>
    <pre data-cellbox data-linked id="d2">print("d2:", x)</pre>
  </body></html>`);
  // A chain named for the whole page in its JSON block; one cell opts out into a chain of its own.
  host.pages.set('/named-config', `<!doctype html><html><head><meta charset="utf-8"><title>Config</title>${script}
    <script type="application/json" data-cellbox-config>{"linked": "course"}</script></head><body>
    <pre data-cellbox id="c1">y = 7</pre>
    <pre data-cellbox data-linked="other" id="o1">y = 8</pre>
    <pre data-cellbox id="c2">print("c2:", y)</pre>
  </body></html>`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await box?.stop();
  await host?.close();
});

const CELL = (id: string) => `.cellbox-embed:has(+ #${id})`;
const cell = (p: Page, id: string) => p.locator(CELL(id));

async function runAndWait(p: Page, id: string, status: RegExp): Promise<string> {
  await cell(p, id).locator('.cb-run').click();
  await cell(p, id).locator('.cb-status', { hasText: status }).waitFor({ timeout: 30_000 });
  return cell(p, id).locator('.cb-output').innerText();
}

describe('linked cells on a host page', () => {
  it('runs the third after the first two as they are edited now; the unlinked cell is in no chain', async () => {
    const w = await openPage(browser, `${host.url}/notes`);
    await cell(w.page, 'three').locator('.cm-content').waitFor();
    // The reader is told which cells run after the ones above.
    for (const id of ['one', 'two', 'three']) {
      await expect.poll(() => cell(w.page, id).locator('.cb-linked-note').isVisible()).toBe(true);
    }
    expect(await cell(w.page, 'three').locator('.cb-linked-note').innerText()).toBe('Linked: runs after the linked cells above it on this page, their output not shown here.');
    expect(await cell(w.page, 'alone').locator('.cb-linked-note').isVisible()).toBe(false);

    // As written on the page.
    const first = await runAndWait(w.page, 'three', /Done in/);
    expect(first).toContain('third: 2');
    expect(first).not.toContain('from one');

    // As the reader edited them, never run since.
    await setCode(w.page, 'print("from one")\ndef f(n):\n    return n * 100', CELL('one'));
    await setCode(w.page, 'base = 4', CELL('two'));
    const edited = await runAndWait(w.page, 'three', /Done in/);
    expect(edited).toContain('third: 400');
    expect(edited).not.toContain('from one');
    expect(edited).not.toContain('alone');
    await screenshot(w.page, 'linked-cells');

    // The cell that is not linked runs alone: nothing of the chain reaches it.
    expect(await runAndWait(w.page, 'alone', /Done in/)).toContain('alone: False');
    // Nor do the cells below a linked one: the first runs alone.
    expect(await runAndWait(w.page, 'one', /Done in/)).toContain('from one');
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it('names the cell above that failed, and does not run the one pressed', async () => {
    const w = await openPage(browser, `${host.url}/notes`);
    await cell(w.page, 'three').locator('.cm-content').waitFor();
    await setCode(w.page, 'base = undefined_name', CELL('two'));
    const output = await runAndWait(w.page, 'three', /Error: LinkedCellError/);
    expect(output).toContain('The linked cell 2 of the 2 above this one failed, so this cell did not run:');
    expect(output).toContain("NameError: name 'undefined_name' is not defined");
    expect(output).not.toContain('third:');
    await screenshot(w.page, 'linked-cells-error');
    await w.context.close();
  });

  it('keeps named chains apart: a cell runs after the cells above it of its own chain only', async () => {
    const w = await openPage(browser, `${host.url}/chains`);
    await cell(w.page, 'd2').locator('.cm-content').waitFor();
    expect(await runAndWait(w.page, 'a2', /Done in/)).toContain('a2: algebra');
    expect(await runAndWait(w.page, 'g2', /Done in/)).toContain('g2: geometry');
    expect(await runAndWait(w.page, 'd2', /Done in/)).toContain('d2: default');
    // A chain's name is no mistake of the author's: no cell says anything is wrong.
    for (const id of ['a1', 'g1', 'd1', 'a2', 'g2', 'd2']) {
      expect(await cell(w.page, id).locator('.cb-problems').isVisible()).toBe(false);
      expect(await cell(w.page, id).locator('.cb-linked-note').isVisible()).toBe(true);
    }
    // Which cells share state: a named chain is named; the page's default one is not.
    expect(await cell(w.page, 'a2').locator('.cb-linked-note').innerText()).toBe('Linked (chain "algebra"): runs after the linked cells of that chain above it on this page, their output not shown here.');
    expect(await cell(w.page, 'd2').locator('.cb-linked-note').innerText()).toBe('Linked: runs after the linked cells above it on this page, their output not shown here.');
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it('takes a chain named in the page-wide JSON block, which a cell may leave for another', async () => {
    const w = await openPage(browser, `${host.url}/named-config`);
    await cell(w.page, 'c2').locator('.cm-content').waitFor();
    expect(await runAndWait(w.page, 'c2', /Done in/)).toContain('c2: 7');
    expect(await cell(w.page, 'c2').locator('.cb-problems').isVisible()).toBe(false);
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it("runs a linked cell's interact again with the linked code of the Run that showed its controls", async () => {
    const w = await openPage(browser, `${host.url}/notes`);
    await cell(w.page, 'four').locator('.cm-content').waitFor();
    expect(await runAndWait(w.page, 'four', /Done in/)).toContain('four: 4');
    const posted: { linked?: string[]; interact?: unknown }[] = [];
    const seen: string[] = [];
    w.page.on('request', (r) => {
      seen.push(`${r.method()} ${r.url()}`);
      if (r.method() === 'POST' && /\/api\/v1\/cells(\?|$)/.test(r.url())) posted.push(JSON.parse(r.postData() ?? '{}'));
    });
    // An edit above after the Run: the controls go on with what that Run ran, as with its own code.
    await setCode(w.page, 'base = 5', CELL('two'));
    const slider = cell(w.page, 'four').getByRole('slider', { name: 'k' });
    await slider.focus();
    await w.page.keyboard.press('ArrowRight');
    await cell(w.page, 'four').locator('.cb-output', { hasText: 'four: 6' }).waitFor({ timeout: 30_000 });
    expect(posted, seen.join('\n')).toHaveLength(1);
    expect(posted[0].interact).toEqual({ 0: { k: 3 } });
    expect(posted[0].linked).toHaveLength(3);
    expect(posted[0].linked![2]).toBe('print("third:", f(base))');
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });
});
