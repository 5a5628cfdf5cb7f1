// Tests of the Node.js language worker (workers/node/kernel.cjs), run outside the sandbox.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { eventsOf, lastEvent, runWorker, streamText } from './run-worker';

const run = (code: string, options?: Parameters<typeof runWorker>[2]) => runWorker('node', code, options);

/** The text/plain of the cell's execute_result, or undefined if it had none. */
async function resultOf(code: string): Promise<string | undefined> {
  const r = await run(code);
  expect(lastEvent(r), `${code}\n${r.stderr}`).toEqual({ type: 'done', status: 'ok' });
  const results = eventsOf(r, 'execute_result');
  expect(results.length).toBeLessThanOrEqual(1);
  return results[0]?.data['text/plain'] as string | undefined;
}

describe('node worker', () => {
  it('says ready first, runs the code, ends with done', async () => {
    const r = await run('console.log("hello, world")\nconsole.error("to stderr")');
    expect(r.events[0]).toEqual({ type: 'ready', language: 'node', version: expect.stringMatching(/^v\d+\.\d+\.\d+$/) });
    expect(r.events.slice(1)).toEqual([
      { type: 'stream', name: 'stdout', text: 'hello, world\n' },
      { type: 'stream', name: 'stderr', text: 'to stderr\n' },
      { type: 'done', status: 'ok' },
    ]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.badLines).toEqual([]);
    expect(r.exitCode).toBe(0);
  });

  it('shows the completion value as execute_result, inspected', async () => {
    expect(await resultOf('const a = 40\na + 2')).toBe('42');
    expect(await resultOf('"text"')).toBe("'text'");
    expect(await resultOf('({ a: [1, 2] })')).toBe('{ a: [ 1, 2 ] }');
    expect(await resultOf('if (true) { 5 }')).toBe('5');
  });

  it('shows no result for undefined or a declaration', async () => {
    expect(await resultOf('undefined')).toBeUndefined();
    expect(await resultOf('let x = 1')).toBeUndefined();
    expect(await resultOf('function f() {}')).toBeUndefined();
    expect(await resultOf('console.log(1)')).toBeUndefined();
  });

  it("has the browser's dialogs: prompt() and confirm() show their question and fail with why, alert() shows its message", async () => {
    const asked = await run('alert("hello")\nconst name = prompt("Your name?")\nconsole.log("never", name)');
    expect(streamText(asked, 'stdout')).toBe('hello\nYour name? ');
    expect(eventsOf(asked, 'error')[0]).toMatchObject({
      ename: 'Error',
      evalue: 'prompt(): a cell runs unattended, with nothing to type into it; put the value in the code instead',
      traceback: ['Error: prompt(): a cell runs unattended, with nothing to type into it; put the value in the code instead', '    at <cell>:2:14'],
    });
    const confirmed = await run('try { confirm("Sure?") } catch (e) { console.log(e.message.split(":")[0]) }');
    expect(streamText(confirmed, 'stdout')).toBe('Sure? confirm()\n');
    // A cell's own stays its own.
    const own = await run('globalThis.prompt = () => "Ada"\nconsole.log(prompt("Name?"))');
    expect(streamText(own, 'stdout')).toBe('Ada\n');
  });

  it("fails readline's question() on stdin with why, where the cell asked, after showing the question", async () => {
    const NO_INPUT = 'readline question(): a cell runs unattended, with nothing to type into it; put the value in the code instead';
    const asked = await run([
      "const rl = require('readline').createInterface({ input: process.stdin, output: process.stdout })",
      "rl.question('Your name? ', (n) => console.log('hi', n))",
    ].join('\n'));
    expect(streamText(asked, 'stdout')).toBe('Your name? ');
    expect(eventsOf(asked, 'error')[0]).toMatchObject({ ename: 'Error', evalue: NO_INPUT, traceback: [`Error: ${NO_INPUT}`, '    at <cell>:2:4'] });
    expect(lastEvent(asked)).toEqual({ type: 'done', status: 'error' });
    const promised = await run([
      "const rl = require('node:readline/promises').createInterface({ input: process.stdin, output: process.stdout })",
      "const n = await rl.question('Age? ')",
      "console.log('never', n)",
    ].join('\n'));
    expect(streamText(promised, 'stdout')).toBe('Age? ');
    expect(eventsOf(promised, 'error')[0]).toMatchObject({ ename: 'Error', evalue: NO_INPUT });
    // An interface on another stream reads it as before.
    const lines = await run([
      "require('fs').writeFileSync('in.txt', 'Ada\\n')",
      "const rl = require('readline').createInterface({ input: require('fs').createReadStream('in.txt') })",
      "rl.question('', (n) => { console.log('hi', n); rl.close() })",
    ].join('\n'));
    expect(streamText(lines, 'stdout')).toBe('hi Ada\n');
  });

  it('says on stderr why stdin read to its end gave nothing, before the cell hears of its end', async () => {
    const NOTE = 'Note: stdin is empty: a cell runs unattended, with nothing to type into it; put the value in the code instead\n';
    const lines = await run([
      "const rl = require('readline').createInterface({ input: process.stdin })",
      'let n = 0',
      'for await (const line of rl) n++',
      "console.log('lines:', n)",
    ].join('\n'));
    expect(lines.events.slice(1)).toEqual([
      { type: 'stream', name: 'stderr', text: NOTE },
      { type: 'stream', name: 'stdout', text: 'lines: 0\n' },
      { type: 'done', status: 'ok' },
    ]);
    const data = await run("process.stdin.on('data', (d) => console.log(d))\nprocess.stdin.on('end', () => console.log('end'))");
    expect(streamText(data, 'stderr') + streamText(data, 'stdout')).toBe(`${NOTE}end\n`);
    // Looking at stdin without reading it says nothing; nor does a stream of the cell's own.
    expect((await run('console.log(process.stdin.isTTY)')).events.slice(1)).toEqual([
      { type: 'stream', name: 'stdout', text: 'undefined\n' },
      { type: 'done', status: 'ok' },
    ]);
    const file = await run("require('fs').writeFileSync('in.txt', 'a\\n')\nrequire('fs').createReadStream('in.txt').on('end', () => console.log('read'))");
    expect(streamText(file, 'stderr')).toBe('');
  });

  it('has CommonJS require, module, exports, __filename and __dirname in the cell directory', async () => {
    const text = await resultOf([
      'const path = require("path")',
      'require("fs").writeFileSync("helper.js", "module.exports = 7")',
      'const same = __dirname === process.cwd() && path.dirname(__filename) === __dirname;',
      '[require("./helper.js"), same, typeof module.exports, exports === module.exports]',
    ].join('\n'));
    expect(text).toBe('[ 7, true, \'object\', true ]');
  });

  it('runs top-level await and shows the value of the last expression', async () => {
    expect(await resultOf('const v = await new Promise((r) => setTimeout(() => r(21), 20))\nv * 2')).toBe('42');
    expect(await resultOf('const a = await Promise.resolve(1)\nconst b = 2\n;[a, b]')).toBe('[ 1, 2 ]');
    expect(await resultOf('const o = await Promise.resolve({ a: 1 })\no.a\n  + 1')).toBe('2');
    expect(await resultOf('await null; // comment; 5\n[1]')).toBe('[ 1 ]');
    expect(await resultOf('const os = await import("node:os")\ntypeof os.cpus')).toBe("'function'");
  });

  it('shows no result after top-level await when the cell does not end with an expression', async () => {
    expect(await resultOf('const a = await 1\n+2')).toBeUndefined(); // one declaration: a = 1 + 2
    expect(await resultOf('await 1\nlet y = 3')).toBeUndefined();
    expect(await resultOf('for await (const x of [1, 2]) console.log(x)')).toBeUndefined();
  });

  it('turns an exception into an error event with the cell frames, then done error', async () => {
    const r = await run('console.log("before")\nfunction f() {\n  throw new TypeError("bad thing")\n}\nf()\nconsole.log("after")');
    const [error] = eventsOf(r, 'error');
    expect(error.ename).toBe('TypeError');
    expect(error.evalue).toBe('bad thing');
    const traceback = error.traceback.join('\n');
    expect(traceback).toContain('at f (<cell>:3:9)');
    expect(traceback).toContain('at <cell>:5:1');
    expect(traceback).not.toMatch(/kernel\.cjs|node:internal|node:vm/);
    expect(streamText(r, 'stdout')).toBe('before\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it("shows an error the cell prints or returns with the cell's frames only, as its traceback has them", async () => {
    const r = await run([
      'try { null.x } catch (e) { console.error(e) }',
      'function make() { return new Error("made") }',
      'setTimeout(() => console.log(new Error("in a timer").stack))',
      'const [made] = await Promise.all([make()])',
      'made',
    ].join('\n'));
    expect(streamText(r, 'stderr')).toBe("TypeError: Cannot read properties of null (reading 'x')\n    at <cell>:1:12\n");
    expect(streamText(r, 'stdout')).toBe('Error: in a timer\n    at Timeout._onTimeout (<cell>:3:30)\n');
    expect(eventsOf(r, 'execute_result')[0].data['text/plain']).toBe('Error: made\n    at make (<cell>:2:26)\n    at <cell>:4:35');
    // A stack of the cell's own making stays its own.
    expect(await resultOf('Error.prepareStackTrace = (e, sites) => sites.length > 0\nnew Error("x").stack')).toBe('true');
  });

  it('keeps the line of an error after top-level await', async () => {
    const r = await run('await null\nnull.x');
    const [error] = eventsOf(r, 'error');
    expect(error.ename).toBe('TypeError');
    expect(error.traceback).toEqual([expect.stringContaining('Cannot read properties of null'), '    at <cell>:2:6']);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('keeps the columns of the last expression after top-level await when it follows a `;` on its line', async () => {
    // `return (` goes in front of such an expression, on its line: eight columns to the right.
    const cases: [string, string[]][] = [
      ['await 1; null.x', ['    at <cell>:1:15']],
      ['let a = 1\nawait 1; null.x', ['    at <cell>:2:15']],
      ['await 1\r\nlet q = 2; null.x', ['    at <cell>:2:17']],
      ['await 1; (() => { null.x })()', ['    at <cell>:1:24', '    at <cell>:1:28']],
      ['null.x; await 1', ['    at <cell>:1:6']],
    ];
    for (const [code, frames] of cases) {
      const [error] = eventsOf(await run(code), 'error');
      expect(error.traceback.slice(1), code).toEqual(frames);
    }
    // The stack as the cell reads it too; a frame before the `;` is where it was.
    const own = await run('function f() { return new Error("x").stack }\nawait 1; f().split("\\n").slice(1, 3)');
    expect(eventsOf(own, 'execute_result')[0].data['text/plain']).toBe("[ '    at f (<cell>:1:23)', '    at <cell>:2:10' ]");
  });

  it('names the line of a failing call the cell ends with after top-level await, not the line before', async () => {
    // The last expression is returned from the async function the cell becomes; V8 puts a call
    // in a return at the `return`, which was at the end of the line before.
    const cases: [string, string][] = [
      ['const data = await Promise.resolve(1)\nundefinedFunction(data)', '    at <cell>:2:1'],
      ['await null\nfunction f() {\n  throw new Error("in f")\n}\nf()', '    at <cell>:5:1'],
      ['await null\nnew Missing()', '    at <cell>:2:1'],
      ['import { join } from "node:path"\nconsole.log(join("a", "b"))\nnotDefined()', '    at <cell>:3:1'],
    ];
    for (const [code, frame] of cases) {
      const [error] = eventsOf(await run(code), 'error');
      expect(error.traceback, code).toContain(frame);
    }
    // The value is still shown.
    expect(await resultOf('const x = await Promise.resolve(20)\nMath.max(x, 2) * 2')).toBe('40');
  });

  it("shows a promise the cell ends with by its value once fulfilled, and a timer not at all", async () => {
    const main = 'async function main() {\n  await new Promise((r) => setTimeout(r, 20))\n  console.log("done")\n  return 7\n}\nmain()';
    const r = await run(main);
    expect(r.events.slice(1)).toEqual([
      { type: 'stream', name: 'stdout', text: 'done\n' },
      { type: 'execute_result', data: { 'text/plain': '7' }, metadata: {} },
      { type: 'done', status: 'ok' },
    ]);
    expect(await resultOf('Promise.resolve(undefined)')).toBeUndefined();
    expect(await resultOf('setTimeout(() => {}, 10)')).toBeUndefined();
    expect(await resultOf('setImmediate(() => {})')).toBeUndefined();
    expect(await resultOf('const p = Promise.resolve(1); p.then = () => { throw new Error("not this") }; p')).toBe('1');
    expect(await resultOf('new Proxy({}, { getPrototypeOf() { throw new Error("trap") } })')).toBe('{}');
    // Rejected: the cell's error, once, with no dump of the promise before it.
    const rejected = await run('Promise.reject(new RangeError("nope"))');
    expect(rejected.events.slice(1).map((e) => e.type)).toEqual(['error', 'done']);
    expect(eventsOf(rejected, 'error')[0]).toMatchObject({ ename: 'RangeError', evalue: 'nope', traceback: ['RangeError: nope', '    at <cell>:1:16'] });
  });

  it("shows no result for process or Node's handles on I/O, which a last `.on(…)` or `.listen(…)` returns", async () => {
    // Each was 100-300 lines of Node's internals, where `node file.js` shows nothing.
    expect(await resultOf('process.on("exit", (code) => console.log("bye", code))')).toBeUndefined();
    expect(await resultOf('process.stdin.on("data", (d) => console.log(d))')).toBeUndefined();
    expect(await resultOf('const c = require("child_process").spawn("true")\nc.on("close", (code) => console.log("exit", code))')).toBeUndefined();
    expect(await resultOf([
      'require("fs").writeFileSync("in.txt", "a\\nb\\n")',
      'const rl = require("readline").createInterface({ input: require("fs").createReadStream("in.txt") })',
      'rl.on("line", (line) => console.log(line))',
    ].join('\n'))).toBeUndefined();
    expect(await resultOf('require("node:readline/promises").createInterface({ input: process.stdin })')).toBeUndefined();
    expect(await resultOf('const s = require("http").createServer()\ns.listen(0, () => s.close())')).toBeUndefined();
    // The cell's own emitter, and a plain object, are still shown.
    expect(await resultOf('class Dog extends require("events") { name = "Rex" }\nnew Dog().name')).toBe("'Rex'");
    expect(await resultOf('const { EventEmitter } = require("events")\nclass Dog extends EventEmitter {}\nnew Dog() instanceof EventEmitter')).toBe('true');
    expect(await resultOf('class Dog extends require("events") {}\nnew Dog()')).toMatch(/^Dog \{/);
  });

  it('takes import declarations, as await import(), with the last value shown and lines kept', async () => {
    // A script cannot have them ("Cannot use import statement outside a module"); Node's REPL
    // takes them the same way.
    const r = await run([
      'import fs from "node:fs";',
      "import { join as joined, sep } from 'node:path'",
      'import * as os from "node:os"',
      'import util, { inspect } from "node:util"',
      'import {',
      '  EventEmitter as Emitter,',
      '} from "node:events"',
      'import "node:url"',
      'console.log(typeof fs.readFileSync, joined("a", "b") === `a${sep}b`, typeof os.cpus, util.inspect === inspect, typeof Emitter)',
      'null.x',
    ].join('\n'));
    expect(streamText(r, 'stdout')).toBe('function true function true function\n');
    const [error] = eventsOf(r, 'error');
    expect(error.traceback).toContain('    at <cell>:10:6'); // the line of the cell as written
    expect(await resultOf('import { basename } from "node:path"\nbasename("/a/b.txt")')).toBe("'b.txt'");
    // Where a rewrite would not make it a script, the error is the one about the code as written.
    const [unrewritable] = eventsOf(await run('import fs from "node:fs"\nexport const x = 1'), 'error');
    expect(unrewritable).toMatchObject({ ename: 'SyntaxError', evalue: expect.stringMatching(/import statement outside a module|export/) });
  });

  it("shows an error's cause after its frames, as node does: fetch's \"fetch failed\" says why only there", async () => {
    const [error] = eventsOf(await run('const inner = new RangeError("inner")\nthrow new Error("outer", { cause: inner })'), 'error');
    expect(error).toMatchObject({ ename: 'Error', evalue: 'outer' });
    expect(error.traceback.slice(-5)).toEqual(['Error: outer', '    at <cell>:2:7 {', '  [cause]: RangeError: inner', '      at <cell>:1:15', '}']);
    const [fetched] = eventsOf(await run('await fetch("http://no-such-host.invalid/data.json")'), 'error');
    expect(fetched).toMatchObject({ ename: 'TypeError', evalue: 'fetch failed' });
    expect(fetched.traceback.join('\n')).toMatch(/\[cause\]: Error: getaddrinfo \w+ no-such-host\.invalid/);
    // A cause that is no error, and one whose getter throws.
    expect(eventsOf(await run('throw new Error("x", { cause: 42 })'), 'error')[0].traceback.slice(-3)).toEqual(['    at <cell>:1:7 {', '  [cause]: 42', '}']);
    const [odd] = eventsOf(await run('const e = new Error("odd")\nObject.defineProperty(e, "cause", { get() { throw 1 } })\nthrow e'), 'error');
    expect(odd.traceback.at(-1)).toBe('    at <cell>:1:11');
  });

  it("says after a browser global's ReferenceError that a cell runs in Node.js, not in a web page", async () => {
    const [error] = eventsOf(await run('console.log("start")\nconst button = document.querySelector("button")'), 'error');
    expect(error).toMatchObject({ ename: 'ReferenceError', evalue: 'document is not defined' });
    expect(error.traceback.slice(-3)).toEqual([
      'ReferenceError: document is not defined',
      '    at <cell>:2:16',
      '(a JavaScript cell runs in Node.js, not in a web page: it has no document)',
    ]);
    expect(eventsOf(await run('window.onload = () => {}'), 'error')[0].traceback.at(-1)).toBe('(a JavaScript cell runs in Node.js, not in a web page: it has no window)');
    // Any other name is the cell's own mistake, said as node says it.
    expect(eventsOf(await run('documents.length'), 'error')[0].traceback.at(-1)).toBe('    at <cell>:1:1');
  });

  it('reports a SyntaxError', async () => {
    const r = await run('console.log("never")\nlet = = 1');
    const [error] = eventsOf(r, 'error');
    expect(error.ename).toBe('SyntaxError');
    expect(error.traceback.join('\n')).toContain('<cell>:2');
    expect(streamText(r, 'stdout')).toBe('');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('waits for timers: their output comes before done', async () => {
    const r = await run('void setTimeout(() => console.log("later"), 300)');
    expect(streamText(r, 'stdout')).toBe('later\n');
    const done = r.timeline.find((a) => a.value.type === 'done')!;
    expect(done.value).toEqual({ type: 'done', status: 'ok' });
    expect(done.at).toBeGreaterThanOrEqual(290); // not before the timer fired
  });

  it('reports an uncaught error thrown in a timer callback', async () => {
    const r = await run('void setTimeout(function later() {\n  throw new RangeError("late")\n}, 10)');
    const [error] = eventsOf(r, 'error');
    expect(error).toMatchObject({ ename: 'RangeError', evalue: 'late' });
    expect(error.traceback.join('\n')).toContain('<cell>:2:9');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('reports an unhandled rejection', async () => {
    const r = await run('async function f() { throw new TypeError("nope") }\nvoid f()');
    expect(eventsOf(r, 'error')[0]).toMatchObject({ ename: 'TypeError', evalue: 'nope' });
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it("ends a cell that declares or replaces a global the worker uses, as any other cell", async () => {
    // A cell's top-level let/const are global bindings the worker's own functions saw.
    expect(await resultOf('let Number = 1; let String = "s"; const JSON = {}; let Buffer = null; let Map = "grid"; let Reflect = 0\n6')).toBe('6');
    const failed = await run('let String = 2; let Object = 3\nthrow new RangeError("bad value")');
    expect(failed.stderr + streamText(failed, 'stderr')).toBe('');
    expect(eventsOf(failed, 'error')[0]).toMatchObject({ ename: 'RangeError', evalue: 'bad value' });
    expect(lastEvent(failed)).toEqual({ type: 'done', status: 'error' });
    expect(await resultOf('var JSON = 1; Buffer = null; Error = null; await 1; 7')).toBe('7');
  });

  it('treats process.exit(0) as success and process.exit(n) as an error', async () => {
    const ok = await run('console.log("a")\nprocess.exit(0)\nconsole.log("b")');
    expect(streamText(ok, 'stdout')).toBe('a\n');
    expect(ok.events.slice(1).filter((e) => e.type !== 'stream')).toEqual([{ type: 'done', status: 'ok' }]);
    const failed = await run('process.exit(3)');
    expect(eventsOf(failed, 'error')).toEqual([{ type: 'error', ename: 'ProcessExit', evalue: 'process.exit(3)', traceback: [] }]);
    expect(lastEvent(failed)).toEqual({ type: 'done', status: 'error' });
  });

  it('gives process.stdout and process.stderr as writable streams on fds 1 and 2 that write at once', async () => {
    const r = await run([
      "console.log(process.stdout.fd, process.stderr.fd, process.stdout.writable)",
      "await new Promise((resolve) => process.stdout.write('written\\n', resolve))",
      "const source = require('node:stream').Readable.from(['x', 'y\\n'])",
      "source.pipe(process.stdout, { end: false })",
      "await new Promise((resolve) => source.on('end', resolve))",
      "process.stderr.write('to stderr\\n')",
      // Like Node's own stdio: destroying the stream leaves the descriptor open.
      "process.stdout.destroy()",
      "require('node:fs').writeSync(1, 'still open\\n')",
    ].join('\n'));
    expect(streamText(r, 'stdout')).toBe('1 2 true\nwritten\nxy\n');
    expect(streamText(r, 'stderr')).toBe('to stderr\n');
    // fd 1 itself is still the process's stdout, as a child process's output is.
    expect(r.stdout).toBe('still open\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('keeps console.log and console.error in the order the cell wrote them, with its result and error', async () => {
    // fd 1 and 2 are two pipes the device reads apart: written there, a loop's lines came
    // regrouped, all of stdout and then all of stderr.
    const r = await run('for (let i = 0; i < 200; i++) { console.log("out", i); console.error("err", i) }\n"last"');
    const expected = Array.from({ length: 200 }, (_, i) => [
      { type: 'stream', name: 'stdout', text: `out ${i}\n` },
      { type: 'stream', name: 'stderr', text: `err ${i}\n` },
    ]).flat();
    expect(r.events.slice(1)).toEqual([...expected, { type: 'execute_result', data: { 'text/plain': "'last'" }, metadata: {} }, { type: 'done', status: 'ok' }]);
    const failed = await run('console.log("before")\nprocess.stderr.write("warned\\n")\nthrow new Error("boom")');
    expect(failed.events.slice(1).map((e) => e.type === 'stream' ? e.text : e.type)).toEqual(['before\n', 'warned\n', 'error', 'done']);
  });

  it('sends a huge write as several stream events, and bytes that are not UTF-8 as U+FFFD', async () => {
    const r = await run('process.stdout.write("é".repeat(100000) + "\\n")\nprocess.stdout.write(Buffer.from([0x61, 0xff, 0x62]))');
    const texts = eventsOf(r, 'stream').map((e) => e.text);
    expect(texts.length).toBeGreaterThan(2);
    expect(Math.max(...texts.map((t) => Buffer.byteLength(t)))).toBeLessThanOrEqual(65536);
    expect(texts.join('')).toBe(`${'é'.repeat(100000)}\na\ufffdb`);
  });

  it('shows the start of a character whose rest never came as U+FFFD at the end, before done', async () => {
    // Held back by the decoder for the rest, the bytes were dropped: the cell ended as if they
    // had never been written.
    const r = await run('process.stdout.write(Buffer.from("c日").subarray(0, 3))\nprocess.stderr.write(Buffer.from([0x64, 0xf0, 0x9f]))');
    expect(streamText(r, 'stdout')).toBe('c\ufffd');
    expect(streamText(r, 'stderr')).toBe('d\ufffd');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    const failed = await run('process.stdout.write(Buffer.from([0x65, 0xe3]))\nthrow new Error("boom")');
    expect(failed.events.slice(1).map((e) => (e.type === 'stream' ? e.text : e.type))).toEqual(['e', '\ufffd', 'error', 'done']);
  });

  it('runs the cell\'s own beforeExit and exit listeners, and the work they give the event loop', async () => {
    const r = await run([
      "process.on('beforeExit', () => { if (!globalThis.again) { globalThis.again = true; setTimeout(() => console.log('more'), 5); } });",
      "process.on('exit', (code) => console.log('exit', code));",
      "console.log('start')",
    ].join('\n'));
    expect(streamText(r, 'stdout')).toBe('start\nmore\nexit 0\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    // The cell is not over at its first 'beforeExit': what that gave the loop still counts.
    const late = await run("process.once('beforeExit', () => setTimeout(() => { throw new RangeError('late') }, 5))");
    expect(eventsOf(late, 'error')).toMatchObject([{ ename: 'RangeError', evalue: 'late' }]);
    expect(lastEvent(late)).toEqual({ type: 'done', status: 'error' });
  });

  it("fails a cell whose own exit listener throws or sets process.exitCode, as node does", async () => {
    const thrown = await run("process.on('exit', () => { throw new RangeError('at exit') })\nconsole.log('hi')");
    expect(streamText(thrown, 'stdout')).toBe('hi\n');
    expect(eventsOf(thrown, 'error')).toMatchObject([{ ename: 'RangeError', evalue: 'at exit' }]);
    expect(lastEvent(thrown)).toEqual({ type: 'done', status: 'error' });
    expect(thrown.stderr + streamText(thrown, 'stderr')).toBe('');
    const exiting = await run("process.on('exit', () => { throw new Error('on the way out') })\nprocess.exit(0)");
    expect(eventsOf(exiting, 'error')).toMatchObject([{ ename: 'Error', evalue: 'on the way out' }]);
    const coded = await run("process.on('exit', () => { process.exitCode = 3 })");
    expect(eventsOf(coded, 'error')).toMatchObject([{ ename: 'ProcessExit', evalue: 'process.exit(3)' }]);
    expect(lastEvent(coded)).toEqual({ type: 'done', status: 'error' });
  });

  it('fails a cell whose top-level await can never settle', async () => {
    const r = await run('await new Promise(() => {})');
    expect(eventsOf(r, 'error')[0].evalue).toMatch(/unsettled top-level await/);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('finds nothing of the rehearsal it ran before its code came: no name, no output, no handler, no stack', async () => {
    const names = 'console.log(JSON.stringify(Object.getOwnPropertyNames(globalThis).sort()))';
    const r = await run([
      names,
      'console.log(typeof rehearsal, ["exit", "beforeExit", "uncaughtException"].map((e) => process.listenerCount(e)))',
      'null.x',
    ].join('\n'));
    const [globals, rest] = streamText(r, 'stdout').split('\n');
    // The global names of a script that `node -` reads from stdin, which has the CommonJS names
    // as globals too.
    const plain = execFileSync('/usr/bin/node', ['-'], { input: names, env: { PATH: '/usr/bin:/bin' } as Record<string, string> as NodeJS.ProcessEnv, encoding: 'utf8' });
    // …and the browser's dialogs, which a cell has besides (kernel.cjs, defineDialogs()).
    expect(JSON.parse(globals)).toEqual([...JSON.parse(plain), 'alert', 'confirm', 'prompt'].sort());
    // The worker's own handlers: uncaughtException alone. It ends the cell after every 'exit'
    // listener, with none of its own, and leaves 'beforeExit' to the cell.
    expect(rest).toBe('undefined [ 0, 0, 1 ]');
    expect(r.stderr + streamText(r, 'stderr')).toBe('');
    // The error quotes this cell's own line 3, not the rehearsal's failing line.
    const error = "TypeError: Cannot read properties of null (reading 'x')";
    expect(r.events.slice(1).filter((e) => e.type !== 'stream')).toEqual([
      { type: 'error', ename: 'TypeError', evalue: error.slice(11), traceback: ['<cell>:3', 'null.x', '     ^', '', error, '    at <cell>:3:6'] },
      { type: 'done', status: 'error' },
    ]);
  });

  it('gives the code /dev/null as stdin and creates no files in the working directory', async () => {
    expect(await resultOf('require("fs").readlinkSync("/proc/self/fd/0")')).toBe("'/dev/null'");
    const r = await run('console.log(1 + 1)');
    expect(r.files).toEqual([]);
  });

  it('closes inherited descriptors above 3 and keeps its own', async () => {
    // Node has its own descriptors (epoll, eventfd, pipes) above 3 by the time the worker
    // starts, so an inherited pipe and an inherited file are recognised by what they are.
    const dir = mkdtempSync(path.join(tmpdir(), 'cellbox-inherited-'));
    const marker = path.join(dir, 'marker');
    const markerFd = openSync(marker, 'w');
    try {
      const r = await run([
        'const fs = require("fs")',
        'const links = []',
        'for (const name of fs.readdirSync("/proc/self/fd")) {',
        '  try { links.push([Number(name), fs.readlinkSync(`/proc/self/fd/${name}`)]) } catch {}',
        '}',
        'console.log(JSON.stringify(links))',
      ].join('\n'), { extraStdio: ['pipe', markerFd] });
      const links = JSON.parse(streamText(r, 'stdout')) as [number, string][];
      const above3 = links.filter(([fd]) => fd > 3).map(([, target]) => target);
      expect(above3).not.toContain(marker);
      expect(above3.filter((target) => target.startsWith('socket:'))).toEqual([]); // the stdio pipe
      expect(above3.length).toBeGreaterThan(0); // Node's own are still there: the loop works
    } finally {
      closeSync(markerFd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
