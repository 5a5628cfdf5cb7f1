// A keyboard-only reader and a screen reader's user on the cell page, in a real browser
// (Debian's Chromium): the way out of the editor as its hint says it, where the focus goes when
// what had it goes away, and what the controls and pictures are called and say.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, setCode, type Watched } from '../helpers/browser';

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

/** Where the focus is: whether in the editor, and the focused element (through shadow roots). */
function focus(page: Page): Promise<{ inEditor: boolean; what: string }> {
  return page.evaluate(() => {
    let a: Element | null = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement;
    return { inEditor: !!a?.closest('.cm-editor'), what: a ? `${a.tagName.toLowerCase()}.${a.className}` : 'none' };
  });
}

describe('the keyboard in the editor', () => {
  it('Esc then Tab leaves the editor when the Esc closed the completion popup, the code unchanged', async () => {
    await setCode(w.page, 'x = 1\n');
    // Typed, not pasted: a completion shows after the word, as it does while anyone types.
    await w.page.keyboard.type('pri');
    await w.page.locator('.cm-tooltip-autocomplete').waitFor();
    await w.page.keyboard.press('Escape');
    expect(await w.page.locator('.cm-tooltip-autocomplete').count()).toBe(0);
    await w.page.keyboard.press('Tab');
    const f = await focus(w.page);
    expect(f.inEditor, f.what).toBe(false);
    expect(f.what).toContain('cb-lang');
    // Before, the Tab indented the line: the reader's code changed under them.
    expect(await w.page.locator('.cm-content').innerText()).toBe('x = 1\npri');
  });

  it('Esc then Shift+Tab leaves the editor when the Esc cleared a selection, the code unchanged', async () => {
    await setCode(w.page, 'if True:\n    y = 2');
    await w.page.keyboard.press('Control+A');
    await w.page.keyboard.press('Escape');
    await w.page.keyboard.press('Shift+Tab');
    const f = await focus(w.page);
    expect(f.inEditor, f.what).toBe(false);
    expect(await w.page.locator('.cm-content').innerText()).toBe('if True:\n    y = 2');
  });

  it('Enter after a word typed in full breaks the line, though the completion popup shows that word', async () => {
    await setCode(w.page, 'total = 0\nfor n in range(3):\n    ');
    // Typed as a person types: the popup comes after a pause, offering the name the code has.
    await w.page.keyboard.type('total', { delay: 30 });
    await w.page.locator('.cm-tooltip-autocomplete', { hasText: 'total' }).waitFor();
    // CodeMirror ignores an Enter within 75 ms of the popup's showing, as no person presses one.
    await w.page.waitForTimeout(200);
    await w.page.keyboard.press('Enter');
    await w.page.keyboard.type('x');
    // Before, the Enter took the completion, which changed nothing: no new line, the x after the word.
    expect(await w.page.locator('.cm-content').innerText()).toBe('total = 0\nfor n in range(3):\n    total\n    x');
  });

  it('Tab takes the completion the popup offers, as in other code editors, and does not indent the line', async () => {
    await setCode(w.page, 'total = 0\nfor n in range(3):\n    ');
    await w.page.keyboard.type('tot', { delay: 30 });
    await w.page.locator('.cm-tooltip-autocomplete', { hasText: 'total' }).waitFor();
    await w.page.waitForTimeout(200);
    await w.page.keyboard.press('Tab');
    // Before, the Tab indented the line under the popup: '        tot'.
    expect(await w.page.locator('.cm-content').innerText()).toBe('total = 0\nfor n in range(3):\n    total');
    // With no popup, Tab indents as before.
    await w.page.keyboard.press('Tab');
    expect(await w.page.locator('.cm-content').innerText()).toBe('total = 0\nfor n in range(3):\n        total');
  });

  it('Enter still takes a completion that finishes the word', async () => {
    await setCode(w.page, 'total = 0\n');
    await w.page.keyboard.type('tot', { delay: 30 });
    await w.page.locator('.cm-tooltip-autocomplete', { hasText: 'total' }).waitFor();
    // CodeMirror ignores an Enter within 75 ms of the popup's showing, as no person presses one.
    await w.page.waitForTimeout(200);
    await w.page.keyboard.press('Enter');
    expect(await w.page.locator('.cm-content').innerText()).toBe('total = 0\ntotal');
  });
});

describe('the focus where what had it goes away', () => {
  it('Reset pressed from the keyboard leaves the focus in the cell, on its code', async () => {
    await setCode(w.page, 'print("edited")');
    const reset = w.page.locator('.cb-reset');
    await reset.waitFor();
    await reset.focus();
    await w.page.keyboard.press('Enter');
    await reset.waitFor({ state: 'hidden' });
    // Reset hides itself; the focus on it went to the page's start (body).
    const f = await focus(w.page);
    expect(f.inEditor, f.what).toBe(true);
    expect(await w.page.locator('.cm-content').innerText()).not.toContain('edited');
  });
});

