// A stream's text in a real browser, as it arrives in many small messages: the page shows it
// by adding what is new once per frame (embed/stream-view.ts), and what it shows must be what
// rendering the whole text at once shows, colours and all: a colour opened in one message and
// closed in a later one, an escape sequence cut in two, `\r` progress bars and backspace
// spinners, the middle of a huge text cut, clear_output(wait=True), and the box's scrolling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, type Watched } from '../helpers/browser';
import { serveHostPages, type HostPages } from '../helpers/host-pages';
import { applyBackspaces, applyCarriageReturns, truncateMiddle } from '../../embed/render';
import { newAnsi } from '../../embed/stream-view';

let box: Cellbox;
let browser: Browser;
let host: HostPages;

const CELLS: Record<string, string> = {
  // Each piece flushed on its own; the pauses let the server send them as separate messages.
  colours: `import sys, time
w, f = sys.stdout.write, sys.stdout.flush
for i in range(40):
    w(f"\\x1b[3{i % 7 + 1}m"); f()
    w(f"line {i} <&> "); f()
    time.sleep(0.02)
    w("\\x1b[1"); f()
    time.sleep(0.02)
    w(f"mbold {i}\\x1b[0"); f()
    time.sleep(0.02)
    w("m plain\\n" if i % 3 else "m and on "); f()
# The text so far ends inside an escape sequence, shown before the rest comes.
w("\\x1b[3"); f()
time.sleep(0.1)
w("2mgreen at the end\\x1b[0m\\n")`,
  progress: `import sys, time
w, f = sys.stdout.write, sys.stdout.flush
w("working  "); f()
for i in range(24):
    w("\\b" + "|/-\\\\"[i % 4]); f()
    if i % 3 == 0: time.sleep(0.02)
w("\\n"); f()
for i in range(101):
    w(f"\\r\\x1b[32m{i:3d}%\\x1b[0m [" + "#" * (i // 5) + " " * (20 - i // 5) + "]"); f()
    if i % 4 == 0: time.sleep(0.02)
w("\\r"); f()
time.sleep(0.03)
w("\\ndone\\n")`,
  // Some 370,000 characters, each line in a colour of its own: the cut falls inside lines.
  huge: `for i in range(9000):
    print(f"\\x1b[3{i % 7 + 1}mline {i:05d} " + "x" * 20 + "\\x1b[0m")`,
  cleared: `import time
from IPython.display import clear_output
for i in range(25):
    clear_output(wait=True)
    print(f"\\x1b[3{i % 7 + 1}mstep {i}\\x1b[0m", flush=True)
    time.sleep(0.03)`,
  // Its value's text opens a colour and never closes it: the outputs after it start in the
  // default colours, as in Jupyter.
  unclosed: `from IPython.display import display
class Red:
    def __repr__(self):
        return "\\x1b[31mred"
print("\\x1b[32mgreen stream")
display(Red())
display("plain")
raise ValueError("after")`,
  scrolled: `import time
for i in range(60):
    print(f"line {i}")
time.sleep(2.5)
for i in range(60, 200):
    print(f"line {i}", flush=True)
    time.sleep(0.01)`,
};

type Run = [style: string, text: string];

