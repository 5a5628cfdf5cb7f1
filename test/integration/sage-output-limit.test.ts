// A Sage 3D graphic under a small output limit, through the real server and device: the worker
// is told the cell's limit (workers/protocol.ts, 6) and draws the graphic as a PNG where its
// three.js page would not fit in what is left, rather than ending the cell OutputLimitExceeded.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../protocol/messages';
import { THREEJS_MIME } from '../../embed/viewer3d';
import { errorOf, run, startCellbox, untilOffered, stdout, type Cellbox } from '../helpers/cellbox';

const installed = fs.existsSync('/usr/lib/python3/dist-packages/sage');
// Room for a sphere()'s page (~100 KB) alone, not after 220 KB of text; its PNG fits either way.
const LIMIT = 300_000;
let box: Cellbox;

beforeAll(async () => {
  if (!installed) return;
  box = await startCellbox({ CELLBOX_LANGUAGES: 'python,sage', CELLBOX_OUTPUT_BYTES: String(LIMIT) });
  await untilOffered(box, ['sage']);
}, 90_000);

afterAll(async () => {
  await box?.stop();
});

const shown = (ms: Message[]) => ms.filter((m) => m.header.msg_type === 'execute_result')
  .map((m) => Object.keys((m.content as { data: Record<string, string> }).data).sort());

describe.skipIf(!installed)('a Sage 3D graphic under the output limit', () => {
  it("is its page where the page fits in what is left of the cell's output, else its PNG", async () => {
    const alone = await run(box.url, 'sphere()', 'sage');
    expect(errorOf(alone)).toBeUndefined();
    expect(shown(alone)).toEqual([[THREEJS_MIME, 'text/plain']]);

    // The same graphic after 220 KB of text: its page would pass the limit, its PNG does not.
    const after = await run(box.url, "print('x' * 220_000)\nsphere()", 'sage');
    expect(errorOf(after)).toBeUndefined();
    expect(stdout(after)).toHaveLength(220_001);
    expect(shown(after)).toEqual([['image/png', 'text/plain']]);
  }, 120_000);
});
