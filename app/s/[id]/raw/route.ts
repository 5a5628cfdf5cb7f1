// GET /s/:id/raw: the snippet's code as plain text; ?download=1 makes it a file to save.
import { readFlag } from '../../../../protocol/flag';
import { ApiError } from '../../../../protocol/errors';
import { quoted } from '../../../../protocol/shorten';
import { preflight, reply, route } from '../../../_lib/respond';
import { server } from '../../../_lib/server';
import { fileExtension, getSnippet } from '../../../_lib/snippets';

export const dynamic = 'force-dynamic';

export const GET = route(async (req, { params }: { params: Promise<{ id: string }> }) => {
  const { id } = await params;
  const s = server();
  const row = getSnippet(s, id);
  const headers: Record<string, string> = {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    // The id is a hash of the language and code: what it names never changes.
    'Cache-Control': 'public, max-age=31536000, immutable',
  };
  if (download(new URL(req.url).searchParams.get('download'))) {
    headers['Content-Disposition'] = `attachment; filename="snippet-${row.id}${fileExtension(s, row.language)}"`;
  }
  return reply(row.code, 200, headers);
});

/**
 * `download`, read with the words the permalink's `?autorun` takes (protocol/flag.ts): only "1"
 * was, and `?download=true` or `?download` sent the code inline without a word. A value that is
 * neither yes nor no is refused rather than guessed.
 */
function download(value: string | null): boolean {
  if (value === null) return false;
  const on = readFlag(value);
  if (on === null) throw new ApiError('invalid_field', `download must be 1, true, yes or on (or 0, false, no, off), not ${quoted(value)}.`);
  return on;
}

export const OPTIONS = preflight;
