// The shared conformance suite: every language the server offers passes the same cases:
// hello world, an error, streaming order, a created file, the time limit, the output cap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILES_MIME, type Message } from '../../protocol/messages';
import { errorOf, get, messagesUntilDone, post, replyOf, run, startCellbox, stdout, types, type Cellbox } from '../helpers/cellbox';

interface LanguageCases {
  hello: string;
  failing: string;
  ename: string;
  /** Prints "one", waits about 1.5 s, prints "two". */
  streaming: string;
  /** Writes "data" to out.txt. */
  file: string;
  sleep: string;
  flood: string;
}

const LANGUAGES: Record<string, LanguageCases> = {
  python: {
    hello: 'print("hello, world")',
    failing: 'raise ValueError("bad value")',
    ename: 'ValueError',
    streaming: 'import time\nprint("one", flush=True)\ntime.sleep(1.5)\nprint("two")',
    file: 'open("out.txt", "w").write("data")',
    sleep: 'import time\ntime.sleep(60)',
    flood: 'while True: print("y" * 999)',
  },
  javascript: {
    hello: 'console.log("hello, world")',
    failing: 'throw new RangeError("bad value")',
    ename: 'RangeError',
    streaming: 'console.log("one"); setTimeout(() => console.log("two"), 1500);',
    file: 'require("fs").writeFileSync("out.txt", "data")',
    sleep: 'setTimeout(() => {}, 60000)',
    flood: 'for (;;) console.log("y".repeat(999))',
  },
  bash: {
    hello: 'echo "hello, world"',
    failing: 'echo "bad value" >&2; exit 3',
    ename: 'ExitStatus',
    streaming: 'echo one; sleep 1.5; echo two',
    file: 'printf data > out.txt',
    sleep: 'sleep 60',
    flood: 'yes yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy',
  },
};

let box: Cellbox;
let offered: string[] = [];

beforeAll(async () => {
  box = await startCellbox();
  offered = (await get(`${box.url}/api/v1/languages`)).body.map((l: { name: string }) => l.name);
});

afterAll(async () => {
  await box?.stop();
});

describe.each(Object.entries(LANGUAGES))('%s', (language, c) => {
  it('is offered', () => {
    expect(offered).toContain(language);
  });

  it('says hello, world', async () => {
    const ms = await run(box.url, c.hello, language);
    expect(stdout(ms)).toBe('hello, world\n');
    expect(types(ms)).toEqual(['status', 'execute_input', 'stream', 'execute_reply', 'status']);
    expect(replyOf(ms).status).toBe('ok');
  });

  it('reports an error with its name', async () => {
    const ms = await run(box.url, c.failing, language);
    expect(errorOf(ms)?.ename).toBe(c.ename);
    expect(replyOf(ms)).toMatchObject({ status: 'error', ename: c.ename });
    expect(types(ms).slice(-2)).toEqual(['execute_reply', 'status']);
  });

  it('streams output in order while running', async () => {
    const created = await post(`${box.url}/api/v1/cells`, { code: c.streaming, language });
    const arrivals: { text: string; at: number }[] = [];
    await messagesUntilDone(box.url, created.body.id, (batch, at) => {
      for (const m of batch) if (m.header.msg_type === 'stream') arrivals.push({ text: (m.content as { text: string }).text, at });
    });
    expect(arrivals.map((a) => a.text).join('')).toBe('one\ntwo\n');
    expect(arrivals[0].text).toBe('one\n');
    expect(arrivals[arrivals.length - 1].at - arrivals[0].at).toBeGreaterThan(700);
  });

  it('keeps a created file', async () => {
    const ms = await run(box.url, c.file, language);
    const listing = ms.find((m: Message) => m.header.msg_type === 'display_data')!;
    const files = (listing.content as { data: Record<string, { files: { name: string; url: string }[] }> }).data[FILES_MIME].files;
    expect(files.map((f) => f.name)).toEqual(['out.txt']);
    expect(await (await fetch(`${box.url}${files[0].url}`)).text()).toBe('data');
  });

  it('stops at the time limit', async () => {
    const ms = await run(box.url, c.sleep, language, { timeout: 1 });
    expect(errorOf(ms)?.ename).toBe('TimeoutError');
  });

  it('stops at the output cap', async () => {
    const ms = await run(box.url, c.flood, language);
    expect(errorOf(ms)?.ename).toBe('OutputLimitExceeded');
    expect(stdout(ms).length).toBeLessThanOrEqual(1024 * 1024);
  });
});
