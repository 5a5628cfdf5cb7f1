// Accessibility in a real browser (Debian's Chromium): axe-core's checks (contrast, names,
// roles, labels, landmarks) on every page a person opens, in the light and the dark theme,
// with a cell's output showing: text in ANSI colours, stderr, an error, a plot, a file link,
// Markdown and a table. axe looks inside the cells' shadow roots too. Before the themed
// palettes, it found five tokens of the dark editor at 1.65-2.2:1.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { post, startCellbox, type Cellbox } from '../helpers/cellbox';
import { launchBeside, openPage, setCode } from '../helpers/browser';

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const OUTPUT_CELL = [
  'import sys',
  'import matplotlib.pyplot as plt',
  'from IPython.display import Markdown, HTML, display',
  'for c in [*range(30, 38), *range(90, 98)]:',
  '    print(f"\\x1b[{c}mcolour {c}\\x1b[0m")',
  'print("a warning", file=sys.stderr)',
  'display(Markdown("Some **bold**, `code` and [a link](https://example.org)"))',
  'display(HTML("<table><tr><th>n</th><th>n²</th></tr><tr><td>3</td><td>9</td></tr></table>"))',
  'open("out.txt", "w").write("hello")',
  'plt.plot([1, 3, 2])',
  '1 / 0',
].join('\n');

/** Every kind of control an interact shows, and an Update button (lines short enough not to scroll the editor). */
const INTERACT_CELL = [
  "@interact(auto_update=False, layout={'left': [['b', 'c']], 'bottom': [['t']]})",
  "def f(n=slider(0, 10, 1, default=5, label='Count'), k=slider(['low', 'high']),",
  "      r=range_slider(0, 10, 1, default=(2, 5)), s=input_box('abc', label='Words', type=str),",
  "      b=checkbox(True), c=selector(['x', 'y']), d=selector(['p', 'q'], buttons=True),",
  "      col=color_selector('#ff0000'), t=text_control('Some words'),",
  "      g=input_grid(2, 2, default=0), m='two\\nlines'):",
  '    print("ran with", n)',
].join('\n');

let box: Cellbox;
let browser: Browser;

beforeAll(async () => {
  [box, browser] = await launchBeside(startCellbox());
});

afterAll(async () => {
  await browser?.close();
  await box?.stop();
});

/** axe-core's violations on the page as it is now, one line each: rule, impact, the first few elements. */
async function violations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (root: Document, o: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: unknown[]; failureSummary?: string }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => `${JSON.stringify(n.target)} ${n.failureSummary?.split('\n')[1]?.trim() ?? ''}`).join('; ')}`);
  });
  return found;
}

describe('accessibility (axe-core)', () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    it(`the cell page with every kind of output, ${colorScheme}`, async () => {
      const w = await openPage(browser, `${box.url}/`, { colorScheme });
      await setCode(w.page, OUTPUT_CELL);
      await w.page.keyboard.press('Shift+Enter');
      await w.page.locator('.cb-status', { hasText: /ZeroDivisionError/ }).waitFor({ timeout: 30_000 });
      await w.page.locator('.cb-output img').waitFor();
      await w.page.locator('.cb-output .cb-files a', { hasText: 'out.txt' }).waitFor();
      expect(await violations(w.page)).toEqual([]);
      await w.context.close();
    });

    it(`the cell page with an interact's controls of every kind, ${colorScheme}`, async () => {
      const w = await openPage(browser, `${box.url}/`, { colorScheme });
      await setCode(w.page, INTERACT_CELL);
      await w.page.keyboard.press('Shift+Enter');
      await w.page.locator('.cb-output', { hasText: 'ran with 5' }).waitFor({ timeout: 30_000 });
      // Drawn as controls (a bundle the page could not read would be its plain text).
      await w.page.getByRole('textbox', { name: 'g row 2 column 2' }).waitFor();
      await w.page.locator('.cb-output textarea').waitFor();
      // Moved once: the re-run's output, and the controls as a re-run leaves them.
      await w.page.getByRole('slider', { name: 'Count' }).fill('6');
      await w.page.getByRole('button', { name: 'Update' }).click();
      await w.page.locator('.cb-output', { hasText: 'ran with 6' }).waitFor({ timeout: 30_000 });
      await w.page.locator('.cb-run', { hasText: /^Run$/ }).waitFor();
      expect(await violations(w.page)).toEqual([]);
      await w.context.close();
    });

    it(`an embedded cell holding a student's draft, with its note and button back, ${colorScheme}`, async () => {
      const guide = await openPage(browser, `${box.url}/embed`, { colorScheme });
      await setCode(guide.page, 'print("my own try")', '#basic');
      await guide.page.reload();
      await guide.page.locator('#basic .cb-draft-note').getByRole('button', { name: 'Original code' }).waitFor({ timeout: 30_000 });
      expect(await violations(guide.page)).toEqual([]);
      await guide.context.close();
    });

    it(`the embedding guide and a permalink page, ${colorScheme}`, async () => {
      const guide = await openPage(browser, `${box.url}/embed`, { colorScheme });
      await guide.page.locator('#autorun .cb-output', { hasText: 'Ran as the page loaded' }).waitFor({ timeout: 30_000 });
      // The dark-themed example, run: on the light page its output's light text once had no
      // background of its own (1.1:1).
      await guide.page.locator('#theme .cb-run').click();
      await guide.page.locator('#theme .cb-output', { hasText: 'Dark, whatever the system says' }).waitFor({ timeout: 30_000 });
      expect(await violations(guide.page)).toEqual([]);
      await guide.context.close();
      const shared = await post(`${box.url}/api/v1/snippets`, { language: 'python', code: `print("shared, ${colorScheme}")`, title: 'A shared cell' });
      expect(shared.status).toBe(201);
      const permalink = await openPage(browser, `${box.url}/s/${shared.body.id}`, { colorScheme });
      await permalink.page.locator('.cb-run').click();
      // 60 s, and the cell's status on failure: twice in full runs of the suite (another file's
      // cells beside it on two cores) the output had not come within 30 s, and the failure said
      // nothing of where the cell was.
      await permalink.page.locator('.cb-output', { hasText: 'shared' }).waitFor({ timeout: 60_000 }).catch(async (e: Error) => {
        const status = await permalink.page.locator('.cb-status').textContent();
        throw new Error(`${e.message}\nthe cell's status: ${JSON.stringify(status)}; page errors: ${JSON.stringify([...permalink.pageErrors, ...permalink.consoleErrors])}`);
      });
      expect(await violations(permalink.page)).toEqual([]);
      await permalink.context.close();
    });
  }
});
