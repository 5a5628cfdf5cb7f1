// When the pool makes a replacement: at once when the last warm worker is taken (the next cell
// would wait), and only once the cell is over when a spare is still warm, so that starting it
// never competes with the cell for the CPU. The workers here are stand-ins driven by the test:
// this is the pool's timing, not a sandbox's (test/integration/pool.test.ts runs real ones).
import { describe, expect, it } from 'vitest';
import { Pool } from '../../device/pool';
import type { Worker } from '../../device/worker';

function standIn() {
  let release!: () => void;
  let exit!: () => void;
  const w = {
    ready: Promise.resolve(),
    exited: new Promise<{ code: number; signal: null }>((r) => (exit = () => r({ code: 0, signal: null }))),
    released: new Promise<void>((r) => (release = r)),
    kill: () => exit(),
    releaseDir: () => release(),
  };
  return { worker: w as unknown as Worker, exit, release };
}

const turns = () => new Promise((r) => setTimeout(r, 20));

/** A pool of `target` stand-ins for one language, and every worker it has made, in order. */
function standInPool(target: number) {
  const made: ReturnType<typeof standIn>[] = [];
  const pool = new Pool(() => {
    const s = standIn();
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
    await turns();
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
});
