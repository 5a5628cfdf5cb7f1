// The shared conformance suite: every language the server offers passes the same cases:
// hello world, an error, streaming order, a created file, the time limit, the output cap.
// Python, JavaScript and Bash are always there; R, Octave, PARI/GP, GAP, Maxima, Singular, C and Fortran run when their
// runtime is installed, and always as root, where `npm test`'s set-up installs them (so a
// failed install fails here rather than skipping).
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILES_MIME, type Message } from '../../protocol/messages';
import { errorOf, get, messagesUntilDone, post, replyOf, run, startCellbox, stdout, types, type Cellbox } from '../helpers/cellbox';

interface LanguageCases {
  hello: string;
  failing: string;
  ename: string;
  /** Prints "one", waits about 1.5 s, prints "two". */
  streaming: string;
  /** Writes "data" to out.txt … */
  file: string;
  /** … or this, for a language that always ends what it writes with a newline (Singular). */
  fileText?: string;
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
  r: {
    hello: 'cat("hello, world\\n")',
    failing: 'stop("bad value")',
    ename: 'Error',
    streaming: 'cat("one\\n")\nSys.sleep(1.5)\ncat("two\\n")',
    file: 'cat("data", file = "out.txt")',
    sleep: 'Sys.sleep(60)',
    flood: 'repeat cat(strrep("y", 999), "\\n", sep = "")',
  },
  octave: {
    hello: 'disp("hello, world")',
    failing: 'error("bad value")',
    ename: 'error',
    streaming: 'disp("one")\npause(1.5)\ndisp("two")',
    file: 'fid = fopen("out.txt", "w");\nfprintf(fid, "data");\nfclose(fid);',
    sleep: 'pause(60)',
    flood: 'while true\n  disp(repmat("y", 1, 999))\nend',
  },
  gp: {
    hello: 'print("hello, world")',
    failing: 'error("bad value")',
    ename: 'PariError',
    streaming: 'print("one")\nsystem("sleep 1.5");\nprint("two")',
    file: 'f = fileopen("out.txt", "w"); filewrite1(f, "data"); fileclose(f);',
    sleep: 'system("sleep 60");',
    flood: 's = concat(vector(999, i, "y")); while(1, print(s))',
  },
  gap: {
    hello: 'Print("hello, world\\n");',
    failing: 'Error("bad value");',
    ename: 'GAPError',
    streaming: 'Print("one\\n");\nExec("sleep 1.5");\nPrint("two\\n");',
    file: 'PrintTo("out.txt", "data");',
    sleep: 'Exec("sleep 60");',
    flood: 's := ListWithIdenticalEntries(999, \'y\');;\nwhile true do Print(s, "\\n"); od;',
  },
  maxima: {
    // print() ends its line with a space: printf writes just what it is told.
    hello: 'printf(true, "hello, world~%")$',
    failing: 'error("bad value")$',
    ename: 'MaximaError',
    streaming: 'printf(true, "one~%")$\nsystem("sleep 1.5")$\nprintf(true, "two~%")$',
    file: 's: openw("out.txt")$\nprintf(s, "data")$\nclose(s)$',
    sleep: 'system("sleep 60")$',
    flood: 's: smake(999, "y")$\nwhile true do print(s)$',
  },
  singular: {
    hello: 'print("hello, world");',
    failing: 'ERROR("bad value");',
    ename: 'SingularError',
    streaming: 'print("one");\nint rc = system("sh", "sleep 1.5");\nprint("two");',
    file: 'write(":w out.txt", "data");',
    fileText: 'data\n',
    sleep: 'int rc = system("sh", "sleep 60");',
    flood: 'string s = "y"; for (int i = 1; i < 999; i++) { s = s + "y"; }\nwhile (1) { print(s); }',
  },
  c: {
    hello: '#include <stdio.h>\nint main(void) { printf("hello, world\\n"); return 0; }',
    failing: 'int main(void) { return undefined_name; }',
    ename: 'CompileError',
    streaming: '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("one\\n"); usleep(1500000); printf("two\\n"); return 0; }',
    file: '#include <stdio.h>\nint main(void) { FILE *f = fopen("out.txt", "w"); fputs("data", f); return fclose(f); }',
    sleep: '#include <unistd.h>\nint main(void) { sleep(60); return 0; }',
    flood: '#include <stdio.h>\n#include <string.h>\nint main(void) { char y[1000]; memset(y, \'y\', 999); y[999] = 0; for (;;) puts(y); }',
  },
  fortran: {
    hello: 'print "(a)", "hello, world"\nend',
    failing: 'error stop "bad value"\nend',
    ename: 'ErrorStop',
    streaming: 'print "(a)", "one"\ncall sleep(1)\nprint "(a)", "two"\nend',
    file: 'open(10, file="out.txt", status="replace", access="stream")\nwrite(10) "data"\nclose(10)\nend',
    sleep: 'call sleep(60)\nend',
    flood: 'do\n  print "(a)", repeat("y", 999)\nend do\nend',
  },
};

