// Attack: take the machine's CPU from every other cell: one cell starts 60 busy processes, each
// in a session of its own (setsid). With the kernel's autogroups, each session was scheduled as
// a peer of every other cell, so the 60 took some 60/61 of the CPU, and a trivial cell beside
// them took seconds, or finished only once the busy cell was stopped at its time limit.
// Must happen: each cell has an equal share of the CPU whatever its processes and sessions, so a
// dozen trivial Python, Bash and JavaScript cells run beside the busy one finish while it runs
// (its time limit is 30 s), well within a third of it; the busy cell then ends at its wall time
// with a TimeoutError, and the server recovers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagesUntilDone, post, stdout, type Cellbox, startCellbox } from '../helpers/cellbox';
import { expectRecovered, expectStopped, ok, type Language } from '../helpers/hostile';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox();
});

afterAll(async () => {
  await box?.stop();
});

/** Its wall-time limit: long, so that cells beside it that waited for its end show plainly. */
const HOG_SECONDS = 30;
/** As many busy processes as the process limit (64) allows, each in a session of its own. */
const HOG = `for i in $(seq 60); do setsid sh -c 'while :; do :; done' & done
echo up
wait`;
/**
 * Trivial cells run one after another beside it: on this loaded VM, each took some 2 s before
 * (22.5 s for all twelve), some 80 ms with a CPU group per cell (1 s for all). All of them must
 * finish within this, a third of its time limit.
 */
const BESIDE_MS = 10_000;

/** Trivial cells, four in each language, run one after another. */
const TRIVIAL = ([
  ['python', 'print(6 * 7)'],
  ['bash', 'echo $((6 * 7))'],
  ['javascript', 'console.log(6 * 7)'],
] as Array<[Language, string]>).flatMap((cell) => [cell, cell, cell, cell]);

describe('CPU share', () => {
  it('60 busy processes in sessions of their own leave the CPU to the cells beside them', async () => {
    const posted = await post(`${box.url}/api/v1/cells`, { code: HOG, language: 'bash', timeout: HOG_SECONDS });
    expect(posted.status).toBe(201);
    let hogRunning!: () => void;
    const started = new Promise<void>((resolve) => (hogRunning = resolve));
    let hogOver = false;
    const hog = messagesUntilDone(box.url, posted.body.id, (batch) => {
      if (stdout(batch).includes('up')) hogRunning();
    }).finally(() => {
      hogOver = true;
      hogRunning();
    });
    // Awaited below; a test failing before then stops the server under it.
    hog.catch(() => {});
    await started;
    expect(hogOver, 'the busy cell ended before it had started its processes').toBe(false);
    // A moment for its processes to be running, all of them.
    await new Promise((r) => setTimeout(r, 500));
    const since = Date.now();
    for (const [language, code] of TRIVIAL) expect(await ok(box, code, language), language).toBe('42\n');
    const took = Date.now() - since;
    expect(hogOver, `the cells beside the busy one finished only once it was stopped`).toBe(false);
    expect(took, `${TRIVIAL.length} trivial cells beside the busy one took ${took} ms`).toBeLessThan(BESIDE_MS);
    expectStopped(await hog, 'TimeoutError', /wall-time/);
    await expectRecovered(box, ['python', 'bash', 'javascript']);
  });
});
