// POST /api/v1/snippets: share code; the same language and code always give the same id.
import { checkQuery, readSnippetRequest } from '../../../_lib/request';
import { json, preflight, route } from '../../../_lib/respond';
import { server } from '../../../_lib/server';
import { shareSnippet } from '../../../_lib/snippets';
import { countSubmission } from '../../../_lib/client';

export const dynamic = 'force-dynamic';

/** 201 when this request stored the snippet, 200 when it was shared before (same body either way). */
export const POST = route(async (req) => {
  checkQuery(new URL(req.url), []);
  const s = server();
  countSubmission(s, req);
  const { answer, fresh } = shareSnippet(s, await readSnippetRequest(req));
  return json(answer, fresh ? 201 : 200, { Location: `/api/v1/snippets/${answer.id}` });
});

export const OPTIONS = preflight;
