// When the pool makes a replacement: at once when the last warm worker is taken (the next cell
// would wait), and only once the cell is over (and a moment after) when a spare is still warm,
// so that starting it never competes with the cell for the CPU; and when it raises a spare made
// at a low priority. The workers here are stand-ins driven by the test: this is the pool's
// timing, not a sandbox's (test/integration/pool.test.ts runs real ones).
import { describe, expect, it } from 'vitest';
import { Pool, REFILL_DELAY_MS } from '../../device/pool';
import type { Worker } from '../../device/worker';

function standIn(ready: Promise<void> = Promise.resolve()) {
  let release!: () => void;
  let exit!: () => void;
  const w = {
    hurried: 0,
    hurry: () => (w.hurried = 1), // raised or not: a worker raised twice is raised
    ready,
    exited: new Promise<{ code: number; signal: null }>((r) => (exit = () => r({ code: 0, signal: null }))),
    released: new Promise<void>((r) => (release = r)),
    kill: () => exit(),
    releaseDir: () => release(),
  };
  return { worker: w as unknown as Worker, hurried: () => w.hurried, exit, release };
}

const turns = () => new Promise((r) => setTimeout(r, 20));

/** A pool of `target` stand-ins for one language, and every worker it has made, in order. */
function standInPool(target: number, ready?: () => Promise<void>) {
  const made: ReturnType<typeof standIn>[] = [];
  const pool = new Pool(() => {
    const s = standIn(ready?.());
    made.push(s);
    return s.worker;
  }, () => {});
  pool.add('python', target);
  return { pool, made };
}

describe('the pool', () => {
  it('makes the replacement of a taken worker once its cell is over, while a spare is warm', async () => {
    const { pool, made } = standInPool(2);
    await turns();
    expect(pool.warmCount('python')).toBe(2);

    const taken = await pool.take('python');
    const first = made.find((s) => s.worker === taken)!;
    first.exit(); // the cell's process is gone, but its files and last messages are still to come
    await turns();
    expect(made).toHaveLength(2);
    first.worker.releaseDir(); // the cell is over
    // Not at once: the web server's answer and the client's next request come first. (A 0 ms
    // timer set once the release is seen runs before the pool's, however late the loop is.)
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(made).toHaveLength(2);
    const since = Date.now();
    while (made.length < 3 && Date.now() - since < 2000) await new Promise((r) => setTimeout(r, REFILL_DELAY_MS));
    expect(made).toHaveLength(3);
    expect(pool.warmCount('python')).toBe(2);
    pool.close();
  });

  it('makes it at once when the last warm worker is taken', async () => {
    const { pool, made } = standInPool(1);
    await turns();
    await pool.take('python');
    await turns();
    expect(made).toHaveLength(2);
    expect(pool.warmCount('python')).toBe(1);
    pool.close();
  });

  it('raises a warm worker it hands a cell, and every starting one when a cell must wait, and no other', async () => {
    const becomeReady: (() => void)[] = [];
    const { pool, made } = standInPool(2, () => new Promise<void>((r) => becomeReady.push(r)));
    for (const r of becomeReady.splice(0)) r();
    await turns();
    expect(pool.warmCount('python')).toBe(2);
    const taken = await pool.take('python');
    expect(made.find((m) => m.worker === taken)!.hurried()).toBe(1);
    expect(made.filter((m) => m.worker !== taken).map((m) => m.hurried())).toEqual([0]);
    // Take the spare too: replacements for both are started at once (the last warm one is
    // gone), and stay low while nobody waits for them.
    await pool.take('python');
    await turns();
    expect(made).toHaveLength(4);
    expect(made.slice(2).map((m) => m.hurried())).toEqual([0, 0]);
    // A cell that must wait raises every worker being made for this pool, the one started
    // for it included.
    const waiting = pool.take('python');
    expect(made.slice(2).map((m) => m.hurried())).toEqual([1, 1, 1]);
    for (const r of becomeReady.splice(0)) r();
    expect(await waiting).toBe(made[2].worker);
    pool.close();
  });
});
