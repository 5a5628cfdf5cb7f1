// Attack: forged events on the worker's event pipe (fd 3), which the cell's own code can write
// to: JSON that parses but nests 20,000 deep where a string or a MIME bundle belongs. Formatting
// such an `error` ran String() out of stack inside the pipe's handler and ended the device (and
// with it the web server); such a `display_data` made every later write of the device's writer
// fail, leaving every running cell `running` for ever, until a retry threw and ended it.
// Must happen: each bad event is dropped with a note on the cell's stderr that names what is
// wrong with it; the cell runs on and ends normally (its last message `status: idle`); a cell
// running beside it finishes normally; the next cell runs; the server stays healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../protocol/messages';
import { replyOf, run, startCellbox, stderr, stdout, types, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, ok } from '../helpers/hostile';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '30' });
});

afterAll(async () => {
  await box?.stop();
});

/** Python that writes `events` (JSON text, `DEEP` standing for an array nested 20,000 deep) on fd 3, then prints "after". */
function forging(...events: string[]): string {
  const lines = events.map((e) => `os.write(3, (${JSON.stringify(e)}.replace("DEEP", deep) + "\\n").encode())`);
  return ['import os', 'deep = "[" * 20000 + "]" * 20000', ...lines, 'print("after")'].join('\n');
}

/** The cell ran to its end, ok, with "after" printed after the bad events, and said idle last. */
function endedNormally(ms: Message[]): void {
  expect(stdout(ms)).toBe('after\n');
  expect(replyOf(ms).status).toBe('ok');
  expect(types(ms).slice(-2)).toEqual(['execute_reply', 'status']);
  expect((ms[ms.length - 1].content as { execution_state: string }).execution_state).toBe('idle');
}

describe('forged events nested too deep', () => {
  it('an error whose ename nests 20,000 deep is dropped with a note; the device, and a cell beside it, run on', async () => {
    const beside = ok(box, 'import time\ntime.sleep(2)\nprint("beside")');
    const ms = await run(box.url, forging('{"type":"error","ename":DEEP}'));
    endedNormally(ms);
    expect(stderr(ms)).toBe('An error event this cell wrote was dropped: its ename is not a string.\n');
    expect(types(ms)).not.toContain('error');
    expect(await beside).toBe('beside\n');
    await expectRecovered(box, ['python', 'bash', 'javascript']);
  });

  it('a display whose text/plain nests 20,000 deep is dropped with a note; later writes, and a cell beside it, go on', async () => {
    const beside = ok(box, 'import time\ntime.sleep(2)\nprint("beside")');
    const ms = await run(box.url, forging('{"type":"display_data","data":{"text/plain":DEEP}}', '{"type":"display_data","data":{"text/plain":"shown"}}'));
    endedNormally(ms);
    expect(stderr(ms)).toBe("A display_data event this cell wrote was dropped: its data's text/plain is not a string.\n");
    // The display after it is shown: the writer was not stopped by the bad one.
    const shown = ms.filter((m) => m.header.msg_type === 'display_data').map((m) => (m.content as { data: unknown }).data);
    expect(shown).toEqual([{ 'text/plain': 'shown' }]);
    expect(await beside).toBe('beside\n');
    await expectRecovered(box, ['python', 'bash', 'javascript']);
  });

  it('every field a string or bounded JSON belongs in is checked, and each bad event named', async () => {
    // JSON of a JSON MIME type 99 levels deep, within the 100 allowed and far deeper than real charts.
    let nested: unknown = 1;
    for (let i = 0; i < 99; i++) nested = i % 2 ? [nested] : { a: nested };
    const ms = await run(box.url, forging(
      '{"type":"error","ename":"E","evalue":DEEP}',
      '{"type":"error","ename":"E","evalue":"v","traceback":[DEEP]}',
      '{"type":"execute_result","data":{"application/json":DEEP}}',
      '{"type":"display_data","data":{"text/plain":"x"},"metadata":{"deep":DEEP}}',
      '{"type":"update_display_data","data":{"text/plain":"x"},"transient":{"display_id":DEEP}}',
      '{"type":"stream","name":"stdout","text":DEEP}',
      `{"type":"display_data","data":{"application/vnd.vegalite.v5+json":${JSON.stringify(nested)}}}`,
    ));
    endedNormally(ms);
    expect(stderr(ms)).toBe([
      'An error event this cell wrote was dropped: its evalue is not a string.',
      'An error event this cell wrote was dropped: its traceback is not a list of strings.',
      "An execute_result event this cell wrote was dropped: its data's application/json nests deeper than 100 levels.",
      'A display_data event this cell wrote was dropped: its metadata nests deeper than 100 levels.',
      'An update_display_data event this cell wrote was dropped: its transient.display_id is not a string.',
      'A stream event this cell wrote was dropped: its name is not stdout or stderr, or its text not a string.',
      '',
    ].join('\n'));
    const shown = ms.filter((m) => m.header.msg_type === 'display_data').map((m) => (m.content as { data: unknown }).data);
    expect(shown).toEqual([{ 'application/vnd.vegalite.v5+json': nested }]);
    await expectRecovered(box, ['python']);
  });
});