describe('what the controls are called and say', () => {
  it('names the cell a group by its language, so that a page of cells tells their Run buttons apart', async () => {
    const cell = w.page.getByRole('group', { name: 'Python 3 cell', exact: true });
    await cell.getByRole('button', { name: 'Run', exact: true }).waitFor();
    await w.page.getByRole('combobox', { name: 'Language' }).selectOption('javascript');
    await w.page.getByRole('group', { name: 'JavaScript (Node.js) cell', exact: true }).getByRole('button', { name: 'Run', exact: true }).waitFor();
    await w.page.getByRole('combobox', { name: 'Language' }).selectOption('python');
    await cell.waitFor();
  });

  it("names the Share panel's fields by their captions alone", async () => {
    await setCode(w.page, 'print("shared")');
    await w.page.locator('.cb-share-button').focus();
    await w.page.keyboard.press('Enter');
    await w.page.locator('.cb-share input').first().waitFor();
    const names = await w.page.locator('.cb-share .cb-share-value').evaluateAll((fields) => fields.map((f) => f.getAttribute('aria-label')));
    expect(names).toEqual(['Link', 'Link with the code in it', 'Embed in a page']);
    // As the browser names them: before, "Link Copy", and "Link Copied" after a copy.
    for (const name of names) expect(await w.page.getByRole('textbox', { name: name!, exact: true }).count()).toBe(1);
    await w.page.keyboard.press('Escape');
  });

  it("reads out why Share made no link, the focus staying on Share", async () => {
    await setCode(w.page, 'print("not shared")');
    const snippets = /\/api\/v1\/snippets/;
    await w.page.route(snippets, (r) => r.abort('connectionrefused'));
    await w.page.locator('.cb-share-button').focus();
    await w.page.keyboard.press('Enter');
    // Before, a paragraph in the panel that no screen reader read out.
    await w.page.getByRole('alert').filter({ hasText: /link|reached/i }).waitFor();
    expect((await focus(w.page)).what).toContain('cb-share-button');
    await w.page.unroute(snippets);
    await w.page.keyboard.press('Enter');
  });

  it('says what Copy did in a live region, as well as on the button', async () => {
    const copy = w.page.locator('.cb-bar .cb-copy');
    await copy.focus();
    await w.page.keyboard.press('Enter');
    await copy.filter({ hasText: /^Cop(ied|y failed)$/ }).waitFor();
    const shown = await copy.textContent();
    // A focused button's new name is not read out; a status's new words are.
    await w.page.getByRole('status').filter({ hasText: shown! }).waitFor();
    // Emptied with the button's label, so that a second copy is read out again.
    await copy.filter({ hasText: /^Copy$/ }).waitFor();
    expect(await w.page.getByRole('status').filter({ hasText: shown! }).count()).toBe(0);
  });

  it('names a plot by the words its output has for it, not "output image"', async () => {
    await setCode(w.page, 'import matplotlib.pyplot as plt\nplt.subplots(1, 2)');
    await w.page.keyboard.press('Shift+Enter');
    await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
    await w.page.getByRole('img', { name: 'Figure size 640x480 with 2 Axes', exact: true }).waitFor();
  });

  it("names a plot by its titles and axis labels where it has them", async () => {
    await setCode(w.page, 'import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.title("Rainfall")\nplt.xlabel("month")\nplt.ylabel("mm")');
    await w.page.keyboard.press('Shift+Enter');
    await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
    await w.page.getByRole('img', { name: 'Figure size 640x480 with 1 Axes; title "Rainfall", x axis "month", y axis "mm"', exact: true }).waitFor();
  });
});

describe('output wider than the cell', () => {
  // Such a box scrolls sideways; Chromium lets the keyboard into it of itself, Safari only with a
  // tabindex, which the output gives it while it is wider, and not to a box that fits.
  it('makes a wide table or formula a stop for Tab that the arrow keys scroll, and a narrow one none', async () => {
    await setCode(w.page, [
      'from IPython.display import display, HTML, Latex',
      'display(HTML("<table id=wide><tr>" + "<td>a_value_that_does_not_break</td>" * 40 + "</tr></table>"))',
      'display(HTML("<table id=narrow><tr><td>3</td><td>9</td></tr></table>"))',
      'display(Latex("$$" + " + ".join(f"x_{{{i}}}^{{{i}}}" for i in range(120)) + "$$"))',
    ].join('\n'));
    await w.page.keyboard.press('Shift+Enter');
    await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
    await w.page.locator('.cb-latex mjx-container').waitFor({ timeout: 30_000 });
    const stops = () => w.page.locator('.cb-output .cb-html, .cb-output .cb-latex').evaluateAll((boxes) => boxes.map((b) => b.getAttribute('tabindex')));
    await expect.poll(stops, { timeout: 10_000 }).toEqual(['0', null, '0']);
    const wide = w.page.locator('.cb-output .cb-html').first();
    await wide.focus();
    await w.page.keyboard.press('ArrowRight');
    await expect.poll(() => wide.evaluate((b) => b.scrollLeft)).toBeGreaterThan(0);
  });
});
