// POST /api/v1/execute: run a cell and answer when it is done, for curl and scripts.
import type { ExecuteAnswer } from '../../../../protocol/api';
import { cellFiles, messagesUntilDone, QUEUE_GRACE_MS, replyStatus, streamsOf } from '../../../_lib/cells';
import { checkQuery, readCellRequest } from '../../../_lib/request';
import { json, preflight, route } from '../../../_lib/respond';
import { server } from '../../../_lib/server';
import { submitCell } from '../../../_lib/submit';
import { countSubmission } from '../../../_lib/client';
import { languageLimits } from '../../../../store/config';

export const dynamic = 'force-dynamic';

export const POST = route(async (req) => {
  // Checked before anything is counted or queued, as for POST /cells.
  checkQuery(new URL(req.url), []);
  const s = server();
  countSubmission(s, req);
  const body = await readCellRequest(req);
  const { id } = submitCell(s, body);
  const deadline = Date.now() + (body.timeout ?? languageLimits(s.config, body.language).wallSeconds) * 1000 + QUEUE_GRACE_MS;
  const { messages, done } = await messagesUntilDone(s, id, deadline, req.signal);
  const { stdout, stderr } = streamsOf(messages);
  // Only a done cell's reply counts: a 202 (its last message not yet there) stays `queued` or `running`, as documented.
  const status: ExecuteAnswer['status'] = done ? (replyStatus(messages) ?? 'ok') : s.store.cells.get(id)?.status === 'queued' ? 'queued' : 'running';
  const answer: ExecuteAnswer = { id, status, stdout, stderr, messages, files: done ? cellFiles(s, id) : [] };
  return json(answer, done ? 200 : 202);
});

export const OPTIONS = preflight;
