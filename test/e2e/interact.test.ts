// Interacts end to end in a real browser: a Python cell's @interact (the real kernel) shows
// its controls, and moving one runs the cell again on the real server with the controls'
// values, its output replacing the old in place. On Cellbox's page and in embed.js on
// another site's page; the POSTs the page makes are counted, as a person's changes must not
// each make a run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Request } from 'playwright-core';
import { get, startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, runByTouch, setCode, type Watched } from '../helpers/browser';
import { serveHostPages, type HostPages } from '../helpers/host-pages';

let box: Cellbox;
let browser: Browser;
let w: Watched;
/** The bodies of the cells the page posted, in order. */
const posts: { code: string; interact?: Record<string, Record<string, unknown>> }[] = [];

function countPosts(page: Page, into: typeof posts): void {
  page.on('request', (r: Request) => {
    if (r.method() === 'POST' && /\/api\/v1\/cells(\?|$)/.test(r.url())) into.push(JSON.parse(r.postData() ?? '{}'));
  });
}

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox());
  w = await openPage(browser, `${box.url}/`);
  countPosts(w.page, posts);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await box?.stop();
});

/** Runs `code` afresh (Shift+Enter) and waits for `expected` in its output and the run's end. */
async function runFresh(page: Page, code: string, expected: string): Promise<void> {
  await setCode(page, code);
  await page.keyboard.press('Shift+Enter');
  await shows(page, expected);
}

/** Waits until the output shows `text` and the run that showed it has ended. */
async function shows(page: Page, text: string, scope = ''): Promise<void> {
  await page.locator(`${scope} .cb-output`.trim(), { hasText: text }).waitFor({ timeout: 30_000 });
  await page.locator(`${scope} .cb-run`.trim(), { hasText: /^Run$/ }).waitFor({ timeout: 30_000 });
}

/** The output's text (controls' value texts included). */
function outputText(page: Page, scope = ''): Promise<string> {
  return page.locator(`${scope} .cb-output`.trim()).innerText();
}

const SLIDER_CELL = `@interact
def f(n=slider(0, 20, 1, default=3), colour=['red', 'green', 'blue'], loud=True):
    print(f"n={n} colour={colour} loud={loud}")`;

