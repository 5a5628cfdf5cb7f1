// Attack: endless output, to fill the database, the device's memory and every reader's screen:
// on stdout and on stderr (through each language's own printing and through raw descriptor
// writes), as display messages (Python's display(); JavaScript writing display events straight
// onto the worker's event pipe), as junk on the event pipe, one line that never ends, and a
// flood of empty lines (the most messages for the fewest bytes).
// Must happen: each cell is stopped at the output cap (64 KiB here) with an
// `OutputLimitExceeded` error; what it wrote up to the cap arrives in order with nothing
// missing, and nothing past it; the messages stored stay few; a cell running beside them
// finishes normally; the next cell runs; the server stays healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../protocol/messages';
import { replyOf, run, startCellbox, stderr, stdout, types, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, expectStopped, ok } from '../helpers/hostile';

const CAP = 64 * 1024;
let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '30', CELLBOX_OUTPUT_BYTES: String(CAP), CELLBOX_CONCURRENCY: '8' });
});

afterAll(async () => {
  await box?.stop();
});

/** Counted lines `0\n1\n2\n…` from the start, none missing: the text is a prefix of that sequence. */
function expectCountedPrefix(text: string): void {
  const lines = text.split('\n');
  lines.pop(); // the last line may be cut at the cap
  expect(lines.length).toBeGreaterThan(100);
  lines.forEach((line, i) => {
    if (line !== String(i)) throw new Error(`line ${i} is ${JSON.stringify(line.slice(0, 40))}: output was lost or reordered`);
  });
}

function capped(ms: Message[]): void {
  expectStopped(ms, 'OutputLimitExceeded', new RegExp(`more than ${CAP} bytes of output`));
  expect(Buffer.byteLength(stdout(ms)) + Buffer.byteLength(stderr(ms))).toBeLessThanOrEqual(CAP);
}

