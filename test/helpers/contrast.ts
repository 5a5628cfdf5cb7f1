// WCAG contrast as a reader meets it, measured in the browser: text colours against the
// backgrounds actually behind them, through shadow roots (an embedded cell's, an output's).
import type { Page } from 'playwright-core';

/**
 * The lowest WCAG contrast ratio of the elements `selector` finds (through shadow roots), each
 * text colour against the background behind it: the nearest ancestor's, the page's last, that
 * is opaque (the canvas under a page with none); with `background`, against the first element it finds instead. Colours
 * come as rgb() or, for color-mix(), as color(srgb ...). Also how many elements it measured.
 */
export async function lowestContrast(page: Page, selector: string, background?: string): Promise<{ count: number; lowest: number }> {
  const against = background ? await page.locator(background).first().evaluate((e) => getComputedStyle(e).backgroundColor) : null;
  return page.locator(selector).evaluateAll((elements, fixed) => {
    const channels = (css: string): number[] => {
      const srgb = /color\(srgb ([\d.]+) ([\d.]+) ([\d.]+)(?: \/ ([\d.]+))?/.exec(css);
      if (srgb) return [...srgb.slice(1, 4).map(Number), srgb[4] === undefined ? 1 : Number(srgb[4])];
      const n = (css.match(/[\d.]+/g) ?? []).map(Number);
      return [n[0]! / 255, n[1]! / 255, n[2]! / 255, n[3] ?? 1];
    };
    const luminance = (css: string) => {
      const [r, g, b] = channels(css).slice(0, 3).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const behind = (e: Element): string => {
      for (let at: Element | null = e; at; at = at.parentElement ?? ((at.getRootNode() as ShadowRoot).host || null)) {
        const bg = getComputedStyle(at).backgroundColor;
        // A faint tint (the active line's 7%) is passed over for the opaque colour under it.
        if (channels(bg)[3]! >= 1) return bg;
      }
      return canvas;
    };
    // Under a page with no background of its own, the canvas: dark where the page lets the
    // reader's dark scheme choose (color-scheme: light dark), and printed so.
    const probe = document.body.appendChild(document.createElement('div'));
    probe.style.background = 'Canvas';
    const canvas = getComputedStyle(probe).backgroundColor;
    probe.remove();
    const ratios = elements.map((e) => {
      const [hi, lo] = [luminance(getComputedStyle(e).color), luminance(fixed ?? behind(e))].sort((x, y) => y - x);
      return (hi! + 0.05) / (lo! + 0.05);
    });
    return { count: elements.length, lowest: Math.min(...ratios) };
  }, against);
}
