// /api itself and any other /api/ path: a JSON 404 naming the path, not an HTML page (an optional
// catch-all: a bare /api, which a client trying the root of the API asks first, was the HTML page).
// Its preflight (OPTIONS) too: a 204 told a page's browser that a route that does not exist
// takes its request, and the page then met the 404 only after sending it.
import { ApiError } from '../../../protocol/errors';
import { route } from '../../_lib/respond';

export const dynamic = 'force-dynamic';

const notFound = route((req) => {
  throw new ApiError('not_found', `There is no API route ${new URL(req.url).pathname}; the routes are listed in docs/api.md of Cellbox's source.`);
});

export const GET = notFound;
export const HEAD = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
export const OPTIONS = notFound;
