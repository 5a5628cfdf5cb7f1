// GET /s/:id/raw: the snippet's code as plain text; ?download=1 makes it a file to save.
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
  if (new URL(req.url).searchParams.get('download') === '1') {
    headers['Content-Disposition'] = `attachment; filename="snippet-${row.id}${fileExtension(s, row.language)}"`;
  }
  return reply(row.code, 200, headers);
});

export const OPTIONS = preflight;