describe('interacts on the cell page', () => {
  it('runs again as a slider moves by the keyboard: the same slider, still focused, the old output replaced', async () => {
    await runFresh(w.page, SLIDER_CELL, 'n=3 colour=red loud=True');
    const fresh = posts.at(-1)!;
    expect(fresh.interact).toBeUndefined();
    const slider = w.page.getByRole('slider', { name: 'n' });
    expect(await slider.inputValue()).toBe('3');
    await slider.focus();
    await w.page.evaluate(() => ((window as unknown as { kept: Element | null }).kept = document.activeElement));
    const before = posts.length;
    await w.page.keyboard.press('ArrowRight');
    await shows(w.page, 'n=4 colour=red loud=True');
    expect(posts.length).toBe(before + 1);
    expect(posts.at(-1)).toMatchObject({ code: SLIDER_CELL, interact: { 0: { n: 4, colour: 0, loud: true } } });
    expect(await outputText(w.page)).not.toContain('n=3');
    const kept = await w.page.evaluate(() => {
      const k = (window as unknown as { kept: HTMLElement }).kept;
      return { slider: k.classList.contains('cb-ia-slider'), same: k === document.querySelector('.cb-output .cb-ia-slider'), focused: document.activeElement === k, connected: k.isConnected };
    });
    expect(kept).toEqual({ slider: true, same: true, focused: true, connected: true });
    await expect(w.page.locator('.cb-status').textContent()).resolves.toMatch(/^Done in/);
  });

  it('runs again when the slider is set as a fill would (the input event), and on a menu and a checkbox', async () => {
    await w.page.getByRole('slider', { name: 'n' }).fill('12');
    await shows(w.page, 'n=12 colour=red loud=True');
    await w.page.getByLabel('colour').selectOption('blue');
    await shows(w.page, 'n=12 colour=blue loud=True');
    await w.page.getByRole('checkbox', { name: 'loud' }).uncheck();
    await shows(w.page, 'n=12 colour=blue loud=False');
    expect(posts.at(-1)!.interact).toEqual({ 0: { n: 12, colour: 2, loud: false } });
  });

  it('keeps a drag in progress: the slider still follows the pointer after a re-run', async () => {
    const slider = w.page.getByRole('slider', { name: 'n' });
    const r = (await slider.boundingBox())!;
    await w.page.mouse.move(r.x + r.width * 0.3, r.y + r.height / 2);
    await w.page.mouse.down();
    const first = await slider.inputValue();
    await shows(w.page, `n=${first} colour=blue`);
    // Still held: the rest of the drag moves the same slider, and runs again.
    await w.page.mouse.move(r.x + r.width - 1, r.y + r.height / 2, { steps: 5 });
    await w.page.mouse.up();
    await shows(w.page, 'n=20 colour=blue');
    expect(await slider.inputValue()).toBe('20');
  });

  it('runs the code that showed the controls until Run; Run after an edit starts afresh with new controls', async () => {
    await w.page.evaluate(() => ((window as unknown as { kept: Element | null }).kept = document.querySelector('.cb-output .cb-ia-slider')));
    const edited = SLIDER_CELL.replace('default=3', 'default=9').replace('print(f"n=', 'print(f"edited n=');
    await setCode(w.page, edited);
    // Not run yet: the slider runs the code it came from.
    await w.page.getByRole('slider', { name: 'n' }).fill('5');
    await shows(w.page, 'n=5 colour=blue loud=False');
    expect(await outputText(w.page)).not.toContain('edited');
    expect(posts.at(-1)!.code).toBe(SLIDER_CELL);
    await w.page.locator('.cm-content').click();
    await w.page.keyboard.press('Shift+Enter');
    await shows(w.page, 'edited n=9 colour=red loud=True');
    expect(posts.at(-1)).toEqual({ code: edited, language: 'python' });
    const fresh = await w.page.evaluate(() => (window as unknown as { kept: Element }).kept !== document.querySelector('.cb-output .cb-ia-slider'));
    expect(fresh).toBe(true);
    expect(await w.page.getByRole('slider', { name: 'n' }).inputValue()).toBe('9');
  });

  it('with auto_update=False runs only when Update is pressed, with every control\'s value', async () => {
    await runFresh(w.page, `@interact(auto_update=False)
def g(a=slider(0, 10, 1, default=1), b=checkbox(False)):
    print(f"a={a} b={b}")`, 'a=1 b=False');
    const before = posts.length;
    await w.page.getByRole('slider', { name: 'a' }).fill('7');
    await w.page.getByRole('checkbox', { name: 'b' }).check();
    await w.page.getByRole('button', { name: 'Update' }).click();
    await shows(w.page, 'a=7 b=True');
    // One run, for the Update: the changes before it ran nothing.
    expect(posts.length).toBe(before + 1);
    expect(posts.at(-1)!.interact).toEqual({ 0: { a: 7, b: true } });
  });

  it('coalesces quick changes: one run at a time, and the last values win, the output never blank', async () => {
    await runFresh(w.page, `import time
@interact
def h(n=slider(0, 50, 1, default=0)):
    time.sleep(1)
    print(f"slow n={n}")`, 'slow n=0');
    // Whether the output ever showed no controls, or nothing at all, while the runs went on.
    await w.page.evaluate(() => {
      const out = document.querySelector('.cb-output')!;
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => seen.push(`${out.querySelector('.cb-interact') ? 'controls' : 'none'}`)).observe(out, { childList: true, subtree: true, characterData: true });
    });
    const before = posts.length;
    await w.page.getByRole('slider', { name: 'n' }).focus();
    for (let i = 0; i < 15; i++) await w.page.keyboard.press('ArrowRight');
    await shows(w.page, 'slow n=15');
    const runs = posts.slice(before);
    // The first press ran at once; the other fourteen came while it slept, and ran as one.
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.length).toBeLessThanOrEqual(3);
    expect(runs.at(-1)!.interact).toEqual({ 0: { n: 15 } });
    const seen = await w.page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((s) => s !== 'controls')).toEqual([]);
    expect(await outputText(w.page)).not.toMatch(/slow n=(?!15)/);
  });

  it('keeps the controls when the function fails, and runs again from them', async () => {
    await runFresh(w.page, `@interact
def q(d=slider(0, 4, 1, default=2)):
    print(f"12/{d} = {12 // d}")`, '12/2 = 6');
    const slider = w.page.getByRole('slider', { name: 'd' });
    await slider.fill('0');
    await w.page.locator('.cb-status', { hasText: 'Error: ZeroDivisionError' }).waitFor({ timeout: 30_000 });
    await w.page.locator('.cb-output .cb-error', { hasText: 'ZeroDivisionError' }).waitFor();
    expect(await outputText(w.page)).not.toContain('12/2 = 6');
    await slider.fill('3');
    await shows(w.page, '12/3 = 4');
    expect(await w.page.locator('.cb-output .cb-error').count()).toBe(0);
  });

  it('stops a run the controls started', async () => {
    await runFresh(w.page, `import time
@interact
def s(n=slider(0, 10, 1, default=0)):
    print(f"start {n}", flush=True)
    if n:
        time.sleep(60)`, 'start 0');
    await w.page.getByRole('slider', { name: 'n' }).fill('1');
    await w.page.locator('.cb-output', { hasText: 'start 1' }).waitFor({ timeout: 30_000 });
    await w.page.locator('.cb-run', { hasText: 'Stop' }).click();
    await w.page.locator('.cb-status', { hasText: 'Error: Interrupted' }).waitFor({ timeout: 20_000 });
    expect(await w.page.getByRole('slider', { name: 'n' }).inputValue()).toBe('1');
    await w.page.getByRole('slider', { name: 'n' }).fill('0');
    await shows(w.page, 'start 0');
  });

  it('lets Run take over from a slow run the controls started: that run stopped, its output gone, the editor\'s code run', async () => {
    await runFresh(w.page, `import time
@interact
def slow(n=slider(0, 10, 1, default=0)):
    print(f"slow {n}", flush=True)
    if n:
        time.sleep(60)
        print(f"woke {n}")`, 'slow 0');
    const ids: string[] = [];
    const created = (r: import('playwright-core').Response) => {
      if (r.request().method() === 'POST' && /\/api\/v1\/cells(\?|$)/.test(r.url())) void r.json().then((b: { id: string }) => ids.push(b.id), () => {});
    };
    w.page.on('response', created);
    try {
      await w.page.getByRole('slider', { name: 'n' }).fill('1');
      // The controls' run is in flight, asleep in the function.
      await w.page.locator('.cb-output', { hasText: 'slow 1' }).waitFor({ timeout: 30_000 });
      await w.page.locator('.cb-run', { hasText: 'Stop' }).waitFor();
      await expect.poll(() => ids.length).toBe(1);
      const firstPosts = posts.length;
      await setCode(w.page, 'print("the edited code")');
      await w.page.keyboard.press('Shift+Enter');
      await shows(w.page, 'the edited code');
      // Run's own run, of the editor's code; the controls' run gone from the output for good.
      expect(posts.slice(firstPosts).map((p) => p.code)).toEqual(['print("the edited code")']);
      expect(await outputText(w.page)).not.toContain('slow');
      await expect.poll(() => ids.length).toBe(2);
      // Stopped at the server, not left asleep to its time limit.
      await expect.poll(async () => ((await get(`${box.url}/api/v1/cells/${ids[0]}`)).body as { status: string }).status, { timeout: 20_000 }).toBe('done');
      expect(await outputText(w.page)).not.toContain('woke');
      expect(await w.page.locator('.cb-status').innerText()).toMatch(/^Done in/);
      expect(w.pageErrors).toEqual([]);
    } finally {
      w.page.off('response', created);
    }
  });

  it('lets Stop cancel the run that waits to take over from the controls\' run: nothing runs, the cell says Stopped', async () => {
    await runFresh(w.page, `import time
@interact
def slow(n=slider(0, 10, 1, default=0)):
    print(f"slow {n}", flush=True)
    if n:
        time.sleep(60)`, 'slow 0');
    await w.page.getByRole('slider', { name: 'n' }).fill('1');
    await w.page.locator('.cb-output', { hasText: 'slow 1' }).waitFor({ timeout: 30_000 });
    await setCode(w.page, 'print("never run")');
    const before = posts.length;
    // Run, and Stop at once: Stop lands while Run waits for the controls' run to be stopped.
    await w.page.evaluate(() => {
      document.querySelector('.cm-content')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', keyCode: 13, shiftKey: true, bubbles: true, cancelable: true }));
      (document.querySelector('.cb-run') as HTMLButtonElement).click();
    });
    await w.page.locator('.cb-status', { hasText: /^(Stopped|Done in|Error)/ }).waitFor({ timeout: 30_000 });
    await w.page.locator('.cb-run', { hasText: /^Run$/ }).waitFor({ timeout: 30_000 });
    expect(await w.page.locator('.cb-status').innerText()).toMatch(/^Stopped/);
    expect(posts.slice(before)).toEqual([]);
    expect(await outputText(w.page)).not.toContain('never run');
  });

  it('keeps an interact id to the first controls a run shows with it: a repeated bundle has controls of its own, which run nothing', async () => {
    // The cell prints, by hand, a bundle with the id of the interact that follows it.
    await runFresh(w.page, `display({'application/vnd.cellbox.interact+json': {'id': '0', 'controls': [{'name': 'n', 'label': 'forged', 'type': 'slider', 'min': 0, 'max': 10, 'step': 1, 'value': 0}]}, 'text/plain': 'forged'}, raw=True)
@interact
def real(n=slider(0, 10, 1, default=3)):
    print(f"real n={n}")`, 'real n=3');
    const forged = w.page.getByRole('slider', { name: 'forged' });
    const second = w.page.getByRole('slider', { name: 'n', exact: true });
    const before = posts.length;
    // The controls shown second with id 0 run nothing, and keep what the reader set.
    await second.fill('7');
    // The first with id 0 run the cell, with their values.
    await forged.fill('4');
    await shows(w.page, 'real n=4');
    expect(posts.slice(before).map((p) => p.interact)).toEqual([{ 0: { n: 4 } }]);
    // The interact's own controls, drawn afresh for the run, show the value it ran with.
    expect(await second.inputValue()).toBe('4');
    // And says so.
    expect(await w.page.locator('.cb-output .cb-ia-note').count()).toBe(1);
    expect(w.pageErrors).toEqual([]);
  });

  it('says so when a box holds more than the server takes, and keeps what was shown', async () => {
    await runFresh(w.page, `@interact
def t(s=input_box('short', type=str)):
    print(f"{len(s)} characters")`, '5 characters');
    const box = w.page.getByRole('textbox', { name: 's' });
    await box.fill('x'.repeat(70_000));
    await box.press('Enter');
    await w.page.locator('.cb-status', { hasText: "The controls' values are too large to send (at most 64 KiB)." }).waitFor({ timeout: 30_000 });
    expect(await outputText(w.page)).toContain('5 characters');
  });

  it('draws every kind of control, labelled, and sends each one\'s value', async () => {
    await runFresh(w.page, `@interact
def every(n=slider(0, 1, 0.1, default=0.3, label='Amount'), k=slider(['low', 'mid', 'high'], default='mid'),
          r=range_slider(0, 10, 1, default=(2, 5)), s=input_box('abc', label='Words', type=str), b=checkbox(True),
          c=selector(['x', 'y', 'z'], buttons=True), col=color_selector('#ff0000'), t=text_control('Just words')):
    print(repr((n, k, tuple(r), s, b, c, col)))`, "(0.3, 'mid', (2, 5), 'abc', True, 'x', '#ff0000')");
    const out = w.page.locator('.cb-output');
    expect(await out.getByRole('slider', { name: 'k' }).getAttribute('aria-valuetext')).toBe('mid');
    await out.getByRole('slider', { name: 'Amount' }).fill('0.7');
    await shows(w.page, '(0.7, ');
    await out.getByRole('slider', { name: 'k' }).fill('2');
    await shows(w.page, "'high', ");
    await out.getByRole('group', { name: 'r' }).getByRole('slider', { name: 'max' }).fill('8');
    await shows(w.page, '(2, 8)');
    await out.getByRole('textbox', { name: 'Words' }).fill('xyz');
    await out.getByRole('textbox', { name: 'Words' }).press('Enter');
    await shows(w.page, "'xyz'");
    await out.getByRole('checkbox', { name: 'b' }).uncheck();
    await shows(w.page, "'xyz', False");
    await out.getByRole('group', { name: 'c' }).getByRole('button', { name: 'z' }).click();
    await shows(w.page, "False, 'z'");
    expect(await out.getByRole('button', { name: 'z' }).getAttribute('aria-pressed')).toBe('true');
    await out.getByLabel('col').fill('#00ff00');
    await shows(w.page, "'#00ff00')");
    expect(await out.textContent()).toContain('Just words');
    expect(posts.at(-1)!.interact).toEqual({ 0: { n: 0.7, k: 2, r: [2, 8], s: 'xyz', b: false, c: 2, col: '#00ff00' } });
    expect(w.pageErrors).toEqual([]);
  });

  it('draws an input grid as a group of boxes named by their place, and runs again when one is committed', async () => {
    await runFresh(w.page, `@interact
def f(A=input_grid(2, 2, default=[[1, 2], [3, 4]], label='Matrix')):
    print("rows", A)`, 'rows [[1, 2], [3, 4]]');
    const grid = w.page.locator('.cb-output').getByRole('group', { name: 'Matrix' });
    expect(await grid.getByRole('textbox').count()).toBe(4);
    const box = grid.getByRole('textbox', { name: 'Matrix row 1 column 2' });
    expect(await box.inputValue()).toBe('2');
    // Typing alone runs nothing; Enter commits the box, as an input box's.
    const before = posts.length;
    await box.fill('7');
    await box.press('Enter');
    await shows(w.page, 'rows [[1, 7], [3, 4]]');
    expect(posts.length).toBe(before + 1);
    expect(posts.at(-1)!.interact).toEqual({ 0: { A: [['1', '7'], ['3', '4']] } });
    // Tab goes on to the next box (row 2 column 1, its text selected), which leaving commits too.
    await box.focus();
    await w.page.keyboard.press('Tab');
    expect(await w.page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Matrix row 2 column 1');
    await w.page.keyboard.type('0');
    await w.page.keyboard.press('Tab');
    await shows(w.page, 'rows [[1, 7], [0, 4]]');
    expect(w.pageErrors).toEqual([]);
  });

  it('draws a range as one track of two thumbs, each a named slider, the lower never past the upper', async () => {
    await runFresh(w.page, '@interact\ndef f(r=range_slider(0, 10, 1, default=(2, 3), label="Span")):\n    print("range", r)', 'range (2, 3)');
    const group = w.page.locator('.cb-output').getByRole('group', { name: 'Span' });
    // Named with the label, so that a list of the page's controls tells one range from another.
    const [lo, hi] = [w.page.getByRole('slider', { name: 'Span min', exact: true }), w.page.getByRole('slider', { name: 'Span max', exact: true })];
    expect(await group.getByRole('slider').count()).toBe(2);
    expect(await lo.getAttribute('aria-valuetext')).toBe('2');
    expect(await hi.getAttribute('aria-valuetext')).toBe('3');
    // Both thumbs on one track: the same box.
    expect(await lo.boundingBox()).toEqual(await hi.boundingBox());
    await lo.focus();
    await w.page.keyboard.press('ArrowRight');
    await shows(w.page, 'range (3, 3)');
    const before = posts.length;
    // At the upper thumb the lower stops: no change, no run.
    await w.page.keyboard.press('ArrowRight');
    expect(await lo.inputValue()).toBe('3');
    expect(posts.length).toBe(before);
    await hi.focus();
    await w.page.keyboard.press('End');
    await shows(w.page, 'range (3, 10)');
    expect(await hi.getAttribute('aria-valuetext')).toBe('10');
    expect(posts.at(-1)!.interact).toEqual({ 0: { r: [3, 10] } });
    // The thumbs take the pointer: the lower one dragged from where it is.
    const box = (await lo.boundingBox())!;
    const x = (v: number) => box.x + 9 + ((box.width - 18) * v) / 10;
    await w.page.mouse.move(x(3), box.y + box.height / 2);
    await w.page.mouse.down();
    await w.page.mouse.move(x(6), box.y + box.height / 2, { steps: 4 });
    await w.page.mouse.up();
    await shows(w.page, 'range (6, 10)');
  });

  it("places the controls around the output by Sage's layout, rows side by side, and the output stays in its place as they move", async () => {
    const code = `@interact(layout={'top': [['a', 'b']], 'bottom': [['c']], 'left': [['d']]})
def f(a=(0, 10), b=(0, 10), c=(0, 10), d=(0, 10)):
    print("sum", a + b + c + d)`;
    await runFresh(w.page, code, 'sum 20');
    const out = w.page.locator('.cb-output');
    const slot = out.locator('.cb-ia-slot');
    expect(await slot.innerText()).toContain('sum 20');
    const where = async (name: string) => (await out.getByRole('slider', { name }).boundingBox())!;
    const [a, b, c, d, printed] = [await where('a'), await where('b'), await where('c'), await where('d'), (await slot.boundingBox())!];
    expect(Math.abs(a.y - b.y)).toBeLessThan(2);
    expect(b.x).toBeGreaterThan(a.x + a.width);
    expect(a.y + a.height).toBeLessThanOrEqual(printed.y);
    expect(c.y).toBeGreaterThanOrEqual(printed.y + printed.height);
    expect(d.x + d.width).toBeLessThanOrEqual(printed.x);
    // Moved: the new output in the slot, the old gone, the controls where they were.
    await out.getByRole('slider', { name: 'c' }).fill('9');
    await shows(w.page, 'sum 24');
    expect(await slot.innerText()).toContain('sum 24');
    expect(await out.innerText()).not.toContain('sum 20');
    expect(posts.at(-1)!.interact).toEqual({ 0: { a: 5, b: 5, c: 9, d: 5 } });
    expect(await where('c')).toEqual(c);
    // A name the interact has not: the cell's error, naming it.
    await runFresh(w.page, code.replace("[['c']]", "[['c', 'zz']]"), "names 'zz'");
    expect(await out.innerText()).toContain("ValueError: interact's layout names 'zz', which is not a control of this interact (its controls: a, b, c, d)");
  });

  it('puts a layout\'s left and right controls above and below the output on a narrow page', async () => {
    const narrow = await openPage(browser, `${box.url}/`, { viewport: { width: 400, height: 800 } });
    await runFresh(narrow.page, `@interact(layout={'left': [['a']], 'right': [['b']]})
def f(a=(0, 10), b=(0, 10)):
    print("both", a, b)`, 'both 5 5');
    const out = narrow.page.locator('.cb-output');
    const [a, b, printed] = [(await out.getByRole('slider', { name: 'a' }).boundingBox())!, (await out.getByRole('slider', { name: 'b' }).boundingBox())!, (await out.locator('.cb-ia-slot').boundingBox())!];
    expect(a.y + a.height).toBeLessThanOrEqual(printed.y);
    expect(b.y).toBeGreaterThanOrEqual(printed.y + printed.height);
    await narrow.context.close();
  });

  it("asks a phone's keyboard not to capitalise or correct what is typed in a box: it is code, an expression", async () => {
    // A phone's keyboard made a typed `sin(x)` into `Sin(x)` (a NameError), and "corrected" names.
    await runFresh(w.page, `@interact
def f(e=input_box('x^2', type=str), notes="a\\nb", A=input_grid(1, 2, default=[[1, 2]])):
    print("got", e)`, 'got x^2');
    const boxes = w.page.locator('.cb-output .cb-ia-input');
    expect(await boxes.count()).toBe(4);
    for (const box of await boxes.all()) {
      expect(await box.evaluate((e) => [e.tagName, e.getAttribute('autocapitalize'), e.getAttribute('autocorrect'), e.getAttribute('spellcheck')]))
        .toEqual([expect.any(String), 'off', 'off', 'false']);
    }
  });

  it('draws a checkbox big enough to tap on a touch screen', async () => {
    // 18 px, under the 24 px a finger needs (WCAG's target size), beside a 44 px Run.
    const { context, page } = await runByTouch(browser, `${box.url}/`, '@interact\ndef f(loud=True):\n    print("loud", loud)', { width: 390, height: 844 });
    await page.locator('.cb-output', { hasText: 'loud True' }).waitFor({ timeout: 30_000 });
    const checkbox = page.locator('.cb-output').getByRole('checkbox', { name: 'loud' });
    const size = (await checkbox.boundingBox())!;
    expect(Math.min(size.width, size.height)).toBeGreaterThanOrEqual(24);
    await checkbox.tap();
    await page.locator('.cb-output', { hasText: 'loud False' }).waitFor({ timeout: 30_000 });
    await context.close();
  });

  it("draws a range's thumbs big enough to take a finger on a touch screen", async () => {
    // 18 px thumbs on a track that itself takes no pointer: a finger 10 px off the middle
    // of one touched nothing.
    const { context, page } = await runByTouch(browser, `${box.url}/`, '@interact\ndef f(r=range_slider(0, 10, 1, default=(0, 10), label="Span")):\n    print("range", r)', { width: 390, height: 844 });
    await page.locator('.cb-output', { hasText: 'range (0, 10)' }).waitFor({ timeout: 30_000 });
    const track = (await page.getByRole('slider', { name: 'Span min', exact: true }).boundingBox())!;
    // The lower thumb sits at the track's left end, the upper at its right: 21 px in from each.
    const touched = (x: number) => page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.getAttribute('aria-label'), [x, track.y + track.height / 2]);
    expect(await touched(track.x + 21)).toBe('min');
    expect(await touched(track.x + track.width - 21)).toBe('max');
    await context.close();
  });

  it('keeps the newlines of a box of several lines: Enter a newline, Ctrl+Enter runs', async () => {
    await runFresh(w.page, '@interact\ndef f(s="one\\ntwo"):\n    print(repr(s))', "'one\\ntwo'");
    const box = w.page.locator('.cb-output').getByRole('textbox', { name: 's' });
    expect(await box.evaluate((e) => e.tagName)).toBe('TEXTAREA');
    expect(await box.inputValue()).toBe('one\ntwo');
    const before = posts.length;
    await box.press('End');
    await box.press('Enter');
    await w.page.keyboard.type('three');
    expect(posts.length).toBe(before);
    await box.press('Control+Enter');
    await shows(w.page, "'one\\ntwo\\nthree'");
    expect(posts.at(-1)!.interact).toEqual({ 0: { s: 'one\ntwo\nthree' } });
    // Leaving the box sends nothing more: Ctrl+Enter sent that text.
    const sent = posts.length;
    await box.blur();
    await w.page.locator('.cb-run', { hasText: /^Run$/ }).waitFor();
    expect(posts.length).toBe(sent);
  });

  it('sends the value of a control named __proto__ or constructor, as of any other', async () => {
    const code = '@interact\ndef f(__proto__=(0, 10), constructor=(0, 4)):\n    print(f"p={__proto__} c={constructor}")';
    await runFresh(w.page, code, 'p=5 c=2');
    await w.page.getByRole('slider', { name: '__proto__' }).fill('8');
    await shows(w.page, 'p=8 c=2');
    expect(posts.at(-1)!.interact).toEqual({ 0: JSON.parse('{"__proto__": 8, "constructor": 2}') });
    expect(await w.page.getByRole('slider', { name: '__proto__' }).inputValue()).toBe('8');
  });

  it('runs again from a box whose text holds half a surrogate pair, which the server refuses as sent', async () => {
    // A Python string may hold a lone surrogate, and the bundle carries it to the page as it is.
    const code = '@interact\ndef f(s="a\\ud800b", n=(0, 10)):\n    print(f"n={n} s={ascii(s)}")';
    await runFresh(w.page, code, "n=5 s='a\\ud800b'");
    await w.page.getByRole('slider', { name: 'n' }).fill('7');
    await shows(w.page, "n=7 s='a\\ufffdb'");
    expect(posts.at(-1)!.interact).toEqual({ 0: { s: 'a\ufffdb', n: 7 } });
    await expect(w.page.locator('.cb-status').textContent()).resolves.toMatch(/^Done in/);
  });
});

