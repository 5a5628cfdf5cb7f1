// GET /api/v1/cells/:id: the cell's state and, once done, its files.
import { describeCell } from '../../../../_lib/cells';
import { checkCellId, checkQuery } from '../../../../_lib/request';
import { json, preflight, route } from '../../../../_lib/respond';
import { server } from '../../../../_lib/server';

export const dynamic = 'force-dynamic';

export const GET = route(async (req, { params }: { params: Promise<{ id: string }> }) => {
  checkQuery(new URL(req.url), []);
  const { id } = await params;
  return json(describeCell(server(), checkCellId(id)));
});

export const OPTIONS = preflight;
