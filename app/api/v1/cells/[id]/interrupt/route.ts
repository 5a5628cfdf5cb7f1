// POST /api/v1/cells/:id/interrupt: stop a queued or running cell.
import { ApiError } from '../../../../../../protocol/errors';
import { describeCell } from '../../../../../_lib/cells';
import { checkCellId, checkQuery } from '../../../../../_lib/request';
import { json, preflight, route } from '../../../../../_lib/respond';
import { server } from '../../../../../_lib/server';

export const dynamic = 'force-dynamic';

export const POST = route(async (req, { params }: { params: Promise<{ id: string }> }) => {
  checkQuery(new URL(req.url), []);
  const id = checkCellId((await params).id);
  const s = server();
  if (!s.store.interrupt(id)) throw new ApiError('not_found', `There is no cell ${id}.`);
  return json(describeCell(s, id), 202);
});

export const OPTIONS = preflight;
