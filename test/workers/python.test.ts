// Tests of the Python language worker (workers/python/kernel.py), run outside the sandbox.
import { describe, it, expect } from 'vitest';
import { eventsOf, lastEvent, runWorker, streamText } from './run-worker';

const run = (code: string, options?: Parameters<typeof runWorker>[2]) => runWorker('python', code, options);

describe('python worker', () => {
  it('says ready first, runs the code, ends with done and exit code 0', async () => {
    const r = await run('print("hello, world")');
    expect(r.events[0]).toEqual({ type: 'ready', language: 'python', version: expect.stringMatching(/^3\.\d+\.\d+$/), interrupt: true, options: true });
    expect(streamText(r, 'stdout')).toBe('hello, world\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(r.badLines).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('closes its pipes when the cell is done, before it exits', async () => {
    // An exit unmaps the process's memory before its descriptors close (milliseconds for a cell
    // forked from a big zygote): the pipes end first, so the device sees the end at once. Here the
    // cell's own os._exit stands still for a while, to show the order.
    const r = await run('import os, time\nos._exit = lambda status: time.sleep(1)\nprint("ok")');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(['R', 'S']).toContain(r.stateAtEventsEnd);
  });

  it('sends stderr as stream events, subprocess output on the raw descriptors', async () => {
    const r = await run('import sys, subprocess\nprint("oops", file=sys.stderr)\nsubprocess.run(["echo", "raw"])');
    expect(streamText(r, 'stderr')).toBe('oops\n');
    expect(r.stdout).toBe('raw\n');
  });

  it('takes bytes on sys.stdout.buffer and sys.stderr.buffer, as a script does, in order with print()', async () => {
    // An AttributeError before. A character split between two writes stays whole; a byte that is
    // not UTF-8 shows as U+FFFD, as on a UTF-8 terminal.
    const r = await run('import sys\nsys.stdout.buffer.write(b"\\xff ok \\xc3")\nsys.stdout.buffer.write(b"\\xa9\\n")\nprint("then")\nsys.stderr.buffer.write("é\\n".encode())');
    expect(streamText(r, 'stdout')).toBe('\ufffd ok é\nthen\n');
    expect(streamText(r, 'stderr')).toBe('é\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('shows the start of a character on .buffer whose rest never came as U+FFFD, before the text after it and at the end', async () => {
    // Held back for the rest of the character, and then dropped: the text after it, or the end of
    // the cell, came as if those bytes had never been written.
    const r = await run('import sys\nsys.stdout.buffer.write(b"a\\xe3\\x81")\nprint("b")\nsys.stdout.buffer.write(b"c\\xf0\\x9f\\x98")\nsys.stderr.buffer.write(b"d\\xe3");');
    expect(streamText(r, 'stdout')).toBe('a\ufffdb\nc\ufffd');
    expect(streamText(r, 'stderr')).toBe('d\ufffd');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    // One cut between two writes is still one character, a flush between them or not.
    const split = await run('import sys\nb = "日".encode()\nsys.stdout.buffer.write(b[:1])\nsys.stdout.flush()\nsys.stdout.buffer.write(b[1:])');
    expect(streamText(split, 'stdout')).toBe('日');
  });

  it('writes what the cell prints to sys.__stdout__ on fd 1 line by line, in order with os.write and subprocesses', async () => {
    // Block-buffered before: it came after everything else the cell wrote on fd 1, at its end.
    const r = await run('import os, subprocess, sys\nsys.__stdout__.write("one\\n")\nos.write(1, b"two\\n")\nprint("three", file=sys.__stdout__)\nsubprocess.run(["echo", "four"])');
    expect(r.stdout).toBe('one\ntwo\nthree\nfour\n');
  });

  it('shows the value of a last bare expression as execute_result', async () => {
    const r = await run('x = 20\nx + 22');
    expect(eventsOf(r, 'execute_result')).toEqual([{ type: 'execute_result', data: { 'text/plain': '42' }, metadata: {} }]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('shows no result for None, a trailing semicolon or a last statement', async () => {
    for (const code of ['None', '1 + 1;', 'x = 1', 'print("p")  # comment', '1 + 1 ;  # note', 'é = 2\n(é,\n é);', '1 \\\n;', 'x = 1\r\nx;\r\n']) {
      const r = await run(code);
      expect(eventsOf(r, 'execute_result'), code).toEqual([]);
      expect(lastEvent(r), code).toEqual({ type: 'done', status: 'ok' });
    }
  });

  it("lays out a long list, dict, tuple or set over lines as IPython's pretty printer does, the first 1000 items", async () => {
    const shown = async (code: string) => (eventsOf(await run(code), 'execute_result')[0]?.data['text/plain'] as string);
    expect(await shown('list(range(30))')).toBe(`[${Array.from({ length: 30 }, (_, i) => i).join(',\n ')}]`);
    // Nested containers indent by depth, as IPython's do; what fits stays on one line.
    expect(await shown('{"short": [1, 2], "long": list(range(20)), "s": {3, 1, 2}}'))
      .toBe(`{'short': [1, 2],\n 'long': [${Array.from({ length: 20 }, (_, i) => i).join(',\n  ')}],\n 's': {1, 2, 3}}`);
    expect(await shown('(1,), [], frozenset(), {"a": "b"}')).toBe("((1,), [], frozenset(), {'a': 'b'})");
    const long = await shown('list(range(1005))');
    expect(long.split('\n')).toHaveLength(1001);
    expect(long.endsWith(' 999,\n ...]')).toBe(true);
    expect(await shown('x = [1]\nx.append(x)\nx')).toBe('[1, [...]]');
    // Other objects keep their repr, strings unsplit however long.
    expect(await shown('"a" * 100')).toBe(`'${'a'.repeat(100)}'`);
  });

  it("lays out containers as IPython.lib.pretty does, on 300 random ones", async () => {
    // The kernel's pretty() stands in for IPython's (whose import would cost every cell ~0.3 s):
    // held against the real one, from the cell, on nested lists, tuples, dicts, sets and scalars.
    const code = [
      'import random, sys',
      'from IPython.lib.pretty import pretty as ipython_pretty',
      'ours = sys.modules["cellbox_kernel"].pretty',
      'rng = random.Random(5)',
      'def value(depth):',
      '    kind = rng.randrange(8 if depth < 3 else 3)',
      '    if kind == 0: return rng.randrange(-10**rng.randrange(1, 12), 10**rng.randrange(1, 12))',
      '    if kind == 1: return "".join(rng.choice("ab c\'é" + chr(34)) for _ in range(rng.randrange(0, 30)))',
      '    if kind == 2: return rng.choice([None, True, 1.5, -0.25])',
      '    n = rng.randrange(0, 25)',
      '    if kind == 3: return [value(depth + 1) for _ in range(n)]',
      '    if kind == 4: return tuple(value(depth + 1) for _ in range(n))',
      '    if kind == 5: return {rng.randrange(1000): value(depth + 1) for _ in range(n)}',
      '    if kind == 6: return {rng.randrange(1000) for _ in range(n)}',
      '    return {"k" + str(i): value(depth + 1) for i in range(n)}',
      'cases = [value(0) for _ in range(300)]',
      'bad = [c for c in cases if ours(c) != ipython_pretty(c)]',
      'print(len(cases), "cases;", len(bad), "differ")',
      'print(repr(bad[:1]))',
    ].join('\n');
    const r = await run(code);
    expect(streamText(r, 'stdout')).toBe('300 cases; 0 differ\n[]\n');
  });

  it('shows the result when a ";" is only in a string or a comment after it, or ends an earlier statement', async () => {
    for (const [code, shown] of [['"a;b"', "'a;b'"], ['é = 3  # ;\né  # ;', '3'], ['x = 4; x', '4'], ['(1,\n 2)  # x;', '(1, 2)']]) {
      const [result] = eventsOf(await run(code), 'execute_result');
      expect(result?.data['text/plain'], code).toBe(shown);
    }
  });

  it('gives a result text/latex from _repr_latex_', async () => {
    const r = await run('class F:\n    def _repr_latex_(self):\n        return "$x^2$"\nF()');
    const [result] = eventsOf(r, 'execute_result');
    expect(result.data['text/latex']).toBe('$x^2$');
    expect(result.data['text/plain']).toMatch(/<__main__\.F object at/);
  });

  it('runs top-level await', async () => {
    const r = await run('import asyncio\nawait asyncio.sleep(0.01)\nawait asyncio.sleep(0, result=7)');
    expect(eventsOf(r, 'execute_result')[0].data).toEqual({ 'text/plain': '7' });
  });

  it('runs the code as __main__ with the cell in linecache and stdin at /dev/null', async () => {
    const r = await run('import os, sys\nprint(__name__, repr(sys.stdin.read()), os.readlink("/proc/self/fd/0"))');
    expect(streamText(r, 'stdout')).toBe("__main__ '' /dev/null\n");
  });

  it("has get_ipython() in the cell's namespace, as Jupyter's, for a notebook saved as a script", async () => {
    // nbconvert writes `%time` as this Python, which parses: no IPython syntax to load the magics.
    const r = await run("get_ipython().run_line_magic('matplotlib', 'inline')\nx = 3\nget_ipython().run_line_magic('time', 'y = x * 2')\ny");
    expect(streamText(r, 'stdout')).toMatch(/^CPU times: .*\nWall time: /);
    expect(eventsOf(r, 'execute_result')[0].data['text/plain']).toBe('6');
    // Not a builtin: sympy's init_printing() takes a builtin get_ipython for a whole IPython shell.
    const sympy = await run('import sympy\nsympy.init_printing()\nsympy.Symbol("x") ** 2');
    expect(eventsOf(sympy, 'execute_result')[0].data['text/latex']).toBe('$\\displaystyle x^{2}$');
  });

  it("answers `name?`, `?name` and `name??` with IPython's inspector, as Jupyter's pager shows it", async () => {
    // A SyntaxError before: the `?` lines were not taken for IPython's syntax.
    const plain = (r: Awaited<ReturnType<typeof run>>) => streamText(r, 'stdout').replace(/\x1b\[[\d;]*m/g, '');
    const one = await run('import math\nmath.sqrt?\nprint("after")');
    expect(plain(one)).toBe('Signature: math.sqrt(x, /)\nDocstring: Return the square root of x.\nType:      builtin_function_or_method\nafter\n');
    expect(lastEvent(one)).toEqual({ type: 'done', status: 'ok' });
    expect(plain(await run('?len'))).toMatch(/^Signature: len\(obj, \/\)\nDocstring: Return the number of items/);
    const source = plain(await run('def f(x):\n    "Twice x."\n    return 2 * x\nf??'));
    expect(source).toContain('Source:   \ndef f(x):\n    "Twice x."\n    return 2 * x\n');
    expect(source).toContain('Type:      function\n');
    expect(plain(await run('nothing_here?'))).toBe('Object `nothing_here` not found.\n');
  });

  it('takes a %%writefile name in quotes, spaces and all, as IPython does', async () => {
    // Split on whitespace, a quoted name with a space was a UsageError.
    const r = await run('%%writefile "ノート 1.txt"\n日本語\n');
    expect(eventsOf(r, 'error')).toEqual([]);
    expect(streamText(r, 'stdout')).toBe('Writing ノート 1.txt\n');
    expect(r.files).toContain('ノート 1.txt');
    const appended = await run("%%writefile -a 'a b.txt'\nx\n");
    expect(streamText(appended, 'stdout')).toBe('Appending to a b.txt\n');
    expect(appended.files).toContain('a b.txt');
    expect(eventsOf(await run('%%writefile two names\nx\n'), 'error').map((e) => e.evalue)).toEqual(['%%writefile [-a] <file name>']);
  });

  it('takes a %cd folder in quotes, as IPython does', async () => {
    // Looked for with its quotes: FileNotFoundError: '"フォルダ 1"'.
    const r = await run('import os\nos.mkdir("フォルダ 1")\n%cd "フォルダ 1"\nprint(os.path.basename(os.getcwd()))');
    expect(eventsOf(r, 'error')).toEqual([]);
    expect(streamText(r, 'stdout')).toMatch(/\/フォルダ 1\nフォルダ 1\n$/);
  });

  it("shows the value of a %%time cell's last line, as IPython 8 does", async () => {
    const r = await run('%%time\nx = 2\nx * 21');
    expect(streamText(r, 'stdout')).toMatch(/^CPU times: .*\nWall time: .*\n$/);
    expect(eventsOf(r, 'execute_result').map((e) => e.data['text/plain'])).toEqual(['42']);
    expect(eventsOf(await run('%%time\nprint("p")'), 'execute_result')).toEqual([]);
  });

  it('names the line a timed statement or a cell magic failed on, with no frame of the worker or ast.py', async () => {
    // `%time` on line 2 was numbered line 1 of the cell: its traceback quoted the cell's first line.
    const timed = eventsOf(await run('x = 0\n%time y = 1 / x'), 'error')[0].traceback.join('\n');
    expect(timed).toContain('  File "<timed exec>", line 1, in <module>\n    y = 1 / x\n');
    expect(timed).not.toContain('x = 0');
    // A SyntaxError in a %%time cell said line 1 for the cell's line 3, under a frame of ast.py.
    const syntax = eventsOf(await run('%%time\nx = 1\nx = (1'), 'error')[0];
    expect(syntax.evalue).toBe("'(' was never closed (<cell>, line 3)");
    expect(syntax.traceback.join('\n')).toContain('  File "<cell>", line 3\n    x = (1\n');
    expect(syntax.traceback.join('\n')).not.toMatch(/ast\.py|magics\.py|kernel\.py/);
  });

  it("reads IPython's syntax as IPython does: %magics, %%cell magics and !commands", async () => {
    // Code written for Jupyter starts with `%matplotlib inline` and times with %timeit: a
    // SyntaxError here before.
    const lines = await run('%matplotlib inline\nx = 2\n%time y = x ** 10\n%timeit -n 10 -r 2 x + 1\n!echo from the shell\nfound = !echo a; echo b\n(y, found)');
    expect(streamText(lines, 'stdout')).toMatch(/^CPU times: user [\d.]+ [nµm]?s, sys: [\d.]+ [nµm]?s, total: [\d.]+ [nµm]?s\nWall time: [\d.]+ [nµm]?s\n[\d.]+ [nµm]?s ± [\d.]+ [nµm]?s per loop \(mean ± std\. dev\. of 2 runs, 10 loops each\)\n$/);
    expect(lines.stdout).toBe('from the shell\n'); // a subprocess's own output, on the raw descriptor
    expect(eventsOf(lines, 'execute_result')[0].data['text/plain']).toBe("(1024, ['a', 'b'])");
    expect(lastEvent(lines)).toEqual({ type: 'done', status: 'ok' });

    // A cell magic's code keeps its lines: an error in it points at the cell's line.
    const timed = await run('%%time\nz = 1\n1/0');
    const [error] = eventsOf(timed, 'error');
    expect(error.ename).toBe('ZeroDivisionError');
    expect(error.traceback.at(-2)).toBe('  File "<cell>", line 3, in <module>\n    1/0\n    ~^~');
    const html = await run('%%html\n<b>bold</b>');
    expect(eventsOf(html, 'display_data')).toEqual([{ type: 'display_data', data: { 'text/html': '<b>bold</b>\n' }, metadata: {} }]);

    // %%bash's output is the subprocess's own; %%capture silences a cell; %pip says why not.
    expect((await run('%%bash\necho $((6 * 7))')).stdout).toBe('42\n');
    const captured = await run('%%capture\nprint("noisy")\nimport sys; print("also", file=sys.stderr)');
    expect(captured.events.filter((e) => e.type === 'stream')).toEqual([]);
    expect(lastEvent(captured)).toEqual({ type: 'done', status: 'ok' });
    const [pip] = eventsOf(await run('%pip install requests'), 'error');
    expect(pip).toMatchObject({ ename: 'UsageError', evalue: expect.stringMatching(/^Cells have no network/) });
    // An assignment of a command's output or a magic's value, alone in its cell.
    expect(eventsOf(await run('files = !printf "a\\nb\\n"\nfiles'), 'execute_result')[0].data['text/plain']).toBe("['a', 'b']");
    expect(eventsOf(await run('here = %pwd\nhere == __import__("os").getcwd()'), 'execute_result')[0].data['text/plain']).toBe('True');
    // A magic not offered here says so, and which are; plain Python's errors stay Python's.
    const [unknown] = eventsOf(await run('%load_ext autoreload'), 'error');
    expect(unknown).toMatchObject({ ename: 'UsageError', evalue: expect.stringMatching(/^Line magic function `%load_ext` not found\. Line magics here: %cd, .*%timeit\.$/) });
    const [syntax] = eventsOf(await run('x = (1,\ny = 2'), 'error');
    expect(syntax.ename).toBe('SyntaxError');
    // A % line inside a string is the string's, as Python reads it.
    expect(eventsOf(await run('s = """\n%time not a magic\n"""\ns.strip()'), 'execute_result')[0].data['text/plain']).toBe("'%time not a magic'");
  });

  it('says why input() has nothing to read, still as an EOFError, and reads a stdin the cell gave itself', async () => {
    const caught = await run('try:\n    input("name? ")\nexcept EOFError as e:\n    print("|", e)\nimport io, sys\nsys.stdin = io.StringIO("Ada\\n")\nprint(input())');
    expect(streamText(caught, 'stdout')).toBe('name? | EOF when reading a line: a cell runs unattended, with nothing to type into it; put the value in the code instead\nAda\n');
    const uncaught = await run('x = int(input())');
    const [error] = eventsOf(uncaught, 'error');
    expect(error).toMatchObject({ ename: 'EOFError', evalue: expect.stringMatching(/^EOF when reading a line: a cell runs unattended/) });
    // The cell's frame alone: not the worker's input().
    expect(error.traceback.slice(0, -1)).toEqual(['Traceback (most recent call last):', '  File "<cell>", line 1, in <module>\n    x = int(input())\n            ^^^^^^^']);
    // A stdin of the cell's own, at its end: Python's own words.
    const own = await run('import io, sys\nsys.stdin = io.StringIO("")\ninput()');
    expect(eventsOf(own, 'error')[0].evalue).toBe('EOF when reading a line');
  });

  it('turns an exception into an error event with the cell frames, then done error', async () => {
    const r = await run('def f():\n    return 1 / 0\n\nf()');
    const [error] = eventsOf(r, 'error');
    expect(error.ename).toBe('ZeroDivisionError');
    expect(error.evalue).toBe('division by zero');
    const traceback = error.traceback.join('\n');
    expect(traceback).toContain('File "<cell>", line 2, in f');
    expect(traceback).toContain('return 1 / 0'); // the source line, from linecache
    expect(traceback).toContain('File "<cell>", line 4, in <module>');
    expect(traceback).not.toContain('kernel.py');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
    expect(r.exitCode).toBe(0);
  });

  it('puts the carets under the failing part of the last line, which has no newline after it', async () => {
    // A cell from the page ends without a newline. Python's traceback places the carets by the
    // line as linecache holds it: a last line without its newline put them one column right.
    const r = await run('a = [1]\na[5]');
    const traceback = eventsOf(r, 'error')[0].traceback.join('\n');
    expect(traceback).toContain('    a[5]\n    ~^^^\n');
    const call = eventsOf(await run('import math; math.sqrt(-1)'), 'error')[0].traceback.join('\n');
    expect(call).toContain('    import math; math.sqrt(-1)\n                 ^^^^^^^^^^^^^\n');
  });

  it('keeps the blank lines around "The above exception ..." of a chained exception, as Python prints them', async () => {
    const code = 'try:\n    1/0\nexcept Exception as e:\n    raise ValueError("bad") from e';
    const traceback = eventsOf(await run(code), 'error')[0].traceback.join('\n');
    expect(traceback).toContain('ZeroDivisionError: division by zero\n\nThe above exception was the direct cause of the following exception:\n\nTraceback (most recent call last):\n');
    const during = eventsOf(await run('try:\n    1/0\nexcept Exception:\n    nope'), 'error')[0].traceback.join('\n');
    expect(during).toContain('\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback');
  });

  it('reports a SyntaxError as an error without worker frames', async () => {
    const r = await run('print("never")\nx = (');
    const [error] = eventsOf(r, 'error');
    expect(error.ename).toBe('SyntaxError');
    expect(error.traceback.join('\n')).toContain('line 2');
    expect(error.traceback.join('\n')).not.toMatch(/kernel\.py|ast\.py/);
    expect(eventsOf(r, 'stream')).toEqual([]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('shows a SystemExit as IPython does, a note and no traceback, whatever its code; exit() and quit() end quietly', async () => {
    // IPython: sys.exit(0) and sys.exit() fail the cell too; its exit() and quit() leave the shell.
    const note = 'An exception has occurred, use %tb to see the full traceback.\n';
    for (const [code, evalue, line] of [['import sys\nsys.exit(3)', '3', 'SystemExit: 3'], ['import sys\nprint("bye")\nsys.exit(0)', '0', 'SystemExit: 0'], ['import sys\nsys.exit()', '', 'SystemExit'], ['quit(2)', '2', 'SystemExit: 2']]) {
      const r = await run(code);
      expect(eventsOf(r, 'error'), code).toEqual([{ type: 'error', ename: 'SystemExit', evalue, traceback: [note, line] }]);
      expect(lastEvent(r), code).toEqual({ type: 'done', status: 'error' });
    }
    for (const code of ['exit()', 'quit(0)']) {
      const r = await run(code);
      expect(eventsOf(r, 'error'), code).toEqual([]);
      expect(lastEvent(r), code).toEqual({ type: 'done', status: 'ok' });
    }
  });

  it('ends as a script does: waits for the threads the cell left running, then runs its atexit handlers', async () => {
    // The worker leaves with os._exit, which waits for no thread and runs no handler: this
    // late output was once lost, the cell ending ok without it.
    const threads = await run([
      'import threading, time',
      'def late():',
      '    time.sleep(0.2)',
      '    print("thread done")',
      'threading.Thread(target=late).start()',
      'threading.Thread(target=time.sleep, args=(60,), daemon=True).start()',
      'print("cell done")',
    ].join('\n'));
    expect(streamText(threads, 'stdout')).toBe('cell done\nthread done\n');
    expect(lastEvent(threads)).toEqual({ type: 'done', status: 'ok' }); // the daemon was not waited for
    // An executor never shut down: concurrent.futures tells its workers to finish the queue.
    const pool = await run('from concurrent.futures import ThreadPoolExecutor\nimport time\nex = ThreadPoolExecutor(1)\nfor i in range(3):\n    ex.submit(lambda i=i: (time.sleep(0.05), print("job", i)))');
    expect(streamText(pool, 'stdout')).toBe('job 0\njob 1\njob 2\n');
    // Handlers run last first; one that raises is printed, as Python prints it, and the cell stays ok.
    const handlers = await run('import atexit\natexit.register(print, "registered first")\ndef fails():\n    raise ValueError("at exit")\natexit.register(fails)\nprint("hi")');
    expect(streamText(handlers, 'stdout')).toBe('hi\nregistered first\n');
    expect(streamText(handlers, 'stderr')).toMatch(/^Exception ignored in atexit callback: <function fails at .*ValueError: at exit\n$/s);
    expect(lastEvent(handlers)).toEqual({ type: 'done', status: 'ok' });
    // After an error too, between the error and the end.
    const failed = await run('import atexit\natexit.register(print, "bye")\n1/0');
    expect(failed.events.map((e) => e.type).slice(1)).toEqual(['error', 'stream', 'done']);
    expect(streamText(failed, 'stdout')).toBe('bye\n');
    // A thread's exception after the cell's code does not fail the cell, as it does not fail a script.
    const thrown = await run('import threading\ndef w():\n    raise KeyError("in thread")\nthreading.Thread(target=w).start()');
    expect(streamText(thrown, 'stderr')).toMatch(/^Exception in thread .*KeyError: 'in thread'\n$/s);
    expect(lastEvent(thrown)).toEqual({ type: 'done', status: 'ok' });
  });

  it("runs the cell's weakref.finalize callbacks at its end, and none of the worker's own atexit handlers", async () => {
    // The worker registered its own (its imports' and finalize's) before the cell: the cell starts with none.
    const r = await run('import atexit, weakref\nprint(atexit._ncallbacks())\nclass A: pass\na = A()\nweakref.finalize(a, print, "finalized")');
    expect(streamText(r, 'stdout')).toBe('0\nfinalized\n');
  });

  it('streams output while the code runs', async () => {
    const r = await run('import time\nprint("first")\ntime.sleep(1)\nprint("second")');
    const first = r.timeline.find((a) => a.value.type === 'stream' && a.value.text === 'first\n');
    const second = r.timeline.find((a) => a.value.type === 'stream' && a.value.text === 'second\n');
    expect(first && second).toBeTruthy();
    // The first line arrived a whole sleep before the second: it was not held until the end.
    expect(second!.at - first!.at).toBeGreaterThan(800);
  });

  it('sends a printed line as one stream event, whatever pieces print() wrote it in', async () => {
    const r = await run('print("a", "b", sep="-")\nprint("c", end="")\nprint("d")\nimport sys\nsys.stdout.write("e\\nf")\nprint("g")');
    expect(eventsOf(r, 'stream').map((e) => e.text)).toEqual(['a-b\n', 'cd\n', 'e\n', 'fg\n']);
  });

  it('sends a partial line soon while the code runs, and at once on flush', async () => {
    const r = await run('import sys, time\nprint("prompt> ", end="")\ntime.sleep(1)\nprint("x", end="", flush=True)\ntime.sleep(1)\nprint("!")');
    const texts = r.timeline.filter((a) => a.value.type === 'stream');
    expect(texts.map((a) => (a.value as { text: string }).text)).toEqual(['prompt> ', 'x', '!\n']);
    // Each piece went out about a second before the next, not with it.
    expect(texts[1].at - texts[0].at).toBeGreaterThan(800);
    expect(texts[2].at - texts[1].at).toBeGreaterThan(800);
  });

  it('keeps stdout and stderr in the order they were written', async () => {
    const r = await run('import sys\nprint("1", end="")\nprint("2", end="", file=sys.stderr)\nprint("3")\ndisplay("4")\nprint("5", end="")');
    expect(eventsOf(r, 'stream').map((e) => [e.name, e.text])).toEqual([['stdout', '1'], ['stderr', '2'], ['stdout', '3\n'], ['stdout', '5']]);
    const kinds = r.events.filter((e) => e.type === 'stream' || e.type === 'display_data').map((e) => e.type);
    expect(kinds).toEqual(['stream', 'stream', 'stream', 'display_data', 'stream']);
  });

  it("keeps long lines whole when processes the cell forked print at once, each one's text in order", async () => {
    // A pipe keeps a write whole only up to 4096 bytes, and writes at once what fits in it (64
    // KiB): the longer lines of a pool's processes were cut into each other, and the device
    // dropped them as no events, silently.
    const r = await run([
      'import multiprocessing as mp, sys',
      'def f(k):',
      '    for i in range(10): print(f"{k}:{i:02d}:" + "é" * 20000 + "x" * 40000)',
      '    print(f"{k} done", file=sys.stderr)',
      'with mp.Pool(4) as p: p.map(f, range(4), chunksize=1)',
      'print("end " + "y" * 9000)',
    ].join('\n'), { timeoutMs: 60_000 });
    expect(r.badLines).toEqual([]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    const lines = streamText(r, 'stdout').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.pop()).toBe(`end ${'y'.repeat(9000)}`);
    expect(lines).toHaveLength(40);
    for (let k = 0; k < 4; k++) {
      const own = lines.filter((l) => l.startsWith(`${k}:`));
      expect(own).toEqual(Array.from({ length: 10 }, (_, i) => `${k}:${String(i).padStart(2, '0')}:${'é'.repeat(20000)}${'x'.repeat(40000)}`));
    }
    expect(streamText(r, 'stderr').split('\n').sort()).toEqual(['', '0 done', '1 done', '2 done', '3 done']);
  });

  it('takes the pipe lock again after a Stop came while it waited for it', async () => {
    // A KeyboardInterrupt raised in the wait has no __exit__ after it: the count stayed at 1,
    // and every later event of the process went without the lock, to be cut into others'.
    const r = await run([
      'import fcntl, os, sys',
      'worker = sys._getframe().f_back.f_globals  # the frame that runs the cell is the worker\'s',
      'if os.fork() == 0: os._exit(0)  # the first fork makes the lock',
      'os.wait()',
      'def stopped(fd, op): raise KeyboardInterrupt',
      'real, fcntl.lockf = fcntl.lockf, stopped',
      'try:',
      '    with worker["_pipe_lock"]: pass',
      'except KeyboardInterrupt: pass',
      'finally:',
      '    fcntl.lockf = real',
      'print(worker["_pipe"]["lock"] >= 0, worker["_pipe_lock"].depth)',
    ].join('\n'));
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(streamText(r, 'stdout')).toBe('True 0\n');
  });

  it('flushes the files the cell left open, as Python does at its exit, and leaves pipes alone', async () => {
    // The worker ends with os._exit(), which flushes nothing: these were listed empty.
    const r = await run([
      'import numpy as np, os',
      'f = open("left-open.txt", "w")',
      'f.write("hello")',
      'np.savetxt(open("savetxt.csv", "w"), np.arange(3), fmt="%d")',
      'b = open("binary.dat", "wb")',
      'b.write(bytes(100))',
      'r, w = os.pipe()',
      'p = os.fdopen(w, "w")',
      'p.write("nobody reads this")',
    ].join('\n'));
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(r.fileBytesAtDone['left-open.txt']?.toString()).toBe('hello');
    expect(r.fileBytesAtDone['savetxt.csv']?.toString()).toBe('0\n1\n2\n');
    expect(r.fileBytesAtDone['binary.dat']).toEqual(Buffer.alloc(100));
  });

  it('loses no partial line when a forked child prints, nor when the cell fails', async () => {
    const r = await run('import os\npid = os.fork()\nif pid == 0:\n    print("child")\n    os._exit(0)\nos.waitpid(pid, 0)\nprint("parent", end="")\n1/0');
    expect(streamText(r, 'stdout')).toBe('child\nparent');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('displays an object with _repr_html_ and _repr_png_, in order with printed text', async () => {
    const r = await run([
      'class Pic:',
      '    def _repr_html_(self):',
      '        return "<b>pic</b>"',
      '    def _repr_png_(self):',
      '        return b"\\x89PNG\\r\\n"',
      '    def __repr__(self):',
      '        return "Pic()"',
      'print("before")',
      'result = display(Pic())',
      'print("after", result)',
    ].join('\n'));
    const kinds = r.events.filter((e) => e.type === 'stream' || e.type === 'display_data')
      .map((e) => (e.type === 'stream' ? e.text : e.type));
    expect(kinds.join('')).toBe('before\ndisplay_dataafter None\n');
    expect(eventsOf(r, 'display_data')[0]).toEqual({
      type: 'display_data',
      data: { 'text/html': '<b>pic</b>', 'image/png': Buffer.from('\x89PNG\r\n', 'latin1').toString('base64'), 'text/plain': 'Pic()' },
      metadata: {},
    });
  });

  it('uses _repr_mimebundle_, reports a failing repr method on stderr and skips it', async () => {
    const r = await run([
      'class B:',
      '    def _repr_mimebundle_(self, include=None, exclude=None):',
      '        return {"application/vnd.test+json": {"a": 1}}, {"application/vnd.test+json": {"m": True}}',
      '    def _repr_html_(self):',
      '        raise ValueError("broken")',
      'display(B())',
    ].join('\n'));
    const [shown] = eventsOf(r, 'display_data');
    expect(shown.data['application/vnd.test+json']).toEqual({ a: 1 });
    expect(shown.data['text/html']).toBeUndefined();
    expect(shown.metadata).toEqual({ 'application/vnd.test+json': { m: true } });
    expect(streamText(r, 'stderr')).toContain('ValueError: broken');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('sends clear_output', async () => {
    const r = await run('print(1)\nclear_output()\nclear_output(wait=True)');
    expect(eventsOf(r, 'clear_output')).toEqual([{ type: 'clear_output', wait: false }, { type: 'clear_output', wait: true }]);
  });

  it('updates a display by its display_id', async () => {
    const r = await run('h = display("a", display_id="d1")\nh.update("b")\ndisplay("c", display_id="d1", update=True)');
    expect(eventsOf(r, 'display_data')).toEqual([
      { type: 'display_data', data: { 'text/plain': "'a'" }, metadata: {}, transient: { display_id: 'd1' } },
    ]);
    expect(eventsOf(r, 'update_display_data')).toEqual([
      { type: 'update_display_data', data: { 'text/plain': "'b'" }, metadata: {}, transient: { display_id: 'd1' } },
      { type: 'update_display_data', data: { 'text/plain': "'c'" }, metadata: {}, transient: { display_id: 'd1' } },
    ]);
  });

  it("shows IPython.display's objects through IPython's own display functions, as in Jupyter", async () => {
    // Without an IPython shell, IPython's display() printed "<IPython.core.display.HTML object>".
    const r = await run([
      'from IPython.display import display, display_html, update_display, clear_output, HTML, Markdown, Math',
      'display(HTML("<b>bold</b>"), Markdown("# title"))',
      'display(Math("x^2"), include=["text/latex"])',
      'display_html("<i>raw</i>", raw=True)',
      'h = display(HTML("a"), display_id="p")',
      'h.update(HTML("b"))',
      'update_display(HTML("c"), display_id="p")',
      'clear_output(wait=True)',
      'class Shows:',
      '    def _ipython_display_(self):',
      '        display(HTML("<u>itself</u>"))',
      'display(Shows())',
      'Shows()',
    ].join('\n'));
    expect(r.events.filter((e) => e.type !== 'ready' && e.type !== 'done')).toEqual([
      { type: 'display_data', data: { 'text/html': '<b>bold</b>', 'text/plain': '<IPython.core.display.HTML object>' }, metadata: {} },
      { type: 'display_data', data: { 'text/markdown': '# title', 'text/plain': '<IPython.core.display.Markdown object>' }, metadata: {} },
      { type: 'display_data', data: { 'text/latex': '$\\displaystyle x^2$' }, metadata: {} },
      { type: 'display_data', data: { 'text/html': '<i>raw</i>' }, metadata: {} },
      { type: 'display_data', data: { 'text/html': 'a', 'text/plain': '<IPython.core.display.HTML object>' }, metadata: {}, transient: { display_id: 'p' } },
      { type: 'update_display_data', data: { 'text/html': 'b', 'text/plain': '<IPython.core.display.HTML object>' }, metadata: {}, transient: { display_id: 'p' } },
      { type: 'update_display_data', data: { 'text/html': 'c', 'text/plain': '<IPython.core.display.HTML object>' }, metadata: {}, transient: { display_id: 'p' } },
      { type: 'clear_output', wait: true },
      // An object that shows itself, by display() or as the cell's value: no execute_result of its own.
      { type: 'display_data', data: { 'text/html': '<u>itself</u>', 'text/plain': '<IPython.core.display.HTML object>' }, metadata: {} },
      { type: 'display_data', data: { 'text/html': '<u>itself</u>', 'text/plain': '<IPython.core.display.HTML object>' }, metadata: {} },
    ]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('display() takes include and exclude, and a display_id alone makes an empty output to fill later', async () => {
    const r = await run('class Both:\n    def _repr_html_(self): return "<b>h</b>"\n    def _repr_latex_(self): return "$l$"\ndisplay(Both(), exclude=["text/html", "text/plain"])\nh = display(display_id="e")\nh.update(Both(), include=["text/html"])');
    expect(eventsOf(r, 'display_data')).toEqual([
      { type: 'display_data', data: { 'text/latex': '$l$' }, metadata: {} },
      { type: 'display_data', data: {}, metadata: {}, transient: { display_id: 'e' } },
    ]);
    expect(eventsOf(r, 'update_display_data')).toEqual([{ type: 'update_display_data', data: { 'text/html': '<b>h</b>' }, metadata: {}, transient: { display_id: 'e' } }]);
  });

  it('reports running out of address space as MemoryError, even with the memory still held', async () => {
    // The cell sets its own RLIMIT_AS, as the sandbox does, and fills it with small objects
    // held by a global: the worker has to free them to format the error.
    const r = await run([
      'import resource',
      'size = int(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmSize"))) * 1024',
      'resource.setrlimit(resource.RLIMIT_AS, (size + (256 << 20), resource.RLIM_INFINITY))',
      'held = []',
      'while True:',
      '    held.append(str(len(held)) * 20)',
    ].join('\n'));
    const [error] = eventsOf(r, 'error');
    expect(error.ename).toBe('MemoryError');
    // A full traceback, not the prebuilt last-resort event: the worker had room to format it.
    expect(error.traceback.join('\n')).toContain('File "<cell>", line 6');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('creates no files in the working directory, not even __pycache__ for imported modules', async () => {
    const r = await run([
      'import json, decimal, email.message',
      'with open("mymod.py", "w") as f:',
      '    f.write("VALUE = 5\\n")',
      'import mymod',
      'mymod.VALUE',
    ].join('\n'));
    expect(eventsOf(r, 'execute_result')[0].data).toEqual({ 'text/plain': '5' });
    expect(r.files).toEqual(['mymod.py']);
  });

  it('closes inherited descriptors above 3', async () => {
    const r = await run([
      'import os',
      'fds = []',
      'for name in os.listdir("/proc/self/fd"):',
      '    try:',
      '        os.readlink(f"/proc/self/fd/{name}")  # the listing\'s own descriptor is gone',
      '        fds.append(int(name))',
      '    except OSError:',
      '        pass',
      'sorted(fds)',
    ].join('\n'), { extraStdio: ['pipe'] });
    expect(eventsOf(r, 'execute_result')[0].data).toEqual({ 'text/plain': '[0, 1, 2, 3]' });
  });

  it('does not let subprocesses inherit the event pipe', async () => {
    const r = await run('import os\nos.system("test -e /proc/self/fd/3 && echo inherited || echo closed")');
    expect(r.stdout).toBe('closed\n');
  });
});
