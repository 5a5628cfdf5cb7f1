// The refusal of a new cell while the queue is full (app/_lib/submit.ts): its words count the
// cells the server lets wait, "1 cells are waiting" where the host set the limit to one.
import { describe, expect, it } from 'vitest';
import { queueFull } from '../../app/_lib/submit';
import type { Server } from '../../app/_lib/server';

/** Just what queueFull() reads of a server: its queue's length and the limit. */
const serverWith = (queued: number, queueLimit: number) => ({ store: { cells: { queuedCount: () => queued } }, config: { queueLimit } }) as unknown as Server;

describe('queueFull', () => {
  it('leaves room below the limit', () => {
    expect(queueFull(serverWith(1, 2))).toBeNull();
  });

  it('says how many cells wait, one or more', () => {
    expect(queueFull(serverWith(1, 1))?.message).toBe('The server is busy: 1 cell is waiting. Try again in a few seconds.');
    expect(queueFull(serverWith(5, 5))?.message).toBe('The server is busy: 5 cells are waiting. Try again in a few seconds.');
    expect(queueFull(serverWith(5, 5))).toMatchObject({ code: 'queue_full' });
  });
});
