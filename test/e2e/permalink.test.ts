// Links in a real browser (Debian's Chromium) against the real server and device: / opened
// from ?z= and #z= links made by Python, a bad link's notice, and the permalink page /s/:id
// (not run until asked, ?autorun=1, the edited note, Raw and Download).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { WELCOME } from '../../app/link-code';
import { post, startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, screenshot, setCode, type Watched } from '../helpers/browser';
import { pythonZ } from '../helpers/python-link';

let box: Cellbox;
let browser: Browser;
const opened: Watched[] = [];

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox());
});

afterAll(async () => {
  const errors = opened.flatMap((w) => w.pageErrors);
  const offMachine = opened.flatMap((w) => w.offMachine);
  await browser?.close();
  await box?.stop();
  expect(errors).toEqual([]);
  expect(offMachine).toEqual([]);
});

async function open(path: string): Promise<Watched> {
  const w = await openPage(browser, `${box.url}${path}`);
  opened.push(w);
  await w.page.locator('.cm-content').waitFor();
  return w;
}

/** The editor's code, line by line (CodeMirror draws each line as its own element). */
async function editorCode(page: Page): Promise<string> {
  return page.locator('.cm-content .cm-line').evaluateAll((lines) => lines.map((l) => l.textContent).join('\n'));
}

async function share(code: string, language: string, title?: string): Promise<string> {
  const r = await post(`${box.url}/api/v1/snippets`, { code, language, ...(title ? { title } : {}) });
  expect(r.status).toBeLessThan(300);
  return r.body.id;
}