describe('interacts in embed.js on another site\'s page', () => {
  let host: HostPages;
  beforeAll(async () => {
    host = await serveHostPages();
    const cellbox = `http://localhost:${box.port}`;
    host.pages.set('/notes', `<!doctype html><html><head><meta charset="utf-8"><title>Notes</title><script src="${cellbox}/embed.js" defer></script></head>
<body><h1>Notes</h1><pre data-cellbox data-autorun id="a">${SLIDER_CELL}</pre><div id="out"></div>
<pre data-cellbox data-autorun data-output="#out" id="b">@interact
def g(m=slider(1, 9, 1, default=2)):
    print(f"m squared is {m * m}")</pre></body></html>`);
  });
  afterAll(async () => host?.close());

  it('draws the controls in the cell\'s shadow root and runs again from them, output placed elsewhere too', async () => {
    const page = await openPage(browser, `${host.url}/notes`);
    const mine: typeof posts = [];
    countPosts(page.page, mine);
    await shows(page.page, 'n=3 colour=red loud=True', '.cellbox-embed:first-of-type');
    const slider = page.page.locator('.cellbox-embed').first().getByRole('slider', { name: 'n' });
    await slider.focus();
    await page.page.keyboard.press('ArrowLeft');
    await shows(page.page, 'n=2 colour=red loud=True', '.cellbox-embed:first-of-type');
    expect(await slider.evaluate((s) => (s.getRootNode() as ShadowRoot).activeElement === s)).toBe(true);
    // The second cell's output sits in the page's #out, with its controls.
    await page.page.locator('#out', { hasText: 'm squared is 4' }).waitFor({ timeout: 30_000 });
    await page.page.locator('#out').getByRole('slider', { name: 'm' }).fill('7');
    await page.page.locator('#out', { hasText: 'm squared is 49' }).waitFor({ timeout: 30_000 });
    expect(mine.at(-1)!.interact).toEqual({ 0: { m: 7 } });
    expect(page.pageErrors).toEqual([]);
    await page.context.close();
  });
});

