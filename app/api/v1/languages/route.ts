// GET /api/v1/languages: the languages this server runs.
import { languages } from '../../../_lib/cells';
import { checkQuery } from '../../../_lib/request';
import { json, preflight, route } from '../../../_lib/respond';
import { server } from '../../../_lib/server';

export const dynamic = 'force-dynamic';

export const GET = route((req) => {
  checkQuery(new URL(req.url), []);
  return json(languages(server()));
});

export const OPTIONS = preflight;
