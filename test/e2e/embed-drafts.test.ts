// A student's edits in an embedded cell survive a reload, in a real browser on a host page of
// another origin (embed/drafts.ts): the draft comes back marked as the student's, with a button
// back to the teacher's code that forgets it; a cell whose code the teacher changed shows the
// new code; two cells, even with the same code, never share a draft, nor does a cell inserted
// above move drafts onto other cells; storage that throws leaves the cell working; a page opts out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, setCode } from '../helpers/browser';
import { serveHostPages, type HostPages } from '../helpers/host-pages';

let box: Cellbox;
let browser: Browser;
let host: HostPages;
let script: string;

function notes(body: string, head = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Notes</title>${script}${head}</head><body><h1>Notes</h1>${body}</body></html>`;
}

/** A week of notes: a cell with an id, a cell without, and two cells with the same code and no id. */
const WEEK = [
  '<pre data-cellbox id="a">print("teacher a")</pre>',
  '<pre data-cellbox class="b">print("teacher b")</pre>',
  '<pre data-cellbox class="same">x = 1</pre>',
  '<pre data-cellbox class="same">x = 1</pre>',
];

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox({ CELLBOX_CELLS_PER_MINUTE: '0' }));
  host = await serveHostPages();
  script = `<script src="http://localhost:${box.port}/embed.js" defer></script>`;
  host.pages.set('/week', notes(WEEK.join('\n')));
  host.pages.set('/exam', notes('<pre data-cellbox data-drafts="false" id="q">print("question")</pre><pre data-cellbox data-readonly id="r">print("read only")</pre>'));
  host.pages.set('/exam-config', notes('<pre data-cellbox id="q">print("question")</pre>', '<script type="application/json" data-cellbox-config>{"drafts": false}</script>'));
  // SageMathCell's markup and call: its cells keep drafts as any; the page-wide block turns them off.
  const sagecell = `<div class="compute"><script type="text/x-sage">print("sage teacher")</script></div>
    <script>document.addEventListener('DOMContentLoaded', () => sagecell.makeSagecell({ inputLocation: 'div.compute', languages: ['python'] }));</script>`;
  host.pages.set('/sagecell', notes(sagecell));
  host.pages.set('/sagecell-exam', notes(sagecell, '<script type="application/json" data-cellbox-config>{"drafts": false}</script>'));
  host.pages.set('/autorun', notes('<pre data-cellbox data-autorun id="auto">print("teacher ran")</pre><output>teacher ran</output>'));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await box?.stop();
  await host?.close();
});

/** The cell of the markup that `selector` (an #id or .class, and which of them) finds. */
const CELL = (id: string) => `.cellbox-embed:has(+ ${id})`;
const cell = (p: Page, id: string, nth = 0) => p.locator(CELL(id)).nth(nth);
const codeOf = (p: Page, id: string, nth = 0) => cell(p, id, nth).locator('.cm-content').innerText();
const drafts = (p: Page) => p.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('cellbox:embed-draft:')));

async function ready(p: Page, selector: string, count = 1): Promise<void> {
  await expect.poll(() => p.locator(`${CELL(selector)} .cm-content`).count(), { timeout: 30_000 }).toBe(count);
}

describe('drafts of embedded cells', () => {
  it('keeps an edit across a reload, marked as the student\'s; Original code goes back and forgets it', async () => {
    const w = await openPage(browser, `${host.url}/week#part-2`);
    await ready(w.page, '.same', 2);
    // Untouched: nothing kept, nothing marked.
    expect(await cell(w.page, '#a').locator('.cb-draft-note').isVisible()).toBe(false);
    expect(await drafts(w.page)).toEqual([]);

    await setCode(w.page, 'print("student a")', CELL('#a'));
    await setCode(w.page, 'x = 2', `${CELL('.same')} >> nth=1 >>`);
    // The note appears as the student edits, not only after a reload.
    await cell(w.page, '#a').locator('.cb-draft-note').waitFor();
    await w.page.reload();
    await ready(w.page, '.same', 2);

    expect(await codeOf(w.page, '#a')).toBe('print("student a")');
    expect(await codeOf(w.page, '.b')).toBe('print("teacher b")');
    // Two cells with the same code: the second's draft stays the second's.
    expect(await codeOf(w.page, '.same', 0)).toBe('x = 1');
    expect(await codeOf(w.page, '.same', 1)).toBe('x = 2');
    const note = cell(w.page, '#a').locator('.cb-draft-note');
    expect(await note.isVisible()).toBe(true);
    expect(await note.getByRole('status').innerText()).toBe('Your edit of this code, kept in this browser.');
    expect(await cell(w.page, '.b').locator('.cb-draft-note').isVisible()).toBe(false);
    expect(await cell(w.page, '.same', 0).locator('.cb-draft-note').isVisible()).toBe(false);
    expect(await drafts(w.page)).toHaveLength(2);
    // On paper: the note says whose code is printed, without its button.
    await w.page.emulateMedia({ media: 'print' });
    expect(await note.isVisible()).toBe(true);
    expect(await note.getByRole('button').isVisible()).toBe(false);
    await w.page.emulateMedia({ media: 'screen' });

    // What runs is what is shown.
    await cell(w.page, '#a').locator('.cb-run').click();
    await cell(w.page, '#a').locator('.cb-output', { hasText: 'student a' }).waitFor({ timeout: 30_000 });

    // The way back: a real button, named.
    await cell(w.page, '#a').getByRole('button', { name: 'Original code' }).click();
    expect(await codeOf(w.page, '#a')).toBe('print("teacher a")');
    expect(await note.isVisible()).toBe(false);
    expect(await drafts(w.page)).toHaveLength(1);
    await w.page.reload();
    await ready(w.page, '.same', 2);
    expect(await codeOf(w.page, '#a')).toBe('print("teacher a")');
    expect(await codeOf(w.page, '.same', 1)).toBe('x = 2');
    // Typing the teacher's code back by hand forgets the draft too.
    await setCode(w.page, 'x = 1', `${CELL('.same')} >> nth=1 >>`);
    await expect.poll(() => drafts(w.page)).toEqual([]);
    expect(w.pageErrors).toEqual([]);
    await w.context.close();
  });

  it('does not bring an old draft back over code the teacher changed, nor move drafts when a cell is inserted above', async () => {
    host.pages.set('/changing', notes(WEEK.join('\n')));
    const w = await openPage(browser, `${host.url}/changing`);
    await ready(w.page, '.same', 2);
    await setCode(w.page, 'print("student a")', CELL('#a'));
    await setCode(w.page, 'print("student b")', CELL('.b'));
    await cell(w.page, '.b').locator('.cb-draft-note').waitFor();

    // The teacher rewrites cell a, and inserts a cell above cell b.
    host.pages.set('/changing', notes([
      '<pre data-cellbox id="a">print("teacher a, corrected")</pre>',
      '<pre data-cellbox class="new">print("a new example")</pre>',
      ...WEEK.slice(1),
    ].join('\n')));
    await w.page.reload();
    await ready(w.page, '.same', 2);
    expect(await codeOf(w.page, '#a')).toBe('print("teacher a, corrected")');
    expect(await cell(w.page, '#a').locator('.cb-draft-note').isVisible()).toBe(false);
    expect(await codeOf(w.page, '.new')).toBe('print("a new example")');
    expect(await codeOf(w.page, '.b')).toBe('print("student b")');
    expect(await cell(w.page, '.b').locator('.cb-draft-note').isVisible()).toBe(true);
    await w.context.close();
  });

  it('runs the draft an autorun cell shows, not the teacher\'s code, and does not show the teacher\'s output under it', async () => {
    const w = await openPage(browser, `${host.url}/autorun`);
    await cell(w.page, '#auto').locator('.cb-output', { hasText: 'teacher ran' }).waitFor({ timeout: 30_000 });
    await setCode(w.page, 'print("student ran")', CELL('#auto'));
    await cell(w.page, '#auto').locator('.cb-draft-note').waitFor();
    await w.page.reload();
    await cell(w.page, '#auto').locator('.cb-output', { hasText: 'student ran' }).waitFor({ timeout: 30_000 });
    expect(await cell(w.page, '#auto').locator('.cb-output').innerText()).not.toContain('teacher ran');
    await w.context.close();
  });

  it('works on when storage throws: refused outright (a sandboxed frame) or on every write (full)', async () => {
    for (const refusal of [
      "Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('The document is sandboxed', 'SecurityError'); } });",
      "for (const m of ['setItem', 'getItem', 'removeItem', 'key']) Storage.prototype[m] = function () { throw new DOMException('full', 'QuotaExceededError'); };",
    ]) {
      const w = await openPage(browser, 'about:blank');
      await w.context.addInitScript(refusal);
      await w.page.goto(`${host.url}/week`);
      await ready(w.page, '.same', 2);
      await setCode(w.page, 'print("edited without storage")', CELL('#a'));
      await cell(w.page, '#a').locator('.cb-run').click();
      await cell(w.page, '#a').locator('.cb-output', { hasText: 'edited without storage' }).waitFor({ timeout: 30_000 });
      // Nothing is kept, so nothing claims to be: the bar's Reset is the way back, as ever.
      expect(await cell(w.page, '#a').locator('.cb-draft-note').isVisible()).toBe(false);
      await cell(w.page, '#a').locator('.cb-reset').click();
      expect(await codeOf(w.page, '#a')).toBe('print("teacher a")');
      expect(w.pageErrors).toEqual([]);
      await w.context.close();
    }
  });

  it('keeps nothing for a cell or a page that opts out', async () => {
    for (const path of ['/exam', '/exam-config']) {
      const w = await openPage(browser, `${host.url}${path}`);
      await ready(w.page, '#q');
      await setCode(w.page, 'print("my answer")', CELL('#q'));
      expect(await cell(w.page, '#q').locator('.cb-reset').isVisible()).toBe(true);
      expect(await cell(w.page, '#q').locator('.cb-draft-note').isVisible()).toBe(false);
      await w.page.reload();
      await ready(w.page, '#q');
      expect(await codeOf(w.page, '#q')).toBe('print("question")');
      expect(await drafts(w.page)).toEqual([]);
      await w.context.close();
    }
  });

  it('keeps the drafts of makeSagecell() cells, unless the page-wide block turns them off', async () => {
    for (const [path, kept] of [['/sagecell', true], ['/sagecell-exam', false]] as const) {
      const w = await openPage(browser, `${host.url}${path}`);
      await w.page.locator('.compute .cm-content').waitFor({ timeout: 30_000 });
      await setCode(w.page, 'print("sage student")', '.compute');
      await w.page.reload();
      await w.page.locator('.compute .cm-content').waitFor({ timeout: 30_000 });
      expect(await w.page.locator('.compute .cm-content').innerText()).toBe(kept ? 'print("sage student")' : 'print("sage teacher")');
      expect(await w.page.locator('.compute .cb-draft-note').isVisible()).toBe(kept);
      expect(w.pageErrors).toEqual([]);
      await w.context.close();
    }
  });

  it('keeps at most 50 drafts per origin, dropping the oldest', async () => {
    const w = await openPage(browser, `${host.url}/week`);
    await ready(w.page, '.same', 2);
    await w.page.evaluate(() => {
      // Older than the one saved next, and young enough to be kept for their age.
      const start = Date.now() - 60_000;
      for (let i = 0; i < 50; i++) localStorage.setItem(`cellbox:embed-draft:old ${i}`, JSON.stringify({ code: 'x', language: 'python', saved: start + i }));
      localStorage.setItem('the page\'s own', 'kept');
    });
    await setCode(w.page, 'print("newest")', CELL('#a'));
    await expect.poll(() => w.page.evaluate(() => localStorage.getItem('cellbox:embed-draft:old 0'))).toBe(null);
    expect(await drafts(w.page)).toHaveLength(50);
    expect(await w.page.evaluate(() => localStorage.getItem('cellbox:embed-draft:old 1'))).not.toBe(null);
    expect(await w.page.evaluate(() => localStorage.getItem('the page\'s own'))).toBe('kept');
    await w.page.reload();
    await ready(w.page, '.same', 2);
    expect(await codeOf(w.page, '#a')).toBe('print("newest")');
    await w.context.close();
  });

  it('forgets a draft not used for 120 days, and keeps one in use', async () => {
    const DAY = 24 * 60 * 60 * 1000;
    const w = await openPage(browser, `${host.url}/week`);
    await ready(w.page, '.same', 2);
    await setCode(w.page, 'print("last term")', CELL('#a'));
    await setCode(w.page, 'print("this term")', CELL('.b'));
    await expect.poll(() => drafts(w.page).then((d) => d.length)).toBe(2);
    // As if the student edited #a 121 days ago and .b 119 days ago; and a draft of another page.
    await w.page.evaluate((day) => {
      for (const key of Object.keys(localStorage).filter((k) => k.startsWith('cellbox:embed-draft:'))) {
        const d = JSON.parse(localStorage.getItem(key)!) as { code: string; saved: number };
        localStorage.setItem(key, JSON.stringify({ ...d, saved: Date.now() - (d.code.includes('last') ? 121 : 119) * day }));
      }
      localStorage.setItem('cellbox:embed-draft:another page', JSON.stringify({ code: 'x', language: 'python', saved: Date.now() - 200 * day }));
    }, DAY);
    await w.page.reload();
    await ready(w.page, '.same', 2);
    expect(await codeOf(w.page, '#a')).toBe('print("teacher a")');
    expect(await cell(w.page, '#a').locator('.cb-draft-note').isVisible()).toBe(false);
    expect(await codeOf(w.page, '.b')).toBe('print("this term")');
    const left = await w.page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('cellbox:embed-draft:')).map((k) => JSON.parse(localStorage.getItem(k)!) as { code: string; saved: number }));
    expect(left.map((d) => d.code)).toEqual(['print("this term")']);
    // Shown again, it is kept another 120 days from now.
    expect(Date.now() - left[0].saved).toBeLessThan(DAY);
    await w.context.close();
  });
});
