// POST /service: SageMathCell's simple service, for the scripts and bots written against it: the
// code as a form field (`code`), the cell run to its end, and `{"success", "stdout"}` back
// (`stderr` too when there was some). Sage unless `language` names another (Cellbox's own field).
import type { ServiceAnswer } from '../../protocol/api';
import { messagesUntilDone, QUEUE_GRACE_MS, replyStatus, streamsOf } from '../_lib/cells';
import { countSubmission } from '../_lib/client';
import { checkQuery, readServiceRequest } from '../_lib/request';
import { json, preflight, route } from '../_lib/respond';
import { server } from '../_lib/server';
import { submitCell } from '../_lib/submit';
import { languageLimits } from '../../store/config';

export const dynamic = 'force-dynamic';

export const POST = route(async (req) => {
  checkQuery(new URL(req.url), []);
  const s = server();
  countSubmission(s, req);
  const { code, language } = await readServiceRequest(req);
  const { id } = submitCell(s, { code, language, interact: null, linked: null });
  const deadline = Date.now() + languageLimits(s.config, language).wallSeconds * 1000 + QUEUE_GRACE_MS;
  const { messages, done } = await messagesUntilDone(s, id, deadline, req.signal);
  const { stdout, stderr } = streamsOf(messages);
  // A cell not done in time is no success, as SageMathCell's service answers one it timed out.
  const answer: ServiceAnswer = { success: done && replyStatus(messages) === 'ok', stdout, ...(stderr ? { stderr } : {}) };
  return json(answer);
});

export const OPTIONS = preflight;
