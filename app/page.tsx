// The cell page at /: one cell, ready to run; `?z=<zip>&lang=<language>` and `?c=<code>&lang=…`
// (SageMathCell's link formats) preload it with code. `#z=` links are read in the browser
// (app/cell-page.tsx).
import { languages } from './_lib/cells';
import { server } from './_lib/server';
import { inflateZLink } from './_lib/zlink';
import CellPage from './cell-page';
import { startingCell } from './link-code';

export const dynamic = 'force-dynamic';

type Query = Record<string, string | string[] | undefined>;

function first(v: string | string[] | undefined): string | null {
  return (Array.isArray(v) ? v[0] : v) ?? null;
}

export default async function Page({ searchParams }: { searchParams: Promise<Query> }) {
  const q = await searchParams;
  const all = languages(server());
  const offered = all.map((l) => l.name);
  // Names the languages this server runs, not a fixed few: a site enables its own.
  const named = new Intl.ListFormat('en', { type: 'disjunction' }).format(all.map((l) => l.display_name));
  const link = { c: first(q.c), z: first(q.z), lang: first(q.lang), q: first(q.q) };
  const start = await startingCell(link, offered, inflateZLink);
  return (
    <main>
      <header className="site">
        <h1>Cellbox</h1>
        {/* A phone has no Shift key to press: globals.css shows one sentence or the other by the pointer. */}
        <p>
          {`Run ${named} in a private sandbox. `}
          <span className="keys-hint">Press Shift+Enter or Run.</span>
          <span className="touch-hint">Press Run.</span>
        </p>
      </header>
      <CellPage code={start.code} language={start.language} notices={start.notices} offered={offered} readHash keepDraft={link.c === null && link.z === null && link.lang === null && link.q === null} />
      <noscript>
        <p className="noscript">
          The cell needs JavaScript. Without it, run code over HTTP:{' '}
          <code>curl --data-urlencode code=&apos;print(1+1)&apos; HOST/api/v1/execute</code>
        </p>
      </noscript>
    </main>
  );
}
