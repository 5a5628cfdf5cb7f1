// The one place errors become HTTP: the three kinds of failure stay apart.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../protocol/errors';
import { errorReply, toResponse } from '../../app/_lib/respond';

/** The answer as Next.js sends it, through the Fetch API `Response`. */
async function answer(e: unknown) {
  const res = toResponse(errorReply(e));
  return { status: res.status, retry: res.headers.get('retry-after'), body: await res.json() };
}

describe('errorReply', () => {
  it('turns a bad request into its 4xx with the sentence that names the problem', async () => {
    expect(await answer(new ApiError('not_found', 'There is no cell x.'))).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: 'There is no cell x.' } } });
  });

  it('answers a busy or full database with 503 and when to come back, never 500', async () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_SNAPSHOT']) {
      expect(await answer(Object.assign(new Error('database is locked'), { code }))).toMatchObject({ status: 503, retry: '1', body: { error: { code: 'unavailable' } } });
    }
    // A full disk is named as such: it is what the host must fix (free space), not a failing one.
    for (const [code, message] of [['SQLITE_FULL', /disk is full; nothing was saved/], ['SQLITE_IOERR_WRITE', /storage is failing; nothing was saved/]] as const) {
      const a = await answer(Object.assign(new Error('database or disk is full'), { code }));
      expect(a).toMatchObject({ status: 503, retry: '30', body: { error: { code: 'unavailable' } } });
      expect(a.body.error.message).toMatch(message);
    }
  });

  it('answers its own failures with a generic 500 that leaks nothing', async () => {
    const a = await answer(new TypeError('secret detail at /srv/cellbox'));
    expect(a.status).toBe(500);
    expect(JSON.stringify(a.body)).not.toContain('secret');
  });
});
