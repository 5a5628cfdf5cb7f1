// POST /api/v1/execute: run a cell and answer when it is done, for curl and scripts.
import type { ExecuteAnswer } from '../../../../protocol/api';
import type { ExecuteReplyContent, Message, StreamContent } from '../../../../protocol/messages';
import { cellFiles, readMessages } from '../../../_lib/cells';
import { checkQuery, readCellRequest } from '../../../_lib/request';
import { json, preflight, route } from '../../../_lib/respond';
import { server } from '../../../_lib/server';
import { submitCell } from '../../../_lib/submit';
import { countSubmission } from '../../../_lib/client';
import { languageLimits } from '../../../../store/config';

export const dynamic = 'force-dynamic';

/** How long a cell may wait in the queue on top of its own timeout before the answer gives up waiting. */
const QUEUE_GRACE_MS = 60_000;

export const POST = route(async (req) => {
  // Checked before anything is counted or queued, as for POST /cells.
  checkQuery(new URL(req.url), []);
  const s = server();
  countSubmission(s, req);
  const body = await readCellRequest(req);
  const { id } = submitCell(s, body);
  const deadline = Date.now() + (body.timeout ?? languageLimits(s.config, body.language).wallSeconds) * 1000 + QUEUE_GRACE_MS;
  const messages: Message[] = [];
  let after = 0;
  let done = false;
  // Given up early when the web server stops: a 202 the client follows as documented.
  while (!done && Date.now() < deadline && !req.signal.aborted && !s.closing.signal.aborted) {
    const a = (await readMessages(s, new Map([[id, after]]), Math.min(25_000, deadline - Date.now()), req.signal)).get(id)!;
    for (const text of a.json) messages.push(JSON.parse(text));
    after = a.next;
    done = a.done;
  }
  let stdout = '';
  let stderr = '';
  let status: ExecuteAnswer['status'] = done ? 'ok' : (s.store.cells.get(id)?.status === 'queued' ? 'queued' : 'running');
  for (const m of messages) {
    if (m.header.msg_type === 'stream') {
      const c = m.content as StreamContent;
      if (c.name === 'stdout') stdout += c.text;
      else stderr += c.text;
    } else if (done && m.header.msg_type === 'execute_reply') {
      // Only a done cell's: a 202 (its last message not yet there) stays `running`, as documented.
      status = (m.content as ExecuteReplyContent).status;
    }
  }
  const answer: ExecuteAnswer = { id, status, stdout, stderr, messages, files: done ? cellFiles(s, id) : [] };
  return json(answer, done ? 200 : 202);
});

export const OPTIONS = preflight;
