// The whole path of a cell over HTTP against a real web server and device: message shape and
// order, streaming, the last-expression value, errors, files, interrupt and the limits.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILES_MIME, type Message } from '../../protocol/messages';
import { errorOf, get, messagesUntilDone, post, replyOf, run, startCellbox, stderr, stdout, types, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  // No rate limit: one case sends 150 cells at once.
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '5', CELLBOX_CPU_SECONDS: '3', CELLBOX_CELLS_PER_MINUTE: '0' });
});

afterAll(async () => {
  await box?.stop();
});

describe('messages of one cell', () => {
  it('come in the Jupyter order with seq, channel and the execute_request as parent', async () => {
    const created = await post(`${box.url}/api/v1/cells`, { code: 'print("hello")', language: 'python' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'queued', messages: `/api/v1/cells/${created.body.id}/messages` });
    expect(created.body.answer).toBeUndefined(); // asked for no wait
    const ms = await messagesUntilDone(box.url, created.body.id);
    expect(types(ms)).toEqual(['status', 'execute_input', 'stream', 'execute_reply', 'status']);
    expect(ms.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(ms.map((m) => m.channel)).toEqual(['iopub', 'iopub', 'iopub', 'shell', 'iopub']);
    for (const m of ms) {
      expect((m.parent_header as { msg_id: string }).msg_id).toBe(created.body.msg_id);
      expect((m.parent_header as { msg_type: string }).msg_type).toBe('execute_request');
      expect(m.header).toMatchObject({ version: '5.3', msg_type: expect.any(String), session: expect.any(String), date: expect.any(String) });
    }
    expect(ms[0].content).toEqual({ execution_state: 'busy' });
    expect(ms[1].content).toMatchObject({ code: 'print("hello")' });
    expect(stdout(ms)).toBe('hello\n');
    expect(replyOf(ms).status).toBe('ok');
    expect(ms[4].content).toEqual({ execution_state: 'idle' });
  });

  it('stream while the code runs: the first line arrives before the second exists', async () => {
    const code = 'import time\nprint("first", flush=True)\ntime.sleep(2)\nprint("second")';
    const created = await post(`${box.url}/api/v1/cells`, { code });
    const seen: { text: string; at: number }[] = [];
    await messagesUntilDone(box.url, created.body.id, (batch, at) => {
      for (const m of batch) if (m.header.msg_type === 'stream') seen.push({ text: (m.content as { text: string }).text, at });
    });
    expect(seen.map((s) => s.text)).toEqual(['first\n', 'second\n']);
    // Arrived in separate long-poll answers, the first well before the second was printed.
    expect(seen[1].at - seen[0].at).toBeGreaterThan(1000);
  });

  it('keep everything a cell wrote just before it ended, in a sandbox of its own too', async () => {
    // Just under a pipe's 64 KiB, written last: when the worker says it is done, the bytes may
    // still be in the pipe. The cell is closed only once they are read.
    const cells = [
      ['bash', 'head -c 60000 /dev/zero | tr "\\0" x'],
      ['javascript', 'process.stdout.write("x".repeat(60000))'],
      ['python', 'print("x" * 60000, end="")'],
    ] as const;
    for (let round = 0; round < 4; round++) {
      const runs = await Promise.all(cells.map(([language, code]) => run(box.url, code, language)));
      for (const [i, ms] of runs.entries()) expect(stdout(ms), `${cells[i][0]}, round ${round}`).toBe('x'.repeat(60000));
    }
  });

  it('show the value of a last bare expression as execute_result', async () => {
    const ms = await run(box.url, 'x = 20\nx + 22');
    const result = ms.find((m) => m.header.msg_type === 'execute_result')!;
    expect(result.content).toMatchObject({ data: { 'text/plain': '42' }, execution_count: 1 });
  });

  it('turn an exception into an error message and an error reply', async () => {
    const ms = await run(box.url, 'def f():\n    return 1/0\nf()');
    expect(types(ms)).toEqual(['status', 'execute_input', 'error', 'execute_reply', 'status']);
    const e = errorOf(ms)!;
    expect(e.ename).toBe('ZeroDivisionError');
    expect(e.evalue).toBe('division by zero');
    expect(e.traceback.join('\n')).toContain('return 1/0');
    expect(replyOf(ms)).toMatchObject({ status: 'error', ename: 'ZeroDivisionError' });
  });

  it("fail a JavaScript cell whose own exit listener throws or sets process.exitCode, as node does", async () => {
    // The cell is a fork of the warm Node here: its last events are written on its way out.
    const thrown = await run(box.url, "process.on('exit', () => { throw new RangeError('at exit') })\nconsole.log('hi')", 'javascript');
    expect(types(thrown)).toEqual(['status', 'execute_input', 'stream', 'error', 'execute_reply', 'status']);
    expect(stdout(thrown)).toBe('hi\n');
    expect(errorOf(thrown)).toMatchObject({ ename: 'RangeError', evalue: 'at exit', traceback: expect.arrayContaining(['    at process.<anonymous> (<cell>:1:34)']) });
    expect(replyOf(thrown)).toMatchObject({ status: 'error', ename: 'RangeError' });
    const coded = await run(box.url, "process.on('exit', () => { process.exitCode = 3 })", 'javascript');
    expect(errorOf(coded)).toMatchObject({ ename: 'ProcessExit', evalue: 'process.exit(3)' });
    // A listener that only prints leaves the cell ok, its output before the reply.
    const printed = await run(box.url, "process.on('exit', (code) => console.log('bye', code))\nconsole.log(42)", 'javascript');
    expect(stdout(printed)).toBe('42\nbye 0\n');
    expect(replyOf(printed).status).toBe('ok');
  });

  it("end a forked JavaScript cell that declares globals the worker uses (Number, String, JSON) as any other", async () => {
    const ms = await run(box.url, 'let Number = 1; let String = "s"; const JSON = {}\nconsole.log("ran")\nprocess.exitCode = 2', 'javascript');
    expect(stdout(ms)).toBe('ran\n');
    expect(replyOf(ms)).toMatchObject({ status: 'error', ename: 'ProcessExit', evalue: 'process.exit(2)' });
  });

  it('take import declarations in a forked JavaScript cell', async () => {
    const ms = await run(box.url, 'import { basename } from "node:path"\nimport fs from "node:fs"\nconsole.log(typeof fs.statSync)\nbasename("/a/b.txt")', 'javascript');
    expect(stdout(ms)).toBe('function\n');
    expect(ms.find((m) => m.header.msg_type === 'execute_result')?.content).toMatchObject({ data: { 'text/plain': "'b.txt'" } });
  });

  it('say on stderr that a file as large as one file may be was most likely cut short at the limit', async () => {
    // The program only got "File too large" (EFBIG), with no word of the limit, and the file
    // it left was offered whole.
    const ms = await run(box.url, 'try:\n    open("huge.bin", "wb").write(b"x" * 11_000_000)\nexcept OSError as e:\n    print(e.strerror)\nopen("small.txt", "w").write("x")');
    expect(stdout(ms)).toBe('File too large\n');
    expect(stderr(ms)).toBe('huge.bin has 10485760 bytes, the most one file may hold: what was written past that was refused ("File too large"), so it may be cut short\n');
  });

  it('keep a forked JavaScript cell\'s console.log and console.error lines in the order it wrote them', async () => {
    // Written to fd 1 and 2, two pipes the device reads apart, a loop's lines came regrouped:
    // all of stdout, then all of stderr.
    const ms = await run(box.url, 'for (let i = 0; i < 50; i++) { console.log("out", i); console.error("err", i) }', 'javascript');
    const lines = ms.flatMap((m) => m.header.msg_type === 'stream' ? (m.content as { name: string; text: string }).text.split('\n').filter(Boolean).map((l) => `${(m.content as { name: string }).name}:${l}`) : []);
    expect(lines).toEqual(Array.from({ length: 50 }, (_, i) => [`stdout:out ${i}`, `stderr:err ${i}`]).flat());
  });

  it("read IPython's syntax in a forked Python cell: %%writefile's file is listed, %matplotlib inline is taken", async () => {
    const written = await run(box.url, '%%writefile notes.txt\nfirst line\n');
    expect(stdout(written)).toBe('Writing notes.txt\n');
    const files = written.find((m) => m.header.msg_type === 'display_data' && FILES_MIME in (m.content as { data: object }).data);
    expect(JSON.stringify(files)).toContain('notes.txt');
    const plotted = await run(box.url, '%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()');
    expect(errorOf(plotted)).toBeUndefined();
    expect(plotted.some((m) => m.header.msg_type === 'display_data' && 'image/png' in (m.content as { data: object }).data)).toBe(true);
  });

  it('end a forked Python cell as a script ends: its threads waited for, then its atexit handlers', async () => {
    // From the light zygote and from the one with numpy loaded, whose preloads registered
    // atexit handlers of their own: those are not the cell's and do not run.
    for (const preload of ['', 'import numpy\n']) {
      const code = `${preload}import atexit, threading, time\nprint(atexit._ncallbacks())\natexit.register(print, "bye")\n`
        + 'threading.Thread(target=lambda: (time.sleep(0.2), print("thread"))).start()';
      const ms = await run(box.url, code);
      expect(stdout(ms), preload).toBe('0\nthread\nbye\n');
      expect(replyOf(ms).status, preload).toBe('ok');
    }
    // A thread that never ends keeps the cell running into its time limit, as it keeps a script.
    const stuck = await run(box.url, 'import threading\nthreading.Thread(target=threading.Event().wait).start()\nprint("started")', 'python', { timeout: 1 });
    expect(stdout(stuck)).toBe('started\n');
    expect(errorOf(stuck)).toMatchObject({ ename: 'TimeoutError' });
  });

  it('offer display() for rich objects', async () => {
    const code = 'class H:\n    def _repr_html_(self): return "<b>hi</b>"\n    def _repr_latex_(self): return "$x^2$"\ndisplay(H())';
    const ms = await run(box.url, code);
    const d = ms.find((m) => m.header.msg_type === 'display_data')!;
    expect((d.content as { data: Record<string, string> }).data).toMatchObject({ 'text/html': '<b>hi</b>', 'text/latex': '$x^2$' });
  });
});

describe('cells side by side', () => {
  it('keep every message, numbered from 1: a cell is claimed from inside the write that ends another', async () => {
    // Three clients, cells back to back: a cell queued while another ends is claimed during
    // that end's write. Its opening messages were once dropped there (about 3% of such cells).
    const codes = ['print(1)', '1+1', 'def f():\n    return 1/0\nf()'];
    const wrong: string[] = [];
    await Promise.all([0, 1, 2].map(async (client) => {
      for (let i = 0; i < 50; i++) {
        const ms = await run(box.url, codes[(i + client) % codes.length]);
        const t = types(ms);
        const numbered = ms.every((m, k) => m.seq === k + 1);
        if (t[0] !== 'status' || t[1] !== 'execute_input' || t.at(-1) !== 'status' || !numbered) wrong.push(JSON.stringify(ms.map((m) => [m.seq, m.header.msg_type])));
      }
    }));
    expect(wrong).toEqual([]);
  });
});

describe('files a cell creates', () => {
  it('are listed before execute_reply and served byte for byte, a 5 MiB binary included', async () => {
    const seed = crypto.randomBytes(4).toString('hex');
    const code = [
      'import random',
      `random.seed("${seed}")`,
      'data = bytes(random.getrandbits(8) for _ in range(5 * 1024 * 1024))',
      'open("blob.bin", "wb").write(data)',
      'open("notes.txt", "w").write("héllo\\n")',
      'import hashlib; print(hashlib.sha256(data).hexdigest())',
    ].join('\n');
    const ms = await run(box.url, code);
    const digest = stdout(ms).trim();
    const listIdx = ms.findIndex((m) => m.header.msg_type === 'display_data' && FILES_MIME in (m.content as { data: object }).data);
    const replyIdx = ms.findIndex((m) => m.header.msg_type === 'execute_reply');
    expect(listIdx).toBeGreaterThan(0);
    expect(listIdx).toBeLessThan(replyIdx);
    const listing = (ms[listIdx].content as { data: Record<string, unknown> }).data;
    const files = (listing[FILES_MIME] as { files: { name: string; size: number; url: string; content_type: string }[] }).files;
    expect(files.map((f) => f.name)).toEqual(['blob.bin', 'notes.txt']);
    expect(listing['text/plain']).toContain('blob.bin');
    expect(listing['text/html']).toContain(`href="${files[0].url}"`);

    const blob = await fetch(`${box.url}${files[0].url}`);
    expect(blob.status).toBe(200);
    expect(blob.headers.get('content-type')).toBe('application/octet-stream');
    // Served by the web server itself, not Next.js (which drops it): a download knows its size.
    expect(blob.headers.get('content-length')).toBe(String(5 * 1024 * 1024));
    expect(blob.headers.get('x-content-type-options')).toBe('nosniff');
    expect(blob.headers.get('content-disposition')).toMatch(/^inline/);
    const bytes = Buffer.from(await blob.arrayBuffer());
    expect(bytes.length).toBe(5 * 1024 * 1024);
    expect(crypto.createHash('sha256').update(bytes).digest('hex')).toBe(digest);

    const notes = await fetch(`${box.url}${files[1].url}`);
    expect(notes.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await notes.text()).toBe('héllo\n');

    const id = ms[0].parent_header && (await get(`${box.url}${files[0].url.replace(/\/files\/([^/]+)\/.*/, '/api/v1/cells/$1')}`));
    expect(id && id.body.files.map((f: { name: string }) => f.name)).toEqual(['blob.bin', 'notes.txt']);
  });

  it('are served as UTF-8 text only when they are: a CSV in Shift_JIS has no charset, for the browser to read in its own', async () => {
    const ms = await run(box.url, 'open("表.csv", "w", encoding="cp932").write("名前,値\\n東京,1\\n")\nopen("utf8.csv", "w").write("名前\\n")');
    const listing = ms.find((m) => m.header.msg_type === 'display_data' && FILES_MIME in (m.content as { data: object }).data)!;
    const files = ((listing.content as { data: Record<string, { files: { name: string; url: string; content_type: string }[] }> }).data[FILES_MIME]).files;
    expect(files.map((f) => [f.name, f.content_type])).toEqual([['utf8.csv', 'text/csv; charset=utf-8'], ['表.csv', 'text/csv']]);
    const sjis = await fetch(`${box.url}${files[1].url}`);
    expect(sjis.headers.get('content-type')).toBe('text/csv');
    expect(new TextDecoder('shift_jis').decode(await sjis.arrayBuffer())).toBe('名前,値\n東京,1\n');
  });

  it('are never links, FIFOs or names with control characters', async () => {
    const code = [
      'import os',
      'os.symlink("/etc/passwd", "link")',
      'os.mkfifo("pipe")',
      'open("bad\\nname", "w").write("x")',
      'os.mkdir("sub")',
      'open("good.txt", "w").write("ok")',
    ].join('\n');
    const ms = await run(box.url, code);
    const listing = ms.find((m) => m.header.msg_type === 'display_data')!;
    const files = ((listing.content as { data: Record<string, { files: { name: string }[] }> }).data[FILES_MIME]).files;
    expect(files.map((f) => f.name)).toEqual(['good.txt']);
  });
});

describe('SystemExit in a Python cell, as IPython shows it', () => {
  const NOTE = 'An exception has occurred, use %tb to see the full traceback.\n';

  it('is a short note and the exception, not a traceback', async () => {
    for (const [code, evalue, line] of [
      ['import sys\nsys.exit(3)', '3', 'SystemExit: 3'],
      ['raise SystemExit("bye")', 'bye', 'SystemExit: bye'],
    ]) {
      const ms = await run(box.url, code);
      expect(errorOf(ms), code).toEqual({ ename: 'SystemExit', evalue, traceback: [NOTE, line] });
      expect(replyOf(ms), code).toMatchObject({ status: 'error', ename: 'SystemExit' });
    }
  });

  it('is an error with code 0 or none too, as in IPython', async () => {
    const ms = await run(box.url, 'import sys\nprint("bye")\nsys.exit(0)');
    expect(stdout(ms)).toBe('bye\n');
    expect(errorOf(ms)).toEqual({ ename: 'SystemExit', evalue: '0', traceback: [NOTE, 'SystemExit: 0'] });
    expect(errorOf(await run(box.url, 'import sys\nsys.exit()'))).toEqual({ ename: 'SystemExit', evalue: '', traceback: [NOTE, 'SystemExit'] });
  });

  it('leaves exit() and quit(), which leave IPython without an error, quiet', async () => {
    for (const code of ['print("a")\nexit()', 'quit()\nprint("never")']) {
      const ms = await run(box.url, code);
      expect(errorOf(ms), code).toBeUndefined();
      expect(replyOf(ms).status, code).toBe('ok');
      expect(stdout(ms), code).toBe(code.startsWith('print') ? 'a\n' : '');
    }
  });
});

describe('stopping cells', () => {
  it('interrupt ends a running cell with Interrupted', async () => {
    const created = await post(`${box.url}/api/v1/cells`, { code: 'import time\nprint("started", flush=True)\ntime.sleep(60)' });
    const id = created.body.id;
    // Wait until it really runs.
    const first = await get(`${box.url}/api/v1/cells/${id}/messages?after=2&wait=10`);
    expect(first.body.messages[0].header.msg_type).toBe('stream');
    const r = await post(`${box.url}/api/v1/cells/${id}/interrupt`, '');
    expect(r.status).toBe(202);
    const ms = await messagesUntilDone(box.url, id);
    expect(errorOf(ms)?.ename).toBe('Interrupted');
    expect(types(ms).slice(-3)).toEqual(['error', 'execute_reply', 'status']);
  });

  it('the wall-time limit ends a sleeping cell with TimeoutError', async () => {
    const ms = await run(box.url, 'import time\ntime.sleep(30)', 'python', { timeout: 1 });
    expect(errorOf(ms)?.ename).toBe('TimeoutError');
    expect(replyOf(ms).status).toBe('error');
  });

  // Any timeout over 0 is allowed; a tenth of a millisecond was rounded to none, and the
  // cell was stopped "past its 0 s limit". Now it is a millisecond, and said so.
  it('a timeout under a millisecond is one millisecond, named in milliseconds', async () => {
    const ms = await run(box.url, 'import time\ntime.sleep(30)', 'python', { timeout: 0.0001 });
    expect(errorOf(ms)).toMatchObject({ ename: 'TimeoutError', evalue: 'The cell ran longer than its 1 ms wall-time limit and was stopped.' });
  });

  it('the CPU-time limit ends a busy cell with TimeoutError', async () => {
    const ms = await run(box.url, 'while True: pass');
    expect(errorOf(ms)).toMatchObject({ ename: 'TimeoutError', evalue: expect.stringMatching(/CPU|wall/) });
  });

  it('the memory limit gives MemoryError', async () => {
    const ms = await run(box.url, 'x = bytearray(2 * 1024 * 1024 * 1024)');
    expect(errorOf(ms)?.ename).toBe('MemoryError');
  });

  // JavaScript's memory limit is tested in test/hostile/memory-bomb.test.ts, in a box without
  // this one's 3 s CPU limit: here the collector's work on a loaded machine (the whole suite at
  // once) raced that limit, and TimeoutError, which is right when it comes first, won on CI.

  it('the output cap stops endless output with OutputLimitExceeded', async () => {
    const ms = await run(box.url, 'while True: print("x" * 1000)');
    expect(errorOf(ms)?.ename).toBe('OutputLimitExceeded');
    const total = stdout(ms).length;
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(1024 * 1024);
  });

  it('says when the output cap went mostly to the messages themselves: a loop that prints and logs met it with 40 KiB of text', async () => {
    const ms = await run(box.url, 'import sys\nfor i in range(5000):\n    print("out", i)\n    print("log", i, file=sys.stderr)');
    const error = errorOf(ms)!;
    expect(error.ename).toBe('OutputLimitExceeded');
    expect(stdout(ms).length + stderr(ms).length).toBeLessThan(60_000);
    expect(error.evalue).toMatch(/^The cell wrote more than 1048576 bytes of output and was stopped\. Most of that was the cost of its [\d,]+ messages, some \d{3} bytes each besides their text \(\d+\.\d KiB in all\): a new one starts at each switch between stdout and stderr and at each display, so output written to one stream, or in fewer, larger pieces, fits far more\.$/);
    // Endless text on one stream is its own cost: no such note.
    const one = await run(box.url, 'while True: print("x" * 1000)');
    expect(errorOf(one)?.evalue).toBe('The cell wrote more than 1048576 bytes of output and was stopped.');
  });

  it('names the display that passed the output cap, which is not shown: a figure too big said only "more than 1048576 bytes of output"', async () => {
    const ms = await run(box.url, [
      'import base64, os',
      'print("before")',
      'display({"image/png": base64.b64encode(os.urandom(1_500_000)).decode(), "text/plain": "<Figure>"}, raw=True)',
      'print("after")',
    ].join('\n'));
    expect(stdout(ms)).toBe('before\n');
    expect(ms.filter((m) => m.header.msg_type === 'display_data')).toEqual([]);
    expect(errorOf(ms)).toMatchObject({
      ename: 'OutputLimitExceeded',
      evalue: 'The cell wrote more than 1048576 bytes of output and was stopped. A display of 1.9 MiB (image/png) passed that limit and is not shown: a large figure or table can be written to a file instead, which the cell\'s files list offers for download.',
    });
    // Past 16 MiB the device does not read the line as an event: what it was is not known.
    const huge = await run(box.url, 'import base64, os\ndisplay({"image/png": base64.b64encode(os.urandom(13_000_000)).decode()}, raw=True)');
    expect(errorOf(huge)?.evalue).toMatch(/stopped\. An output of at least 16\.\d MiB passed that limit and is not shown: a large figure/);
  });
});

describe('other routes', () => {
  it('POST /execute waits and answers with stdout and status', async () => {
    const r = await post(`${box.url}/api/v1/execute`, { code: 'import sys\nprint("out")\nprint("err", file=sys.stderr)' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', stdout: 'out\n', stderr: 'err\n', files: [] });
    expect((r.body.messages as Message[]).length).toBeGreaterThanOrEqual(5);
  });

  it('POST /cells?wait= answers with the first messages, as a long-poll from 0 would, and the long-poll goes on from there', async () => {
    const code = 'import time\nprint("a", flush=True)\ntime.sleep(1.5)\nprint("b")';
    const created = await post(`${box.url}/api/v1/cells?wait=25`, { code });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/api/v1/cells/${created.body.id}`);
    const { answer } = created.body;
    // It came once there were messages, long before "b": the cell is still running.
    expect(answer.done).toBe(false);
    expect(answer.messages[0]).toMatchObject({ seq: 1, header: { msg_type: 'status' }, content: { execution_state: 'busy' } });
    expect(answer.next).toBe(answer.messages.length);
    const ms = [...answer.messages, ...(await messagesUntilDone(box.url, created.body.id, undefined, answer.next))];
    expect(ms.map((m) => m.seq)).toEqual(ms.map((_, i) => i + 1));
    expect(types(ms)).toEqual(['status', 'execute_input', 'stream', 'stream', 'execute_reply', 'status']);
    expect(stdout(ms)).toBe('a\nb\n');
    for (const m of ms) expect((m.parent_header as { msg_id: string }).msg_id).toBe(created.body.msg_id);
  });

  it('POST /cells takes form-encoded bodies', async () => {
    const r = await post(`${box.url}/api/v1/cells`, 'code=print(1%2B1)&language=python', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(201);
    expect(stdout(await messagesUntilDone(box.url, r.body.id))).toBe('2\n');
  });

  it('GET /poll follows many cells in one request', async () => {
    const a = await post(`${box.url}/api/v1/cells`, { code: 'print("a")' });
    const b = await post(`${box.url}/api/v1/cells`, { code: 'echo b', language: 'bash' });
    const after: Record<string, number> = { [a.body.id]: 0, [b.body.id]: 0 };
    const done = new Set<string>();
    const out: Record<string, string> = { [a.body.id]: '', [b.body.id]: '' };
    for (let i = 0; i < 50 && done.size < 2; i++) {
      const q = Object.entries(after).map(([id, n]) => `c=${id}:${n}`).join('&');
      const r = await get(`${box.url}/api/v1/poll?${q}&wait=10`);
      expect(r.status).toBe(200);
      for (const [id, ans] of Object.entries(r.body.cells as Record<string, { messages: Message[]; next: number; done: boolean }>)) {
        out[id] += stdout(ans.messages);
        after[id] = ans.next;
        // A done cell is dropped from the next poll, as a client does: the poll answers at
        // once while any cell named is done, and 50 of those went by before the other ended.
        if (ans.done) {
          done.add(id);
          delete after[id];
        }
      }
    }
    expect(out).toEqual({ [a.body.id]: 'a\n', [b.body.id]: 'b\n' });
  });

  it('GET /cells/:id describes the cell', async () => {
    const r = await post(`${box.url}/api/v1/cells`, { code: '1' });
    await messagesUntilDone(box.url, r.body.id);
    const c = await get(`${box.url}/api/v1/cells/${r.body.id}`);
    expect(c.body).toMatchObject({ id: r.body.id, language: 'python', status: 'done', files: [] });
    expect(Date.parse(c.body.finished)).toBeGreaterThanOrEqual(Date.parse(c.body.started));
  });

  it('GET /languages lists python, javascript and bash with versions', async () => {
    const r = await get(`${box.url}/api/v1/languages`);
    expect(r.body.map((l: { name: string }) => l.name)).toEqual(['python', 'javascript', 'bash']);
    for (const l of r.body) expect(l).toMatchObject({ display_name: expect.any(String), version: expect.stringMatching(/\d/), file_extension: expect.any(String), codemirror_mode: expect.any(String) });
  });

  it('GET /healthz reports the device alive', async () => {
    const r = await get(`${box.url}/healthz`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', database: 'ok', device: { alive: true } });
  });

  it('CORS is open by default', async () => {
    const res = await fetch(`${box.url}/api/v1/languages`, { headers: { Origin: 'https://example.org' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const pre = await fetch(`${box.url}/api/v1/cells`, { method: 'OPTIONS', headers: { Origin: 'https://example.org', 'Access-Control-Request-Method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('the page at / is HTML that mounts the cell, and says what to do without JavaScript', async () => {
    // The editor itself is built in the browser: test/e2e/page.test.ts types into it.
    const res = await fetch(`${box.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<title>Cellbox</title>');
    expect(html).toContain('class="cell-host"');
    expect(html).toMatch(/<noscript>.*api\/v1\/execute.*<\/noscript>/s);
    // It names the languages this server runs (this one: Python, JavaScript and Bash).
    const names = ((await get(`${box.url}/api/v1/languages`)).body as { display_name: string }[]).map((l) => l.display_name);
    expect(names).toHaveLength(3);
    expect(html).toContain(`Run ${names[0]}, ${names[1]}, or ${names[2]} in a private sandbox.`);
    // It names its icon, which is served: without one a browser asks for /favicon.ico, a 404.
    // So does the embedding guide, plain HTML outside the app's layout.
    const guide = await (await fetch(`${box.url}/embed`)).text();
    for (const page of [html, guide]) {
      const icon = /<link rel="icon" href="([^"]+)"/.exec(page)?.[1];
      expect(icon).toBeDefined();
      const got = await fetch(new URL(icon!, box.url));
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    }
  });
});
