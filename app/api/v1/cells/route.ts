// POST /api/v1/cells[?wait=S]: queue a cell; its messages follow at the returned URL. With
// `wait`, the answer also holds the cell's first messages, as a long-poll of them from the
// start would answer: a quick cell's whole output comes back in one round trip instead of two.
import type { CellCreated } from '../../../../protocol/api';
import { answerJson, readMessages } from '../../../_lib/cells';
import { countSubmission, waitingIfFree } from '../../../_lib/client';
import { checkQuery, readCellRequest, waitParam } from '../../../_lib/request';
import { json, jsonText, preflight, route, type Reply } from '../../../_lib/respond';
import { server } from '../../../_lib/server';
import { submitCell } from '../../../_lib/submit';

export const dynamic = 'force-dynamic';

export const POST = route(async (req) => {
  const s = server();
  // Checked before anything is counted or queued: a bad `wait` queues no cell.
  const wait = waitParam(checkQuery(new URL(req.url), ['wait']), 0);
  countSubmission(s, req);
  const cell = await readCellRequest(req);
  const post = async (waiting: boolean): Promise<Reply> => {
    const { id, msgId } = submitCell(s, cell);
    const body: CellCreated = { id, msg_id: msgId, status: 'queued', messages: `/api/v1/cells/${id}/messages` };
    const headers = { Location: `/api/v1/cells/${id}` };
    if (!waiting) return json(body, 201, headers);
    const answer = (await readMessages(s, new Map([[id, 0]]), wait * 1000, req.signal)).get(id);
    if (!answer) return json(body, 201, headers); // gone at once: only retention's sweep removes a cell
    return jsonText(`${JSON.stringify(body).slice(0, -1)},"answer":${answerJson(answer)}}`, 201, headers);
  };
  // Waiting holds one of the client's long-polls. A client holding all of them still gets its
  // cell queued, answered at once as without `wait`: the wait only saves it a round trip.
  return wait > 0 ? waitingIfFree(s, req, post) : post(false);
});

export const OPTIONS = preflight;
