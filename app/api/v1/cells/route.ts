// POST /api/v1/cells: queue a cell; its messages follow at the returned URL.
import type { CellCreated } from '../../../../protocol/api';
import { readCellRequest } from '../../../_lib/request';
import { json, preflight, route } from '../../../_lib/respond';
import { server } from '../../../_lib/server';
import { submitCell } from '../../../_lib/submit';
import { countSubmission } from '../../../_lib/client';

export const dynamic = 'force-dynamic';

export const POST = route(async (req) => {
  const s = server();
  countSubmission(s, req);
  const { id, msgId } = submitCell(s, await readCellRequest(req));
  const body: CellCreated = { id, msg_id: msgId, status: 'queued', messages: `/api/v1/cells/${id}/messages` };
  return json(body, 201, { Location: `/api/v1/cells/${id}` });
});

export const OPTIONS = preflight;