describe('endless output', () => {
  it('on stdout and stderr, in Python, Bash and JavaScript, by print and by raw writes, is cut at the cap and nothing before it is lost', async () => {
    const beside = ok(box, 'import time\ntime.sleep(1)\nprint("beside")');
    const cells = {
      'Python print': run(box.url, 'i = 0\nwhile True:\n    print(i)\n    i += 1'),
      'Python stderr': run(box.url, 'import sys\ni = 0\nwhile True:\n    sys.stderr.write(f"{i}\\n")\n    i += 1'),
      'Python raw fd 1': run(box.url, 'import os\ni = 0\nwhile True:\n    os.write(1, f"{i}\\n".encode())\n    i += 1'),
      'Python raw fd 2': run(box.url, 'import os\ni = 0\nwhile True:\n    os.write(2, f"{i}\\n".encode())\n    i += 1'),
      'Bash stdout': run(box.url, 'i=0; while :; do echo $i; i=$((i+1)); done', 'bash'),
      'Bash stderr': run(box.url, 'i=0; while :; do echo $i >&2; i=$((i+1)); done', 'bash'),
      'JavaScript console.log': run(box.url, 'for (let i = 0; ; i++) console.log(i);', 'javascript'),
      'JavaScript stderr': run(box.url, 'for (let i = 0; ; i++) process.stderr.write(`${i}\\n`);', 'javascript'),
    };
    for (const [what, cell] of Object.entries(cells)) {
      const ms = await cell;
      capped(ms);
      const text = what.includes('stderr') || what.includes('fd 2') ? stderr(ms) : stdout(ms);
      expect(Buffer.byteLength(text), what).toBeGreaterThan(CAP / 2);
      expectCountedPrefix(text);
    }
    expect(await beside).toBe('beside\n');
    await expectRecovered(box, ['python', 'bash', 'javascript']);
  });

  it('as display messages (Python display(), JavaScript forging events on its pipe) is stopped at the cap', async () => {
    const [py, js] = await Promise.all([
      run(box.url, 'i = 0\nwhile True:\n    display({"text/plain": str(i)}, raw=True)\n    i += 1'),
      run(box.url, `const fs = require('node:fs');
for (let i = 0; ; i++) fs.writeSync(3, JSON.stringify({ type: 'display_data', data: { 'text/plain': String(i) }, metadata: {} }) + '\\n');`, 'javascript'),
    ]);
    for (const ms of [py, js]) {
      capped(ms);
      const shown = ms.filter((m) => m.header.msg_type === 'display_data').map((m) => (m.content as { data: Record<string, string> }).data['text/plain']);
      // Every display up to the cap, in order, and no more than the cap's worth.
      // Each display is charged its bytes and its message's envelope (some 500 bytes).
      expect(shown.length).toBeGreaterThan(50);
      expect(shown).toEqual(shown.map((_, i) => String(i)));
      expect(shown.length).toBeLessThan(CAP / 20);
    }
    await expectRecovered(box, ['python', 'javascript']);
  });

  it('as junk on the event pipe, one line that never ends, or a flood of empty lines, is stopped at the cap with few messages', async () => {
    const cells = {
      'Python junk events': run(box.url, 'import os\nwhile True:\n    os.write(3, b"not an event\\n")'),
      'Python event without end': run(box.url, 'import os\nwhile True:\n    os.write(3, b"x" * 4096)'),
      'Python empty lines': run(box.url, 'while True:\n    print()'),
      'Bash one endless line': run(box.url, "yes | tr -d '\\n'", 'bash'),
      'Bash empty lines': run(box.url, 'while :; do echo; done', 'bash'),
      'JavaScript junk events': run(box.url, "const fs = require('node:fs');\nwhile (true) fs.writeSync(3, '{\"type\":\"nonsense\"}\\n');", 'javascript'),
    };
    for (const [what, cell] of Object.entries(cells)) {
      const ms = await cell;
      capped(ms);
      // Consecutive stream chunks are merged: the cap bounds the messages, not just the bytes.
      expect(types(ms).length, what).toBeLessThan(5000);
    }
    await expectRecovered(box, ['python', 'bash', 'javascript']);
  });

  it('is charged in UTF-8 bytes and per message: the cap bounds what a cell stores and sends', async () => {
    const [wide, tiny, named] = await Promise.all([
      // 20,000 CJK characters are 60,000 bytes (20,000 JavaScript characters): the second such display passes the cap.
      run(box.url, "import os, json\nline = json.dumps({'type': 'display_data', 'data': {'text/plain': '\\u4e2d' * 20000}}, ensure_ascii=False) + '\\n'\nfor i in range(3):\n    os.write(3, line.encode())\nprint('still running')"),
      // 65,536 empty errors: 16 bytes each on the pipe, some 500 each as messages.
      run(box.url, "import os\nos.write(3, b'{\"type\":\"error\"}\\n' * 65536)\nprint('alive')"),
      // A display of 1,000 made-up MIME types of 10,000 characters each (10 MB of names, no
      // content): the error that names what passed the cap quoted every one of them, each
      // stored twice (the error and the reply), 16 times the cap from one cell.
      run(box.url, "import os, json\ndata = {f'a/{i}' + 'x' * 10000: '' for i in range(1000)}\nos.write(3, (json.dumps({'type': 'display_data', 'data': data}) + '\\n').encode())"),
    ]);
    expect(replyOf(named)).toMatchObject({ evalue: expect.stringMatching(/A display of [\d.]+ MiB \(a\/0x+…, a\/1x+…, a\/2x+… and 997 more\) passed that limit/) });
    for (const ms of [wide, tiny, named]) {
      const reply = replyOf(ms) as { status: string; ename?: string };
      expect(reply.status).toBe('error');
      expect(reply.ename).toBe('OutputLimitExceeded');
      expect(types(ms).slice(-2)).toEqual(['execute_reply', 'status']);
      // All it sends, as sent: within the cap, but for the opening and closing messages.
      const sent = ms.reduce((sum, m) => sum + Buffer.byteLength(JSON.stringify(m)), 0);
      expect(sent).toBeLessThanOrEqual(CAP + 8 * 1024);
      expect(stdout(ms)).toBe('');
    }
    expect(wide.filter((m) => m.header.msg_type === 'display_data')).toHaveLength(1);
    expect(types(tiny).length).toBeLessThan(CAP / 400);
    await expectRecovered(box, ['python']);
  });
});
