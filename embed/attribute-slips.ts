// A data-* attribute on a cell that Cellbox does not read but that is a near miss of one it
// does: `data-lang="r"` for data-language left the cell in Python without a word, and its
// author guessing why. Said once per cell in the console (embed/embed.ts), for the author; not
// in the cell, since a reader can do nothing about it and the attribute may be the page's own
// (a highlighter's `data-line`, a toolbar's `data-label` on the same <pre>): any data-* name
// that is no near miss stays silent.
//
// A near miss, tried in this order (the first rule that finds one wins):
// - the same name once spelt alike: a `cellbox-` prefix (data-cellbox-theme), `-` or `_` put in
//   or left out (data-run_label, data-auto-run, data-readOnly as HTML lowercases it);
// - a slip no spelling rule finds: SLIPS below, the words other embeds and SageMathCell use;
// - a typing slip: at most one letter added, dropped, changed or two swapped (data-langauge), or
//   two for names of 7 letters or more. Not two for shorter ones: Prism's data-line is two
//   letters from data-linked, and a page with line numbers is no mistake;
// - the name cut short, to 4 letters or more (data-lang, data-auto, data-link);
// - the name with words added after it (data-linked-to, data-server-url, data-hide-parts).

/** Names no spelling rule reaches, mapped to the attribute (without `data-`) they stand for. */
const SLIPS: Record<string, string> = {
  // SageMathCell's name for it, on its own markup (where makeSagecell() does read it).
  lang: 'language',
  langs: 'languages',
  kernel: 'language',
  hidden: 'hide',
  // SageMathCell's option names, written as attributes.
  autoeval: 'autorun',
  evalbuttontext: 'run-label',
  preview: 'output-preview',
};

/** Restricted Damerau-Levenshtein distance: edits, a swap of two neighbours counting as one. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

const flat = (s: string) => s.replace(/[-_]/g, '');

/**
 * The attribute of `known` (each `data-…`) that `name` likely meant, or null when `name` is
 * one of them or no near miss of any.
 */
export function likelyMeant(name: string, known: readonly string[]): string | null {
  const lower = name.toLowerCase();
  if (!lower.startsWith('data-') || known.includes(lower)) return null;
  const written = lower.slice('data-'.length).replace(/^cellbox-/, '');
  const w = flat(written);
  const options = known.filter((k) => k.startsWith('data-')).map((k) => k.slice('data-'.length));
  const found = (o: string | undefined) => (o === undefined ? null : `data-${o}`);

  const alike = options.find((o) => flat(o) === w);
  if (alike) return found(alike);
  if (SLIPS[w] && options.includes(SLIPS[w])) return found(SLIPS[w]);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const o of options) {
    const d = distance(w, flat(o));
    if (d <= (Math.min(w.length, flat(o).length) >= 7 ? 2 : 1) && d < bestDistance) {
      best = o;
      bestDistance = d;
    }
  }
  if (best) return found(best);
  const byLength = [...options].sort((a, b) => a.length - b.length);
  if (w.length >= 4) {
    const cut = byLength.find((o) => flat(o).startsWith(w));
    if (cut) return found(cut);
  }
  return found(byLength.reverse().find((o) => written.startsWith(`${o}-`)));
}

/**
 * The console's sentence about `attributes` (name and value, as the element has them) that
 * are near misses of `known`, or null when none is. `alsoRead` are attributes the caller reads
 * itself (makeSagecell()'s data-lang), never a slip.
 */
export function slipWarning(attributes: readonly { name: string; value: string }[], known: readonly string[], alsoRead: readonly string[] = []): string | null {
  const said: string[] = [];
  for (const { name, value } of attributes) {
    if (alsoRead.includes(name.toLowerCase())) continue;
    const meant = likelyMeant(name, known);
    if (meant) said.push(`${name}=${JSON.stringify(value)} (did you mean ${meant}?)`);
  }
  if (!said.length) return null;
  const list = said.length === 1 ? said[0] : `${said.slice(0, -1).join(', ')} and ${said[said.length - 1]}`;
  return `Cellbox: this cell's ${list} ${said.length === 1 ? 'is not an attribute Cellbox reads, and does' : 'are not attributes Cellbox reads, and do'} nothing.`;
}
