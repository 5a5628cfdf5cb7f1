// Debian's Chromium driven by playwright-core, headless, recording every request that would
// leave the machine so tests can assert that none did.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../e2e/screenshots/', import.meta.url));

export async function launch(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run npm test as root once (it installs chromium), or apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Launches the browser while `starting` (a Cellbox, say) comes up, and waits for both. When
 * either fails, the other is stopped before the error is thrown: with `Promise.all` a browser
 * that could not start left its Cellbox running with no test to stop it (a web server and a
 * device per test file, seen after a run on a machine without Chromium).
 */
export async function launchBeside<T extends { stop(): Promise<void> }>(starting: Promise<T>): Promise<[T, Browser]> {
  const [started, launched] = await Promise.allSettled([starting, launch()]);
  if (started.status === 'fulfilled' && launched.status === 'fulfilled') return [started.value, launched.value];
  if (started.status === 'fulfilled') await started.value.stop();
  if (launched.status === 'fulfilled') await launched.value.close();
  throw started.status === 'rejected' ? started.reason : (launched as PromiseRejectedResult).reason;
}

export interface Watched {
  context: BrowserContext;
  page: Page;
  /** URLs requested from anywhere but this machine. */
  offMachine: string[];
  /** Errors the page's scripts threw. */
  pageErrors: string[];
  /** What the browser logged as an error: a resource that failed to load (the page's icon among them), say. */
  consoleErrors: string[];
}

export async function openPage(browser: Browser, url: string, opts: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {}): Promise<Watched> {
  const context = await browser.newContext({ colorScheme: opts.colorScheme ?? 'light', viewport: opts.viewport ?? { width: 1100, height: 800 } });
  const page = await context.newPage();
  const offMachine: string[] = [];
  const pageErrors: string[] = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    // data: and blob: URLs are made inside the page; everything else must stay on this machine.
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) offMachine.push(r.url());
  });
  const consoleErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
  });
  await page.goto(url);
  return { context, page, offMachine, pageErrors, consoleErrors };
}

/** Replaces the editor's code as a paste would (no auto-closing brackets), then focuses it. */
export async function setCode(page: Page, code: string, scope = ''): Promise<void> {
  const content = page.locator(`${scope} .cm-content`.trim()).first();
  await content.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(code);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * A phone's page (touch, mobile) at `viewport`: `code` put in the cell at `url` and run by a tap
 * on Run. The caller closes the context.
 */
export async function runByTouch(browser: Browser, url: string, code: string, viewport = { width: 390, height: 844 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await page.goto(url);
  await page.locator('.cm-content').tap();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(code);
  await page.locator('.cb-run').tap();
  return { context, page };
}