/** ansi_up's HTML as runs of text by their class and style: its spans never nest. */
function runsOf(html: string): Run[] {
  const runs: Run[] = [];
  const unescape = (s: string) => s.replace(/&(amp|lt|gt|quot|#x27);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#x27': "'" })[e]!);
  for (const m of html.matchAll(/<span(?: style="([^"]*)")?(?: class="([^"]*)")?>([^<]*)<\/span>|<a href="[^"]*">([^<]*)<\/a>|([^<]+)/g)) {
    const styled = m[3] !== undefined;
    runs.push([styled ? `${m[2] ?? ''}|${m[1] ?? ''}` : '|', unescape(m[3] ?? m[4] ?? m[5] ?? '')]);
  }
  return runs;
}

function merged(runs: Run[]): Run[] {
  const out: Run[] = [];
  for (const [style, text] of runs) {
    if (!text) continue;
    const last = out[out.length - 1];
    if (last && last[0] === style) last[1] += text;
    else out.push([style, text]);
  }
  return out;
}

/**
 * What the block must show for the whole raw text: `\b` and `\r` applied, the middle cut past
 * `max` characters, each side coloured as the whole text colours it there.
 */
function expected(raw: string, max = 200_000): Run[] {
  const text = applyCarriageReturns(applyBackspaces(raw));
  const { cut, headEnd } = truncateMiddle(text, max);
  if (!cut) return merged(runsOf(newAnsi().ansi_to_html(text)));
  const tailStart = text.length - (max - headEnd);
  const before = newAnsi();
  before.ansi_to_html(text.slice(0, tailStart));
  return merged([
    ...runsOf(newAnsi().ansi_to_html(text.slice(0, headEnd))),
    ['cb-truncated|', `\n… ${cut.toLocaleString('en')} characters not shown …\n`],
    ...runsOf(before.ansi_to_html(text.slice(tailStart))),
  ]);
}

/**
 * The runs a <pre> shows: each text by the class and style of the span nearest around it that
 * has them (the boxes the text is laid out in, .cb-part, style nothing).
 */
const shownRuns = (pre: Element): Run[] => {
  const runs: Run[] = [];
  const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
  const styling = (e: Element) => e.hasAttribute('style') || !['', 'cb-part'].includes(e.getAttribute('class') ?? '');
  for (let n = walker.nextNode() as Text | null; n; n = walker.nextNode() as Text | null) {
    let e = n.parentElement!;
    while (e !== pre && !styling(e)) e = e.parentElement!;
    const style = e === pre ? '|' : `${e.getAttribute('class') ?? ''}|${e.getAttribute('style') ?? ''}`;
    const last = runs[runs.length - 1];
    if (!n.data) continue;
    if (last && last[0] === style) last[1] += n.data;
    else runs.push([style, n.data]);
  }
  return runs;
};

/** The block's height and text as read, and those of the same text as one run in a copy of the block. */
const asOneRun = (pre: Element) => {
  const flat = pre.cloneNode(false) as HTMLElement;
  flat.innerHTML = pre.innerHTML.replace(/<span class="cb-part">|<span class="">/g, '<span>');
  pre.after(flat);
  const got = { height: [pre.scrollHeight, flat.scrollHeight], innerText: [(pre as HTMLElement).innerText, flat.innerText] };
  flat.remove();
  return got;
};

const cell = (page: Page, id: string) => page.locator(`.cellbox-embed:has(+ #${id})`);

/** Runs a cell, collecting the stream text of every message it gets, and waits for its end. */
async function run(w: Watched, id: string): Promise<{ raw: string; messages: number }> {
  await w.page.evaluate((id) => {
    const got = { raw: '', messages: 0 };
    (window as unknown as Record<string, unknown>)[`__${id}`] = got;
    document.querySelector(`#${id}`)!.previousElementSibling!.addEventListener('cellbox:output', (e) => {
      const m = (e as CustomEvent).detail.message;
      if (m.header.msg_type === 'stream') {
        got.raw += m.content.text;
        got.messages++;
      }
      // After clear_output only what comes next is shown: the expected text starts again.
      if (m.header.msg_type === 'clear_output') got.raw = '';
    });
  }, id);
  await cell(w.page, id).locator('.cb-run').click();
  await cell(w.page, id).locator('.cb-status', { hasText: /Done in|Error/ }).waitFor({ timeout: 60_000 });
  return w.page.evaluate((id) => (window as unknown as Record<string, { raw: string; messages: number }>)[`__${id}`]!, id);
}

let w: Watched;

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox());
  host = await serveHostPages();
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  host.pages.set('/', `<!doctype html><meta charset="utf-8"><script src="http://localhost:${box.port}/embed.js" defer></script>
<body>${Object.entries(CELLS).map(([id, code]) => `<pre data-cellbox id="${id}">${escape(code)}</pre>`).join('\n')}`);
  w = await openPage(browser, `${host.url}/`);
  await w.page.locator('.cellbox-embed').first().waitFor();
});

afterAll(async () => {
  await browser?.close();
  await box?.stop();
  await host?.close();
});