describe('the page at / from a link made by Python', () => {
  const code = 'import math\nprint("from a link: ünïcødé", math.tau)';

  it('?z= opens with its code and language, and runs it', async () => {
    const w = await open(`/?z=${pythonZ(code)}&lang=python`);
    expect(await editorCode(w.page)).toBe(code);
    expect(await w.page.locator('.cb-lang').inputValue()).toBe('python');
    expect(await w.page.locator('.notice').count()).toBe(0);
    await w.page.locator('.cb-run').click();
    await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
    expect(await w.page.locator('.cb-output').textContent()).toContain('from a link: ünïcødé 6.28');
    await w.context.close();
  });

  it("?c= opens with its code as it is, SageMathCell's plain link; too long, or ?q= (SageMathCell's stored code), the usual code and a notice", async () => {
    // It opened the welcome code, the link's own ignored.
    const w = await open(`/?c=${encodeURIComponent(code)}&lang=python`);
    expect(await editorCode(w.page)).toBe(code);
    expect(await w.page.locator('.cb-lang').inputValue()).toBe('python');
    expect(await w.page.locator('.notice').count()).toBe(0);
    await w.context.close();
    const long = await open(`/?c=${'x'.repeat(65537)}&lang=python`);
    expect(await editorCode(long.page)).toBe(WELCOME);
    expect(await long.page.locator('.notice').textContent()).toContain('over 65536 bytes');
    await long.context.close();
    // SageMathCell's ?q= names code kept there: said, not an empty cell as if the link had none.
    const sagecell = await open('/?q=3f1b2c4d-aaaa-bbbb-cccc-0123456789ab&lang=python');
    expect(await sagecell.page.locator('.notice').textContent()).toMatch(/^This link names a SageMathCell permalink \(q=…\)/);
    await sagecell.context.close();
  });

  it('#z= opens with its code and language (the hash never reaches the server)', async () => {
    const bash = 'echo "hello from the hash"\nseq 3';
    const w = await open(`/#z=${pythonZ(bash)}&lang=bash`);
    await expect.poll(() => editorCode(w.page)).toBe(bash);
    expect(await w.page.locator('.cb-lang').inputValue()).toBe('bash');
    // Another link in the same tab replaces the cell.
    await w.page.evaluate((z) => (window.location.hash = `z=${z}&lang=python`), pythonZ(code));
    await expect.poll(() => editorCode(w.page)).toBe(code);
    expect(await w.page.locator('.cb-cell').count()).toBe(1);
    await w.context.close();
  });

  it('a bad link shows a clear message and the usual code, from ?z= and from #z=', async () => {
    for (const path of ['/?z=eJxLT&lang=python', `/#z=${pythonZ(code).slice(0, 12)}`]) {
      const w = await open(path);
      const notice = w.page.locator('.notice');
      await notice.waitFor();
      expect(await notice.textContent()).toMatch(/^This link's code could not be read: .+\. The usual starting code is shown instead\.$/);
      await expect.poll(() => editorCode(w.page)).toBe(WELCOME);
      if (path.startsWith('/?')) await screenshot(w.page, 'link-bad');
      await w.context.close();
    }
  });

  it('an unknown language falls back to Python with a note', async () => {
    const w = await open(`/?z=${pythonZ('1 + 1')}&lang=sage`);
    expect(await w.page.locator('.notice').textContent()).toContain('asks for the language "sage"');
    expect(await editorCode(w.page)).toBe('1 + 1');
    expect(await w.page.locator('.cb-lang').inputValue()).toBe('python');
    await w.context.close();
  });
});

describe('the permalink page /s/:id', () => {
  const code = 'print("shared and run")\n6 * 7';

  it('shows the snippet with its title and language, not run', async () => {
    const id = await share(code, 'python', 'The answer');
    const w = await openPage(browser, `${box.url}/s/${id}`);
    opened.push(w);
    const cells: string[] = [];
    w.page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/api/v1/cells')) cells.push(r.url());
    });
    await w.page.locator('.cm-content').waitFor();
    expect(await w.page.title()).toBe('The answer · Cellbox');
    expect(await w.page.locator('h1').textContent()).toBe('The answer');
    expect(await w.page.locator('.snippet-meta').textContent()).toContain('Python 3');
    expect(await editorCode(w.page)).toBe(code);
    await w.page.waitForTimeout(1000);
    expect(cells).toEqual([]);
    expect(await w.page.locator('.cb-output').textContent()).toBe('');
    expect(await w.page.locator('.cb-run').textContent()).toBe('Run');
    await screenshot(w.page, 'permalink');
    await w.context.close();
  });

  it('?autorun=1 runs it at once, once, and shows the output', async () => {
    // Untitled: the titled share of the same code above would name it.
    const id = await share(`# autorun\n${code}`, 'python');
    const w = await openPage(browser, 'about:blank');
    opened.push(w);
    // Counts the cells mounted and run: a page that mounted its cell again after rendering
    // threw away the first one, and a Run pressed on it, and ran ?autorun=1 code twice.
    await w.page.addInitScript(() => {
      const seen = { mounts: 0 };
      (window as unknown as { seen: typeof seen }).seen = seen;
      new MutationObserver((records) => {
        for (const r of records) for (const n of r.addedNodes) if (n instanceof Element && n.classList.contains('cb-cell')) seen.mounts++;
      }).observe(document, { childList: true, subtree: true });
    });
    const posts: string[] = [];
    w.page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/api/v1/cells')) posts.push(r.url());
    });
    await w.page.goto(`${box.url}/s/${id}?autorun=1`);
    expect(await w.page.title()).toBe(`Snippet ${id} · Cellbox`);
    await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
    const out = await w.page.locator('.cb-output').textContent();
    expect(out).toContain('shared and run');
    expect(out).toContain('42');
    expect(posts).toHaveLength(1);
    expect(await w.page.evaluate(() => (window as unknown as { seen: { mounts: number } }).seen.mounts)).toBe(1);
    await w.context.close();
  });

  it('?autorun=true runs it as ?autorun=1 does; a value neither true nor false is said, and not run', async () => {
    // Only "1" ran: ?autorun=true, the word an embed's data-autorun takes, left the cell waiting.
    const id = await share(`# autorun words\n${code}`, 'python');
    for (const word of ['true', 'YES', 'on']) {
      const w = await open(`/s/${id}?autorun=${word}`);
      await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
      expect(await w.page.locator('.cb-output').textContent()).toContain('shared and run');
      expect(await w.page.locator('.notice').count()).toBe(0);
      await w.context.close();
    }
    for (const word of ['maybe', 'false']) {
      const posts: string[] = [];
      const w = await openPage(browser, 'about:blank');
      opened.push(w);
      w.page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().includes('/api/v1/cells')) posts.push(r.url());
      });
      await w.page.goto(`${box.url}/s/${id}?autorun=${word}`);
      await w.page.locator('.cm-content').waitFor();
      await w.page.waitForTimeout(1000);
      expect(posts).toEqual([]);
      expect(await w.page.locator('.cb-run').textContent()).toBe('Run');
      const notices = await w.page.locator('.notice').allTextContents();
      if (word === 'false') expect(notices).toEqual([]);
      else expect(notices).toEqual(['?autorun=maybe is neither true nor false (write ?autorun=1 or ?autorun=true to run the code at once); the cell waits for Run.']);
      await w.context.close();
    }
  });

  it('says the code was edited since it was shared, until it is reset', async () => {
    const id = await share(code, 'python');
    const w = await open(`/s/${id}`);
    const note = w.page.getByText('Edited since it was shared — the link still runs the original.');
    expect(await note.isVisible()).toBe(false);
    await setCode(w.page, 'print("my own version")');
    await note.waitFor();
    await w.page.keyboard.press('Shift+Enter');
    await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
    expect(await w.page.locator('.cb-output').textContent()).toContain('my own version');
    await screenshot(w.page, 'permalink-edited');
    await w.page.locator('.cb-reset').click();
    await note.waitFor({ state: 'hidden' });
    expect(await editorCode(w.page)).toBe(code);
    await w.context.close();
  });

  it('counts a change of language alone as an edit, and Reset brings the language back', async () => {
    const id = await share('echo "from a bash snippet"', 'bash');
    const w = await open(`/s/${id}`);
    const note = w.page.getByText('Edited since it was shared — the link still runs the original.');
    await w.page.selectOption('.cb-lang', 'python');
    await note.waitFor();
    await w.page.locator('.cb-reset').click();
    await note.waitFor({ state: 'hidden' });
    expect(await w.page.locator('.cb-lang').inputValue()).toBe('bash');
    expect(await w.page.locator('.cb-reset').isVisible()).toBe(false);
    await w.page.locator('.cb-run').click();
    await w.page.locator('.cb-status', { hasText: /Done in/ }).waitFor({ timeout: 30_000 });
    expect(await w.page.locator('.cb-output').textContent()).toContain('from a bash snippet');
    await w.context.close();
  });

  it('links to the raw code and to a download', async () => {
    const bash = 'for i in 1 2 3; do\n  echo "line $i"\ndone\n';
    const id = await share(bash, 'bash');
    const w = await open(`/s/${id}`);
    expect(await w.page.locator('a', { hasText: 'Download' }).getAttribute('href')).toBe(`/s/${id}/raw?download=1`);
    const [download] = await Promise.all([w.page.waitForEvent('download'), w.page.locator('a', { hasText: 'Download' }).click()]);
    expect(download.suggestedFilename()).toBe(`snippet-${id}.sh`);
    await w.page.locator('a', { hasText: 'Raw' }).click();
    await w.page.waitForURL(`${box.url}/s/${id}/raw`);
    expect(await w.page.evaluate(() => document.body.textContent)).toBe(bash);
    await w.context.close();
  });

  it('an unknown snippet is the 404 page, with a way home', async () => {
    const w = await openPage(browser, `${box.url}/s/AAAAAAAAAA`);
    opened.push(w);
    expect(await w.page.locator('h1').textContent()).toBe('Nothing here');
    expect(await w.page.locator('main').textContent()).toContain('does not exist');
    await w.page.locator('a', { hasText: 'Go to Cellbox' }).click();
    await w.page.locator('.cm-content').waitFor();
    await w.context.close();
  });
});
