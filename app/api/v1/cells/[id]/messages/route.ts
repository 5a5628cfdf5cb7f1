// GET /api/v1/cells/:id/messages?after=N&wait=S&state=T: the long-poll for one cell's messages
// (and, when the client says which state it last saw, for a change of the cell's state).
import { ApiError } from '../../../../../../protocol/errors';
import { answerJson, readMessages } from '../../../../../_lib/cells';
import { checkCellId, checkQuery, intParam, longPollWait, MAX_AFTER, stateParam } from '../../../../../_lib/request';
import { jsonText, preflight, route } from '../../../../../_lib/respond';
import { server } from '../../../../../_lib/server';
import { holdingPoll } from '../../../../../_lib/client';

export const dynamic = 'force-dynamic';

export const GET = route(async (req, { params }: { params: Promise<{ id: string }> }) => {
  const id = checkCellId((await params).id);
  const url = checkQuery(new URL(req.url), ['after', 'wait', 'state']);
  const after = intParam(url, 'after', 0, 0, MAX_AFTER);
  const wait = longPollWait(req, url);
  const state = stateParam(url.searchParams.get('state'));
  const s = server();
  const seen = new Map(state ? [[id, state]] : []);
  const answers = await holdingPoll(s, req, wait, () => readMessages(s, new Map([[id, after]]), wait * 1000, req.signal, seen));
  const answer = answers.get(id);
  if (!answer) throw new ApiError('not_found', `There is no cell ${id}.`);
  return jsonText(answerJson(answer));
});

export const OPTIONS = preflight;
