// GET /api/v1/snippets/:id: the shared code, its language, title and when it was first shared.
import { checkQuery } from '../../../../_lib/request';
import { json, preflight, route } from '../../../../_lib/respond';
import { server } from '../../../../_lib/server';
import { describeSnippet, getSnippet } from '../../../../_lib/snippets';

export const dynamic = 'force-dynamic';

export const GET = route(async (req, { params }: { params: Promise<{ id: string }> }) => {
  checkQuery(new URL(req.url), []);
  const { id } = await params;
  return json(describeSnippet(getSnippet(server(), id)));
});

export const OPTIONS = preflight;