describe('stream text in many small messages', () => {
  it('keeps colours opened in one message and closed in a later one, and escape sequences cut in two', async () => {
    const { raw, messages } = await run(w, 'colours');
    // Else this would not test what it says: the pieces came apart.
    expect(messages).toBeGreaterThan(20);
    const pre = cell(w.page, 'colours').locator('pre.cb-stream');
    expect(await pre.count()).toBe(1);
    const shown = await pre.evaluate(shownRuns);
    expect(shown).toEqual(expected(raw));
    expect(shown.some(([style, text]) => style === 'ansi-blue-fg|font-weight:bold' && text.startsWith('bold'))).toBe(true);
    expect(shown[shown.length - 1]).toEqual(['|', '\n']);
    expect(shown[shown.length - 2]).toEqual(['ansi-green-fg|', 'green at the end']);
    expect(await pre.textContent()).not.toContain('[');
    // Laid out in boxes of their own, the lines look and read as one run of text does.
    const flat = await pre.evaluate(asOneRun);
    expect(flat.height[0]).toBe(flat.height[1]);
    expect(flat.innerText[0]).toBe(flat.innerText[1]);
  });

  it('starts each output block in the default colours, whatever colour the one before left open', async () => {
    await run(w, 'unclosed');
    const plain = cell(w.page, 'unclosed').locator('pre.cb-plain');
    expect(await plain.count()).toBe(2);
    expect(await plain.nth(0).evaluate(shownRuns)).toEqual([['ansi-red-fg|', 'red']]);
    expect(await plain.nth(1).evaluate(shownRuns)).toEqual([['|', "'plain'"]]);
    // The stream keeps its own colour, and lends it to no block after it.
    expect(await cell(w.page, 'unclosed').locator('pre.cb-stream').evaluate(shownRuns)).toEqual([['ansi-green-fg|', 'green stream\n']]);
    const error = await cell(w.page, 'unclosed').locator('pre.cb-error').evaluate(shownRuns);
    const last = error.filter(([, text]) => text.includes('after'));
    expect(last.length).toBeGreaterThan(0);
    for (const [style] of last) expect(style).not.toMatch(/ansi-red-fg/);
  });

  it('shows a \\r progress bar and a backspace spinner as a terminal does', async () => {
    const { raw, messages } = await run(w, 'progress');
    expect(messages).toBeGreaterThan(10);
    const pre = cell(w.page, 'progress').locator('pre.cb-stream');
    expect(await pre.evaluate(shownRuns)).toEqual(expected(raw));
    expect(await pre.textContent()).toBe('working \\\n100% [####################]\ndone\n');
    const flat = await pre.evaluate(asOneRun);
    expect(flat.height[0]).toBe(flat.height[1]);
    expect(flat.innerText[0]).toBe(flat.innerText[1]);
  });

  it('cuts the middle of a huge text, each side in the colours the whole text has there', async () => {
    const { raw } = await run(w, 'huge');
    expect(raw.length).toBeGreaterThan(300_000);
    const pre = cell(w.page, 'huge').locator('pre.cb-stream');
    const want = expected(raw);
    expect(await pre.evaluate(shownRuns)).toEqual(want);
    expect(await pre.locator('.cb-truncated').count()).toBe(1);
    expect(await pre.textContent()).toMatch(/line 08999 x{20}\n$/);
    const flat = await pre.evaluate(asOneRun);
    expect(flat.height[0]).toBe(flat.height[1]);
    expect(flat.innerText[0]).toBe(flat.innerText[1]);
    // On paper one run of text again, which a page break may cut anywhere: a box of 4,000
    // characters, some 160 lines, went whole to the next page, or was cut off there.
    await w.page.emulateMedia({ media: 'print' });
    const printed = await pre.evaluate((p) => [...p.querySelectorAll('.cb-part')].map((e) => getComputedStyle(e).display));
    expect(printed.length).toBeGreaterThan(1);
    expect(new Set(printed)).toEqual(new Set(['inline']));
    await w.page.emulateMedia({ media: 'screen' });
  });

  it('clear_output(wait=True) leaves only what came after the last clear', async () => {
    const { raw } = await run(w, 'cleared');
    const out = cell(w.page, 'cleared').locator('.cb-output');
    expect(await out.locator('pre').count()).toBe(1);
    expect(await out.locator('pre.cb-stream').evaluate(shownRuns)).toEqual(expected(raw));
    expect(await out.textContent()).toBe('step 24\n');
  });

  it('keeps the end of a growing text in view, unless the reader scrolled up', async () => {
    await cell(w.page, 'scrolled').locator('.cb-run').click();
    const pre = cell(w.page, 'scrolled').locator('pre.cb-stream');
    await pre.filter({ hasText: 'line 59' }).waitFor();
    const box = () => pre.evaluate((p) => ({ top: p.scrollTop, bottom: p.scrollHeight - p.scrollTop - p.clientHeight, tabIndex: p.tabIndex, text: p.textContent }));
    const first = await box();
    // 60 lines overflow the 600 px box: its end is what shows, and Tab reaches it to scroll.
    expect(first.bottom).toBeLessThan(4);
    expect(first.top).toBeGreaterThan(0);
    expect(first.tabIndex).toBe(0);
    // The reader scrolls up to read while the cell goes on printing.
    await pre.hover();
    await w.page.mouse.wheel(0, -200);
    // Where the wheel left it, once it stopped moving.
    let readAt = first.top;
    await expect.poll(async () => {
      const was = readAt;
      readAt = (await box()).top;
      return readAt < first.top && readAt === was;
    }).toBe(true);
    await cell(w.page, 'scrolled').locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
    const last = await box();
    expect(last.text).toContain('line 199\n');
    expect(last.top).toBe(readAt);
    expect(last.bottom).toBeGreaterThan(1000);
  });
});
