// Any other /api/ path: a JSON 404 naming the path, not an HTML page.
import { ApiError } from '../../../protocol/errors';
import { preflight, route } from '../../_lib/respond';

export const dynamic = 'force-dynamic';

const notFound = route((req) => {
  throw new ApiError('not_found', `There is no API route ${new URL(req.url).pathname}; see /docs/api.md.`);
});

export const GET = notFound;
export const POST = notFound;
export const OPTIONS = preflight;
