// Bytes a cell writes that are not UTF-8 text: each is shown (as U+FFFD), none is lost, whether
// in the middle of its output or as the last bytes it wrote before it ended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replyOf, run, startCellbox, stderr, stdout, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '10' });
});

afterAll(async () => {
  await box?.stop();
});

describe('output that is not UTF-8', () => {
  it('shows a character cut short at the very end of stdout and stderr as U+FFFD, not nothing', async () => {
    // "abc" then the first two bytes of "€" (E2 82 AC): the cell ends before the third.
    const cells = [
      ['bash', 'printf "abc\\xe2\\x82"; printf "def\\xe2" >&2'],
      ['python', 'import os\nos.write(1, b"abc\\xe2\\x82")\nos.write(2, b"def\\xe2")'],
    ] as const;
    for (const [language, code] of cells) {
      const ms = await run(box.url, code, language);
      expect(replyOf(ms).status, language).toBe('ok');
      expect(stdout(ms), language).toBe('abc\ufffd');
      expect(stderr(ms), language).toBe('def\ufffd');
    }
  });

  it('joins a character split across two writes, and marks invalid bytes in the middle', async () => {
    const ms = await run(box.url, 'printf "\\xe2"; sleep 0.3; printf "\\x82\\xac|\\xff|\\n"', 'bash');
    expect(stdout(ms)).toBe('€|\ufffd|\n');
  });
});