/** The program that shows a language's runtime is on this machine. */
const RUNTIMES: Record<string, string> = { r: '/usr/bin/R', octave: '/usr/bin/octave-cli', gp: '/usr/bin/gp', gap: '/usr/bin/gap', maxima: '/usr/bin/maxima-sage', singular: '/usr/bin/Singular', c: '/usr/bin/gcc', fortran: '/usr/bin/gfortran' };
const isRoot = process.getuid?.() === 0;
const runnable = Object.keys(LANGUAGES).filter((l) => !RUNTIMES[l] || isRoot || fs.existsSync(RUNTIMES[l]));
const skipped = Object.keys(LANGUAGES).filter((l) => !runnable.includes(l));
if (skipped.length) console.warn(`conformance: not installed here, not run: ${skipped.join(', ')} (npm test installs them when run as root)`);

let box: Cellbox;
let offered: string[] = [];

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_LANGUAGES: runnable.join(',') });
  // Each language is offered once its first worker is warm (R and Octave take a second or two).
  for (let i = 0; i < 600; i++) {
    const langs = (await get(`${box.url}/api/v1/languages`)).body as { name: string; version: string }[];
    offered = langs.filter((l) => l.version).map((l) => l.name);
    if (runnable.every((l) => offered.includes(l))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}, 90_000);

afterAll(async () => {
  await box?.stop();
});

describe.each(Object.entries(LANGUAGES).filter(([language]) => runnable.includes(language)))('%s', (language, c) => {
  it('is offered', () => {
    expect(offered).toContain(language);
  });

  it('says hello, world', async () => {
    const ms = await run(box.url, c.hello, language);
    expect(stdout(ms)).toBe('hello, world\n');
    // A runtime may write the text and its newline apart (Octave's disp does), and on a busy
    // machine the two writes can come further apart than the device's merging of chunks: one
    // or more stdout messages, then the reply.
    const streams = ms.filter((m) => m.header.msg_type === 'stream');
    expect(streams.map((m) => (m.content as { name: string }).name)).toEqual(streams.map(() => 'stdout'));
    expect(types(ms).filter((t, i, all) => t !== 'stream' || all[i - 1] !== 'stream')).toEqual(['status', 'execute_input', 'stream', 'execute_reply', 'status']);
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
    // What came before the pause is the first line (a runtime may write it in pieces).
    expect(arrivals.filter((a) => a.at - arrivals[0].at < 500).map((a) => a.text).join('')).toBe('one\n');
    expect(arrivals[arrivals.length - 1].at - arrivals[0].at).toBeGreaterThan(700);
  });

  it('keeps a created file', async () => {
    const ms = await run(box.url, c.file, language);
    const listing = ms.find((m: Message) => m.header.msg_type === 'display_data')!;
    const files = (listing.content as { data: Record<string, { files: { name: string; url: string }[] }> }).data[FILES_MIME].files;
    expect(files.map((f) => f.name)).toEqual(['out.txt']);
    expect(await (await fetch(`${box.url}${files[0].url}`)).text()).toBe(c.fileText ?? 'data');
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
