// GET /api/v1/poll?c=<id>:<after>[:<state>]&c=…&wait=S: one long-poll for many cells, so a page
// with many embedded cells holds one connection. `state`, the one the client last saw, makes a
// change of it an answer too.
import type { CellState } from '../../../../protocol/api';
import { ApiError } from '../../../../protocol/errors';
import { MAX_POLL_CELLS } from '../../../../protocol/limits';
import { answerJson, readMessages } from '../../../_lib/cells';
import { checkCellId, checkQuery, longPollWait, MAX_AFTER, stateParam } from '../../../_lib/request';
import { jsonText, preflight, route } from '../../../_lib/respond';
import { server } from '../../../_lib/server';
import { holdingPoll } from '../../../_lib/client';

export const dynamic = 'force-dynamic';

export const GET = route(async (req) => {
  const url = checkQuery(new URL(req.url), ['c', 'wait'], ['c']);
  const specs = url.searchParams.getAll('c');
  if (specs.length === 0) throw new ApiError('invalid_field', 'Name at least one cell as c=<id>:<after>.');
  if (specs.length > MAX_POLL_CELLS) throw new ApiError('invalid_field', `At most ${MAX_POLL_CELLS} cells per poll, not ${specs.length}.`);
  const wanted = new Map<string, number>();
  const seen = new Map<string, CellState>();
  for (const spec of specs) {
    const m = /^([^:]*)(?::(\d+)(?::([^:]*))?)?$/.exec(spec);
    if (!m) throw new ApiError('invalid_field', `c must look like <id>:<after> or <id>:<after>:<state>, not ${JSON.stringify(spec.slice(0, 64))}.`);
    const id = checkCellId(m[1]);
    // Two cursors for one cell: which one the client means cannot be told (the last had won).
    if (wanted.has(id)) throw new ApiError('invalid_field', `c names cell ${id} more than once.`);
    // Held to the bound the one-cell long-poll's `after` has: it took 16 digits and this 15.
    const after = m[2] ? Number(m[2]) : 0;
    if (after > MAX_AFTER) throw new ApiError('invalid_field', `The after in c (${id}) must be between 0 and ${MAX_AFTER}.`);
    wanted.set(id, after);
    const state = stateParam(m[3], `the state in c (${id})`);
    if (state) seen.set(id, state);
  }
  const wait = longPollWait(req, url);
  const s = server();
  const answers = await holdingPoll(s, req, wait, () => readMessages(s, wanted, wait * 1000, req.signal, seen));
  const unknown = [...wanted.keys()].filter((id) => !answers.has(id));
  if (unknown.length === wanted.size) throw new ApiError('not_found', noCells(unknown));
  // Unknown cells among known ones are answered as done and empty, so one expired cell does not break a page.
  const parts = [...wanted.keys()].map((id) => {
    const a = answers.get(id) ?? { json: [], next: wanted.get(id)!, done: true, state: 'done' as const };
    return `${JSON.stringify(id)}:${answerJson(a)}`;
  });
  return jsonText(`{"cells":{${parts.join(',')}}}`);
});

export const OPTIONS = preflight;

/** Named ids in a 404 for unknown cells: a poll of 100 expired cells listed all 1,300-odd characters of them. */
const NAMED_IDS = 5;

function noCells(ids: string[]): string {
  if (ids.length === 1) return `There is no cell ${ids[0]}.`;
  const named = ids.slice(0, NAMED_IDS).join(', ');
  const more = ids.length > NAMED_IDS ? ` and ${ids.length - NAMED_IDS} more` : '';
  return `None of the ${ids.length} cells is known: ${named}${more}.`;
}