describe('interacts against a rate limit', () => {
  let limited: Cellbox;
  beforeAll(async () => {
    // Two cells at once, then one every fifteen seconds.
    limited = await startCellbox({ CELLBOX_CELLS_PER_MINUTE: '4', CELLBOX_CELLS_BURST: '2' });
  }, 90_000);
  afterAll(async () => limited?.stop());

  it('says so on a 429, and runs the latest values after the Retry-After', async () => {
    const page = await openPage(browser, `${limited.url}/`);
    const mine: typeof posts = [];
    countPosts(page.page, mine);
    await runFresh(page.page, SLIDER_CELL, 'n=3 colour=red');
    const slider = page.page.getByRole('slider', { name: 'n' });
    await slider.fill('4');
    await shows(page.page, 'n=4 colour=red');
    await slider.fill('5');
    await page.page.locator('.cb-status', { hasText: /Too many runs .*; the controls' latest values run in \d+ s\./ }).waitFor({ timeout: 10_000 });
    // The wait counts down in the status line; its ticks are not read out (the live region off).
    const left = async () => Number((await page.page.locator('.cb-status').textContent())!.match(/run in (\d+) s\./)![1]);
    const first = await left();
    expect(first).toBeGreaterThan(1);
    await page.page.waitForFunction((n) => /run in (\d+) s\./.exec(document.querySelector('.cb-status')!.textContent!)?.[1] === String(n - 1), first, { timeout: 10_000 });
    expect(await page.page.locator('.cb-status-words').getAttribute('aria-live')).toBe('off');
    // Shown as it was until then; moved again meanwhile, the newest value is the one that runs.
    expect(await outputText(page.page)).toContain('n=4 colour=red');
    await slider.fill('6');
    await shows(page.page, 'n=6 colour=red');
    expect(await page.page.locator('.cb-status-words').getAttribute('aria-live')).toBe('polite');
    expect(mine.at(-1)!.interact).toEqual({ 0: { n: 6, colour: 0, loud: true } });
    expect(mine.filter((p) => p.interact?.[0]?.n === 5)).toHaveLength(1);
    await page.context.close();
  }, 60_000);
});
