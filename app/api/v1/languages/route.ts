// GET /api/v1/languages: the languages this server runs.
import { languages } from '../../../_lib/cells';
import { json, preflight, route } from '../../../_lib/respond';
import { server } from '../../../_lib/server';

export const dynamic = 'force-dynamic';

export const GET = route(() => json(languages(server())));

export const OPTIONS = preflight;
