// Linked cells over HTTP against a real web server, device and sandboxes: a cell's `linked` (the
// code of the linked cells before it on its page) is taken, checked, kept and shown by GET
// /cells/:id, and its worker runs that code first, in the cell's own fresh process, with its
// output hidden; the first that fails is named, and the cell's own code does not run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERACT_MIME } from '../../protocol/interact';
import { MAX_LINKED_CELLS, MAX_LINKED_TOTAL_BYTES } from '../../protocol/limits';
import { FILES_MIME, type DisplayDataContent, type Message } from '../../protocol/messages';
import { errorOf, get, messagesUntilDone, post, replyOf, run, startCellbox, stderr, stdout, types, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_CELLS_PER_MINUTE: '0' });
});

afterAll(async () => {
  await box?.stop();
});

const json = { 'Content-Type': 'application/json' };
const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

describe('the linked field', () => {
  it('is kept with the cell and shown by GET /cells/:id; null when not given or empty', async () => {
    const linked = ['def sq(n):\n    return n * n', 'k = sq(3)'];
    const created = await post(`${box.url}/api/v1/cells`, { code: 'print(sq(k))', linked });
    expect(created.status).toBe(201);
    await messagesUntilDone(box.url, created.body.id);
    expect((await get(`${box.url}/api/v1/cells/${created.body.id}`)).body).toMatchObject({ id: created.body.id, status: 'done', linked });

    // And such a cell runs alone, as any cell.
    for (const body of [{ code: 'print(1)' }, { code: 'print(1)', linked: null }, { code: 'print(1)', linked: [] }]) {
      const r = await post(`${box.url}/api/v1/cells`, body);
      expect(r.status).toBe(201);
      expect(stdout(await messagesUntilDone(box.url, r.body.id))).toBe('1\n');
      expect((await get(`${box.url}/api/v1/cells/${r.body.id}`)).body.linked).toBeNull();
    }
  });

  it('comes as JSON text in a form, and is taken by /execute', async () => {
    const formed = await post(`${box.url}/api/v1/execute`, `code=print(a%2B1)&linked=${encodeURIComponent('["a = 41"]')}`, form);
    expect(formed.status).toBe(200);
    expect(formed.body).toMatchObject({ status: 'ok', stdout: '42\n', stderr: '' });
    expect((await get(`${box.url}/api/v1/cells/${formed.body.id}`)).body.linked).toEqual(['a = 41']);
    const executed = await post(`${box.url}/api/v1/execute`, { code: 'print(b)', linked: ['b = "from above"'] });
    expect(executed.body).toMatchObject({ status: 'ok', stdout: 'from above\n' });
  });

  const cases: { name: string; body: string; headers?: Record<string, string>; status: number; message: RegExp }[] = [
    { name: 'a string', body: '{"code": "1", "linked": "a = 1"}', status: 400, message: /^linked must be a list of the code of the linked cells before this one, one string each in page order, not string$/ },
    { name: 'an object', body: '{"code": "1", "linked": {"0": "a = 1"}}', status: 400, message: /^linked must be a list .* not an object$/ },
    { name: 'a list holding a number', body: '{"code": "1", "linked": ["a = 1", 2]}', status: 400, message: /^linked\[1\] must be the code of a cell, as a string, not number$/ },
    { name: 'a list holding null', body: '{"code": "1", "linked": [null]}', status: 400, message: /^linked\[0\] must be the code of a cell, as a string, not null$/ },
    { name: 'a lone surrogate', body: '{"code": "1", "linked": ["s = \\"\\ud800\\""]}', status: 400, message: /^linked\[0\] holds half of a UTF-16 surrogate pair/ },
    { name: 'a form field that is not JSON', body: 'code=1&linked=a%3D1', headers: form, status: 400, message: /^The form field linked must be JSON text: / },
    // Refused, not run alone: the cell was sent to use what the cells before it define.
    { name: 'a Bash cell', body: '{"code": "echo $a", "language": "bash", "linked": ["a=1"]}', status: 400, message: /^linked cells are for python and sage cells; a bash cell runs alone, so leave linked out\.$/ },
    { name: 'a JavaScript cell through /execute', body: '{"code": "a", "language": "javascript", "linked": ["let a = 1"]}', status: 400, message: /^linked cells are for python and sage cells; a javascript cell runs alone/ },
    { name: `${MAX_LINKED_CELLS + 1} cells`, body: JSON.stringify({ code: '1', linked: Array(MAX_LINKED_CELLS + 1).fill('a = 1') }), status: 413, message: new RegExp(`^linked holds the code of ${MAX_LINKED_CELLS + 1} cells; the limit is ${MAX_LINKED_CELLS}\\.$`) },
    { name: 'one code over 64 KiB', body: JSON.stringify({ code: '1', linked: ['a = 1', 'x'.repeat(64 * 1024 + 1)] }), status: 413, message: /^linked\[1\] is 65537 bytes; the limit for a cell's code is 65536\.$/ },
    {
      name: 'code and linked together over the limit',
      body: JSON.stringify({ code: '#'.repeat(10), linked: Array(4).fill('#'.repeat(64 * 1024)) }),
      status: 413,
      message: new RegExp(`^linked and code are ${4 * 64 * 1024 + 10} bytes together; the limit is ${MAX_LINKED_TOTAL_BYTES}\\.$`),
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}, naming linked, and queues nothing`, async () => {
      const path = c.name.includes('/execute') ? '/api/v1/execute' : '/api/v1/cells';
      const r = await post(`${box.url}${path}`, c.body, c.headers ?? json);
      expect(r.status).toBe(c.status);
      expect(r.body.error.code).toBe(c.status === 413 ? 'too_large' : 'invalid_field');
      expect(r.body.error.message).toMatch(c.message);
    });
  }

  it('takes linked code and code together just within the limit', async () => {
    const own = 'print(len(big))';
    const filler = MAX_LINKED_TOTAL_BYTES - own.length - 4 * 64 * 1024 + 64 * 1024;
    // Three cells of 64 KiB of comment and one that makes `big`, all at the limit together.
    const big = `big = "${'y'.repeat(filler - 'big = ""'.length)}"`;
    const linked = [...Array(3).fill('#'.repeat(64 * 1024)), big];
    const r = await post(`${box.url}/api/v1/execute`, { code: own, linked });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', stdout: `${filler - 'big = ""'.length}\n` });
  });
});

describe('a linked Python cell', () => {
  it('uses what the code before it defined, in order', async () => {
    const ms = await run(box.url, 'print(sq(k), greeting)', 'python', {
      linked: ['def sq(n):\n    return n * n', 'k = sq(3)\ngreeting = "hi"', 'greeting = greeting + "!"'],
    });
    expect(errorOf(ms)).toBeUndefined();
    expect(stdout(ms)).toBe('81 hi!\n');
  });

  it("shows none of the earlier code's output, in any way it was written; its files are the cell's", async () => {
    const earlier = [
      'print("printed above")\nimport sys\nprint("warned above", file=sys.stderr)',
      'import os, subprocess\nos.write(1, b"raw above\\n")\nsubprocess.run(["echo", "child above"])',
      'display({"shown": "above"})\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nopen("made-above.txt", "w").write("above")\n"a value above"',
    ];
    const ms = await run(box.url, 'print(open("made-above.txt").read(), "and below")', 'python', { linked: earlier });
    expect(stdout(ms)).toBe('above and below\n');
    expect(stderr(ms)).toBe('');
    // The figure the earlier code left open is not shown at the end either: only the files.
    expect(types(ms)).toEqual(['status', 'execute_input', 'stream', 'display_data', 'execute_reply', 'status']);
    const files = (ms[3].content as DisplayDataContent).data[FILES_MIME] as { files: { name: string }[] };
    expect(files.files.map((f) => f.name)).toEqual(['made-above.txt']);
  });

  it('names the earlier cell that failed, with its error and its own lines, and does not run its own code', async () => {
    const ms = await run(box.url, 'print("own code", c)', 'python', { linked: ['a = 1', 'print("second")\nb = a + missing', 'c = 3'] });
    const error = errorOf(ms)!;
    expect(error.ename).toBe('LinkedCellError');
    expect(error.evalue).toBe("linked cell 2 of the 3 above this one failed with NameError: name 'missing' is not defined");
    expect(error.traceback[0]).toBe('The linked cell 2 of the 3 above this one failed, so this cell did not run:');
    expect(error.traceback.join('\n')).toContain('File "<linked cell 2>", line 2, in <module>\n    b = a + missing');
    expect(stdout(ms)).toBe('');
    expect(replyOf(ms).status).toBe('error');
  });

  it('names an earlier syntax error, and an earlier sys.exit(); an earlier exit() ends that code quietly', async () => {
    const syntax = errorOf(await run(box.url, 'print(1)', 'python', { linked: ['x = (1,'] }))!;
    expect(syntax).toMatchObject({ ename: 'LinkedCellError', evalue: expect.stringMatching(/^linked cell 1 of the 1 above this one failed with SyntaxError: '\(' was never closed/) });
    expect(syntax.traceback.join('\n')).toContain('File "<linked cell 1>", line 1\n    x = (1,');
    const exited = errorOf(await run(box.url, 'print(1)', 'python', { linked: ['import sys\nsys.exit(3)'] }))!;
    expect(exited).toMatchObject({ ename: 'LinkedCellError', evalue: 'linked cell 1 of the 1 above this one failed with SystemExit: 3' });
    const quiet = await run(box.url, 'print(a, b)', 'python', { linked: ['a = 1\nexit()\na = 2', 'b = 3'] });
    expect(stdout(quiet)).toBe('1 3\n');
  });

  it("keeps the line numbers of the cell's own error, and shows a linked cell's function where it fails", async () => {
    const own = errorOf(await run(box.url, 'print(x)\n1/0', 'python', { linked: ['x = 1\ny = 2\nz = 3\n'] }))!;
    expect(own.ename).toBe('ZeroDivisionError');
    expect(own.traceback.join('\n')).toContain('File "<cell>", line 2, in <module>\n    1/0');
    const inner = errorOf(await run(box.url, 'n = 0\nhalf(n)', 'python', { linked: ['# halves\ndef half(n):\n    return 1 / n'] }))!;
    const text = inner.traceback.join('\n');
    expect(text).toContain('File "<cell>", line 2, in <module>\n    half(n)');
    expect(text).toContain('File "<linked cell 1>", line 3, in half\n    return 1 / n');
  });

  it('is stopped in the earlier code by Stop, which shows where, and ends there on its time limit', async () => {
    const created = await post(`${box.url}/api/v1/cells`, { code: 'print("own code")', linked: ['a = 1', 'import time\nprint("sleeping")\ntime.sleep(20)'] });
    // The earlier code shows nothing: its cell has started once execute_input is written, and
    // is asleep in the second linked cell a moment later.
    for (let i = 0; i < 100; i++) {
      const seen = await get(`${box.url}/api/v1/cells/${created.body.id}/messages?after=0&wait=1`);
      if (types(seen.body.messages).includes('execute_input')) break;
    }
    await new Promise((r) => setTimeout(r, 1000));
    expect((await post(`${box.url}/api/v1/cells/${created.body.id}/interrupt`, '')).status).toBe(202);
    const ms = await messagesUntilDone(box.url, created.body.id);
    // The error came through: the event pipe was the cell's again when the interrupt was raised.
    expect(errorOf(ms)).toMatchObject({ ename: 'Interrupted' });
    expect(errorOf(ms)!.traceback.join('\n')).toContain('File "<linked cell 2>", line 3, in <module>\n    time.sleep(20)');
    expect(stdout(ms)).toBe('');

    const timed = await run(box.url, 'print("own code")', 'python', { linked: ['while True:\n    pass'], timeout: 1 });
    expect(errorOf(timed)).toMatchObject({ ename: 'TimeoutError' });
    expect(stdout(timed)).toBe('');
  });

  it("hides the bytes a thread of the earlier code writes to fd 1 itself, and keeps the cell's own, in order", async () => {
    const spam = 'import os, threading, time\ndef spam():\n    while True:\n        os.write(1, b"raw spam\\n")\n        time.sleep(0.02)\nthreading.Thread(target=spam, daemon=True).start()';
    const ms = await run(box.url, 'import os, time\nos.write(1, b"own 1\\n")\ntime.sleep(0.3)\nos.write(1, b"own 2\\n")', 'python', { linked: [spam] });
    expect(errorOf(ms)).toBeUndefined();
    expect(stdout(ms)).toBe('own 1\nown 2\n');
  });

  it('names the earlier cell that ended the process with os._exit(), and one that ran out of memory', async () => {
    const exited = errorOf(await run(box.url, 'print("own code")', 'python', { linked: ['a = 1', 'import os\nos._exit(3)'] }))!;
    expect(exited).toEqual({
      ename: 'LinkedCellError',
      evalue: 'linked cell 2 of the 2 above this one ended the process with os._exit(3)',
      traceback: [
        'The linked cell 2 of the 2 above this one ended the process with os._exit(3), so this cell did not run:',
        'Traceback (most recent call last):',
        '  File "<linked cell 2>", line 2, in <module>\n    os._exit(3)',
        'os._exit(3)',
      ],
    });
    const memory = errorOf(await run(box.url, 'print("own code")', 'python', { linked: ['big = bytearray(1 << 50)'] }))!;
    expect(memory).toMatchObject({ ename: 'LinkedCellError', evalue: 'linked cell 1 of the 1 above this one failed with MemoryError' });
    expect(memory.traceback.join('\n')).toContain('File "<linked cell 1>", line 1, in <module>');
  });

  it("runs an earlier cell's interact at its defaults, hidden; the values and the ids are the cell's own", async () => {
    const ms = await run(box.url, '@interact\ndef g(m=(0, 10)):\n    print("own", m, seen)', 'python', {
      linked: ['seen = []\n@interact\ndef f(n=(0, 10)):\n    seen.append(n)'],
      interact: { 0: { m: 7 } },
    });
    const bundles = ms.filter((m: Message) => m.header.msg_type === 'display_data').map((m) => (m.content as DisplayDataContent).data[INTERACT_MIME]);
    expect(bundles).toEqual([expect.objectContaining({ id: '0', controls: [expect.objectContaining({ name: 'm', value: 7 })] })]);
    expect(stdout(ms)).toBe('own 7 [5]\n');
  });
});
