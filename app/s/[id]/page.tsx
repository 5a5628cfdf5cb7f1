// The permalink page /s/<id>: a shared snippet in an editable cell, not run until asked
// (`?autorun=1`, or any word an embed's data-autorun takes for true, runs it at once). An
// unknown id is the 404 page (app/not-found.tsx).
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { cache } from 'react';
import { readFlag } from '../../../protocol/flag';
import { shorten } from '../../../protocol/shorten';
import { languages } from '../../_lib/cells';
import { server } from '../../_lib/server';
import { findSnippet } from '../../_lib/snippets';
import CellPage from '../../cell-page';

export const dynamic = 'force-dynamic';

const EDITED_NOTE = 'Edited since it was shared — the link still runs the original.';

type Params = Promise<{ id: string }>;
type Query = Promise<Record<string, string | string[] | undefined>>;

// One read per request, shared by generateMetadata and the page.
const load = cache((id: string) => findSnippet(server(), id));

function displayName(language: string): string {
  return languages(server()).find((l) => l.name === language)?.display_name ?? language;
}

/**
 * `?autorun`'s value: on or off, and the notice for a value that is neither (shown above the
 * cell, as a bad ?z= link's is). Given twice, the first counts, as for ?z= and ?lang=.
 */
function autorunParam(v: string | string[] | undefined): { autorun: boolean; notices: string[] } {
  const word = Array.isArray(v) ? v[0] : v;
  if (word === undefined) return { autorun: false, notices: [] };
  const flag = readFlag(word);
  if (flag !== null) return { autorun: flag, notices: [] };
  return { autorun: false, notices: [`?autorun=${shorten(word, 40)} is neither true nor false (write ?autorun=1 or ?autorun=true to run the code at once); the cell waits for Run.`] };
}

/** The first line of code worth showing in a link preview. */
function summary(code: string): string {
  const line = code.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  return shorten(line, 120);
}

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const row = load((await params).id);
  if (!row) return { title: 'Not found · Cellbox', robots: { index: false } };
  const name = row.title ?? `Snippet ${row.id}`;
  const description = `${displayName(row.language)} code shared on Cellbox${summary(row.code) ? `: ${summary(row.code)}` : '.'}`;
  return {
    title: `${name} · Cellbox`,
    description,
    openGraph: { title: name, description, type: 'article', siteName: 'Cellbox' },
    alternates: { types: { 'text/plain': `/s/${row.id}/raw` } },
  };
}

export default async function SnippetPage({ params, searchParams }: { params: Params; searchParams: Query }) {
  const row = load((await params).id);
  if (!row) notFound();
  const { autorun, notices } = autorunParam((await searchParams).autorun);
  const created = new Date(row.created).toISOString();
  return (
    <main>
      <header className="site snippet-head">
        <p className="crumb">
          <a href="/">Cellbox</a> · shared snippet
        </p>
        <h1>{row.title ?? `Snippet ${row.id}`}</h1>
        <p className="snippet-meta">
          <span className="snippet-language">{displayName(row.language)}</span>
          {' · shared '}
          <time dateTime={created}>{created.slice(0, 10)}</time>
          {' · '}
          <a href={`/s/${row.id}/raw`}>Raw</a>
          {' · '}
          <a href={`/s/${row.id}/raw?download=1`} download>
            Download
          </a>
        </p>
      </header>
      <CellPage code={row.code} language={row.language} autorun={autorun} notices={notices} editedNote={EDITED_NOTE} />
      <noscript>
        <p className="noscript">The cell needs JavaScript to run; the code is above, and under Raw as plain text.</p>
      </noscript>
    </main>
  );
}
