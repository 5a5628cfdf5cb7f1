// Cellbox Node.js language worker: runs one code cell as a script, events on fd 3.
//
// Started as `/usr/bin/node kernel.cjs` (see workers/protocol.ts for the contract), or with
// `--forker` as the JavaScript fork server's forker, which forks a process per cell from this one
// once it is warm (forkCells(), forker.c). The cell
// runs in this context like a REPL line: `require`, `module`, `exports`, `__filename` and
// `__dirname` are globals pointing into the cell's directory, the script's completion value
// becomes `execute_result`, and top-level `await` works. console output (process.stdout and
// process.stderr) goes out as `stream` events, in order with the rest; what writes to fd 1 and 2
// itself (a child process) reaches the device there. The cell is done when the event loop is empty, as for `node file.js`.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { StringDecoder } = require('node:string_decoder');
const { Writable } = require('node:stream');
const util = require('node:util');
const v8 = require('node:v8');
const vm = require('node:vm');
const { Module, createRequire } = require('node:module');

// A cell's top-level `let`, `const` and `class` are global bindings that every script sees,
// this worker's functions too, and its `var` or assignment replaces a global: a cell's
// `let Number = 1` or `const JSON = …` made the worker's own report of the cell's end throw,
// and the cell read as WorkerCrashed with this file's source on stderr. The globals the worker
// uses once the cell has started are its own, taken here.
const { Atomics, Buffer, Error, Int32Array, JSON, Map, Number, Object, ReferenceError, Reflect, SharedArrayBuffer, String, SyntaxError, process } = globalThis;

const EVENT_FD = 3;
const CELL = '<cell>'; // the script's name in stack traces
const IMPORT_DYNAMICALLY = vm.constants && vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER;

/**
 * Close the descriptors the device left open above the event pipe. Node has opened its own by
 * now (epoll and eventfd instances, both ends of its internal pipes): those are anonymous inodes
 * or pipes held at two descriptors here, while what was inherited is held at one.
 */
function closeInheritedFds() {
  let names;
  try {
    names = fs.readdirSync('/proc/self/fd');
  } catch {
    return;
  }
  const targets = new Map();
  for (const name of names) {
    const fd = Number(name);
    if (fd <= EVENT_FD) continue;
    try {
      targets.set(fd, fs.readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the descriptor readdirSync itself used, already closed
    }
  }
  const holders = new Map();
  for (const target of targets.values()) holders.set(target, (holders.get(target) || 0) + 1);
  for (const [fd, target] of targets) {
    const ownedByNode = target.startsWith('anon_inode:') || (target.startsWith('pipe:') && holders.get(target) > 1);
    if (!ownedByNode) {
      try {
        fs.closeSync(fd);
      } catch {
        // gone already
      }
    }
  }
}

/** Sleep without the event loop, for a descriptor that is not ready yet. */
function pause(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Write all of a buffer to a descriptor, synchronously, even if the device made it non-blocking. */
function writeAll(fd, buffer) {
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(fd, buffer, offset, buffer.length - offset);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
      pause(1);
    }
  }
}

const eventLine = (event) => JSON.stringify(event) + '\n';

function emit(event) {
  writeAll(EVENT_FD, Buffer.from(eventLine(event)));
}

const CODE_CHUNK = 1 << 16;

/** Read the cell's code from stdin until end of file, then leave stdin on /dev/null. */
function readCode() {
  const chunks = [];
  const buffer = Buffer.alloc(CODE_CHUNK);
  for (;;) {
    let n;
    try {
      n = fs.readSync(0, buffer, 0, buffer.length, null);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
      pause(1);
      continue;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  // open() takes the lowest free descriptor: 0, just closed. No handle was ever made on the
  // old stdin, so nothing keeps the event loop alive for it.
  fs.closeSync(0);
  fs.openSync('/dev/null', 'r');
  return decodeCode(chunks);
}

const decodeCode = (chunks) => Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '');
const countLines = (code) => code.split(/\r\n|[\n\r\u2028\u2029]/).length;

/** Set the CommonJS names a script run by `node cell.js` in the cell's directory would see. */
function defineModuleGlobals() {
  const filename = path.join(process.cwd(), 'cell.js');
  const cellModule = new Module(filename, null);
  cellModule.filename = filename;
  cellModule.paths = Module._nodeModulePaths(process.cwd());
  Object.assign(globalThis, {
    require: createRequire(filename),
    module: cellModule,
    exports: cellModule.exports,
    __filename: filename,
    __dirname: process.cwd(),
  });
  process.argv = [process.argv[0], filename];
}

/**
 * The browser's dialogs, which code copied from a web page calls and Node does not have
 * (`prompt()` was a ReferenceError, `prompt is not defined`, which told a learner nothing). As
 * Python's input() says in a cell: there is nobody to answer, so `prompt()` and `confirm()` show
 * their question and throw why; `alert()` only shows its message, since it asks nothing. A cell
 * may still define its own.
 */
const NO_INPUT = 'a cell runs unattended, with nothing to type into it; put the value in the code instead';

function defineDialogs() {
  const ask = (name) => (message = '') => {
    if (String(message)) process.stdout.write(`${message} `);
    const err = new Error(`${name}(): ${NO_INPUT}`);
    // The trace starts at the cell's call, not in this worker.
    Error.captureStackTrace(err, dialogs[name]);
    throw err;
  };
  const dialogs = {
    prompt: ask('prompt'),
    confirm: ask('confirm'),
    alert(message = '') {
      process.stdout.write(`${message}\n`);
    },
  };
  for (const [name, fn] of Object.entries(dialogs)) {
    Object.defineProperty(fn, 'name', { value: name });
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value: fn, writable: true, enumerable: false, configurable: true });
  }
}

/**
 * readline's question() on the cell's stdin, Node's way to ask the reader something (as
 * Python's input()): there is nobody to answer, so it shows its question and fails with why,
 * thrown where the cell called it (readline/promises: a rejected promise). It had shown the
 * question and ended the cell without a word, the answer's callback never called: stdin is at
 * its end. An interface on another stream (a file's lines) asks as before.
 *
 * Set up the first time the cell reaches for process.stdin, which an interface on it must do
 * first: loading readline in the forker moved where a cell's first allocations land, and a
 * `console.log(1 + 1)` took 38 copy-on-write faults instead of under 12 (test/integration/
 * pool.test.ts).
 */
function refuseQuestionsOnStdin() {
  const stdin = Object.getOwnPropertyDescriptor(process, 'stdin');
  if (!stdin || typeof stdin.get !== 'function' || !stdin.configurable) return;
  Object.defineProperty(process, 'stdin', {
    configurable: true,
    enumerable: stdin.enumerable,
    get() {
      const stream = stdin.get.call(process);
      Object.defineProperty(process, 'stdin', { configurable: true, enumerable: stdin.enumerable, get: () => stream });
      refuseQuestions(stream);
      stream.once('end', noteEmptyStdin);
      return stream;
    },
  });
}

/**
 * A cell that reads its stdin to the end (`rl.on('line', …)`, `for await (const line of rl)`,
 * `process.stdin.on('data', …)`) gets no line at all: its stdin is /dev/null. Said on stderr as
 * the stream ends, before the cell's own 'end' listeners run: the cell went on, or ended, without
 * a word of why its input was empty.
 */
function noteEmptyStdin() {
  process.stderr.write(`Note: stdin is empty: ${NO_INPUT}\n`);
}

function refuseQuestions(stdinStream) {
  const readline = require('node:readline');
  const readlinePromises = require('node:readline/promises');
  for (const [proto, promised] of [[readline.Interface.prototype, false], [readlinePromises.Interface.prototype, true]]) {
    const original = proto.question;
    const question = function question(query, ...rest) {
      if (this.input !== stdinStream) return original.call(this, query, ...rest);
      process.stdout.write(String(query ?? ''));
      const err = new Error(`readline question(): ${NO_INPUT}`);
      Error.captureStackTrace(err, question);
      if (promised) return Promise.reject(err);
      throw err;
    };
    Object.defineProperty(proto, 'question', { value: question, writable: true, configurable: true, enumerable: false });
  }
}

/**
 * import() in vm scripts is experimental in Node 20 and warns once, on first use. The warning
 * is about this worker, not the cell: trigger it once here, with warnings muted.
 */
function primeDynamicImport() {
  if (!IMPORT_DYNAMICALLY) return;
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    new vm.Script('import("node:path")', { importModuleDynamically: IMPORT_DYNAMICALLY })
      .runInThisContext()
      .catch(() => {});
  } finally {
    process.emitWarning = emitWarning;
  }
}

function compiles(source) {
  try {
    new vm.Script(source);
    return true;
  } catch {
    return false;
  }
}

// A cell with top-level await runs as the body of an async function called at once. The
// function starts on the cell's first line, and a negative column offset keeps that line's
// positions right.
const ASYNC_PREFIX = '(async function () {';
const ASYNC_SUFFIX = '\n})()';
const asyncBody = (body) => ASYNC_PREFIX + body + ASYNC_SUFFIX;

// A tail starting with one of these may continue the statement before it (`a\n(b)` is `a(b)`).
const CONTINUES = /^\s*[([`+\-/.,?:=<>*%&|^!]/;
const DECLARATION = /^\s*(?:function\b|class\b|async\s+function\b|\{)/;
const MAX_SPLIT_TRIES = 500;
const RETURN = 'return (';
// At the end of the line before the tail: `(0, tail)` is the tail's value, and the `0,` keeps the
// tail's own positions. V8 puts a call (or `new`) that is a return's whole expression at the
// `return`, there the line above: a cell's failing last call was said to be on that line.
const RETURN_ABOVE = 'return (0,';

/**
 * The async body for a cell with top-level await (which V8 cannot run as a script), made to
 * return the cell's last statement if that is an expression, like a script's completion value.
 *
 * Without a parser: cut points are line starts and ends of `;`, tried from the end. The first
 * cut where the head compiles decides, unless the tail could continue the head's last statement
 * (then look further up), or the cut was in a comment (the returning body does not compile).
 * `return (` goes at the end of the line before the tail if it can, so that the tail keeps its
 * positions; else in front of it, on its line (`shift`: how far the first line moved). When in
 * doubt the cell runs as it is, without a result: never as a different program.
 */
function returningBody(code) {
  let tries = 0;
  for (let cut = code.length; cut >= 0 && tries < MAX_SPLIT_TRIES; cut--) {
    if (cut > 0 && code[cut - 1] !== '\n' && code[cut - 1] !== ';') continue;
    const head = code.slice(0, cut);
    const tail = code.slice(cut);
    if (tail.trim() === '') continue;
    tries++;
    if (!compiles(asyncBody(head))) continue;
    if (cut > 0 && CONTINUES.test(tail) && !head.trimEnd().endsWith(';')) continue;
    if (DECLARATION.test(tail) || !compiles(asyncBody(`${RETURN}${tail}\n)`))) break;
    // Where `return (` goes in front of the tail past the first column (after a `;` on the line,
    // or at a line start where `return (0,` above did not compile), the tail's columns move,
    // and only stack traces can be told (movedTail): a column offset is for the first line whole.
    const moved = head === '' ? null : { line: countLines(head), column: head.split(/\r\n|[\n\r\u2028\u2029]/).at(-1).length + 1 };
    const candidates = [{ body: `${head}${RETURN}${tail}\n)`, shift: head === '' ? RETURN.length : 0, moved }];
    if (/\n$/.test(head)) candidates.unshift({ body: head.replace(/(\r?\n)$/, `;${RETURN_ABOVE}$1`) + `${tail}\n)`, shift: 0, moved: null });
    // A `return (` in a comment leaves a `)` alone, and such a body does not compile.
    const found = candidates.find((candidate) => compiles(asyncBody(candidate.body)));
    if (found) return found;
  }
  return { body: code, shift: 0, moved: null };
}

/**
 * The cell as a vm.Script: as is, or as an async function if it awaits at top level. A cell
 * with `import` declarations, which only a module may have, has them as `await import()`, as
 * Node's REPL does: `import fs from 'node:fs'` is how most JavaScript is written now.
 */
function compileCell(code) {
  try {
    return compileScript(code);
  } catch (err) {
    if (!(err instanceof SyntaxError) || !/Cannot use import statement outside a module/.test(err.message)) throw err;
    const rewritten = importsAsDynamic(code);
    if (rewritten === code) throw err;
    try {
      return compileScript(rewritten);
    } catch {
      throw err; // the cell's own error, about the code as written
    }
  }
}

function compileScript(code) {
  const options = { filename: CELL, importModuleDynamically: IMPORT_DYNAMICALLY };
  try {
    const script = new vm.Script(code, options);
    movedTail = null;
    return { script, isAsync: false };
  } catch (err) {
    if (!(err instanceof SyntaxError) || !/\bawait\b/.test(code) || !compiles(asyncBody(code))) throw err;
  }
  const { body, shift, moved } = returningBody(code);
  const script = new vm.Script(asyncBody(body), { ...options, columnOffset: -(ASYNC_PREFIX.length + shift) });
  movedTail = moved;
  return { script, isAsync: true };
}

// An import declaration at the start of a line: `import d, * as ns from 'm'`, `import d, { a,
// b as c } from 'm'`, `import * as ns from 'm'`, `import 'm'` (its braces may span lines).
const IMPORT_DECLARATION = /^([ \t]*)import(?:\s+([\w$]+)\s*(?:,\s*)?|\s*(?=[{*]))(?:\*\s*as\s+([\w$]+)|\{([^}]*)\})?\s*from\s*(['"])([^'"\n]+)\5[ \t]*;?|^([ \t]*)import\s*(['"])([^'"\n]+)\8[ \t]*;?/gm;

/**
 * The cell with each import declaration as a constant awaiting `import()`, on the lines it
 * took (so that positions after it stay right), the named bindings as a destructuring.
 * Without a parser: only what starts a line, and the caller keeps the cell's own error
 * wherever the result does not compile.
 */
function importsAsDynamic(code) {
  return code.replace(IMPORT_DECLARATION, (match, indent, name, namespace, named, _q, from, bareIndent, _bq, bare) => {
    let statement;
    if (bare !== undefined) {
      statement = `${bareIndent}await import(${JSON.stringify(bare)});`;
    } else {
      const source = `await import(${JSON.stringify(from)})`;
      if (named !== undefined) {
        const specifiers = named.replace(/\b([\w$]+)\s+as\s+([\w$]+)/g, '$1: $2');
        statement = `const {${name ? ` default: ${name},` : ''}${specifiers}} = ${source};`;
      } else if (namespace) {
        statement = `const ${namespace} = ${source};${name ? ` const ${name} = ${namespace}.default;` : ''}`;
      } else if (name) {
        statement = `const { default: ${name} } = ${source};`;
      } else {
        return match;
      }
      statement = indent + statement;
    }
    const lines = (text) => text.split('\n').length - 1;
    return statement + '\n'.repeat(Math.max(0, lines(match) - lines(statement)));
  });
}

// Where the frames of the worker, and of the Node machinery that runs the cell, point.
const WORKER_LOCATIONS = [`${__filename}:`, 'node:internal/', 'node:vm:'];
let cellLineCount = Infinity;
// The line and column (1-based) where returningBody() put `return (` in front of the cell's
// last expression, moving what follows on that line RETURN.length columns right; or null.
let movedTail = null;

/** A stack's `<cell>:line:column` places as they are in the cell's code (see movedTail). */
function cellColumns(stack) {
  if (movedTail === null || typeof stack !== 'string') return stack;
  const { line, column } = movedTail;
  return stack.replace(/(<cell>:(\d+):)(\d+)/g, (place, prefix, l, c) => {
    const col = Number(c);
    return Number(l) === line && col >= column + RETURN.length ? `${prefix}${col - RETURN.length}` : place;
  });
}

/**
 * Where a frame points: 'worker' (this worker, and the Node machinery that runs the cell: a
 * frame in the cell past its last line is the call of the async function a cell with top-level
 * await becomes), 'builtin' (a public module of Node's, such as node:fs), or 'cell' (the cell,
 * and anything else it called). `file`: the frame's location without its line and column.
 */
function frameKind(file, line) {
  if (file === CELL) return line > cellLineCount ? 'worker' : 'cell';
  if (typeof file !== 'string') return 'cell';
  for (const prefix of WORKER_LOCATIONS) if (`${file}:`.startsWith(prefix)) return 'worker';
  return file.startsWith('node:') ? 'builtin' : 'cell';
}

/**
 * The items of a stack, innermost first, without the worker's frames: each run of worker and
 * built-in frames that holds a worker frame goes whole. A built-in frame next to the worker's is
 * the worker's work: a Stop met in the fs.writeSync under a cell's console.log showed
 * `at writeSync (node:fs:…)` above the cell's line. One the cell called itself stays, as a
 * thrown error's `at Object.readFileSync (node:fs:…)` does. `kindOf(item)`: frameKind(), or
 * null for a line that is not a frame.
 */
function withoutWorkerFrames(items, kindOf) {
  const kept = [];
  let run = [];
  let runHasWorker = false;
  const endRun = () => {
    if (!runHasWorker) kept.push(...run);
    run = [];
    runHasWorker = false;
  };
  for (const item of items) {
    const kind = kindOf(item);
    if (kind === 'worker' || kind === 'builtin') {
      run.push(item);
      runHasWorker ||= kind === 'worker';
    } else {
      endRun();
      kept.push(item);
    }
  }
  endRun();
  return kept;
}

/** frameKind() of a stack line, null for a line that is not a frame. */
function lineKind(line) {
  const frame = /^\s+at (?:.* \()?(.*?)\)?$/.exec(line);
  if (!frame) return null;
  const place = /^(.*?)(?::(\d+))?(?::\d+)?$/.exec(frame[1]);
  return frameKind(place[1], Number(place[2]));
}

/** frameKind() of one of V8's call sites. */
const siteKind = (site) => frameKind(site.getFileName(), site.getLineNumber());

/**
 * Every error's stack as the cell sees it (err.stack, console.log(err), an Error as the cell's
 * value) without the frames of this worker and of the Node machinery that runs the cell, as the
 * error event's traceback has them: a cell's `console.error(e)` in a catch printed eight lines
 * of /opt/cellbox/workers/node/kernel.cjs and Node's module loader under its own one. Node's own
 * formatting, given the cell's frames only. A cell that sets Error.prepareStackTrace has its own.
 */
function hideWorkerFrames() {
  const prepare = Error.prepareStackTrace;
  if (typeof prepare !== 'function') return;
  Error.prepareStackTrace = function prepareStackTrace(error, sites) {
    return cellColumns(Reflect.apply(prepare, this, [error, withoutWorkerFrames(sites, siteKind)]));
  };
}

function errorEvent(err) {
  const isError = err instanceof Error || (err !== null && typeof err === 'object' && typeof err.stack === 'string');
  if (!isError) {
    // `throw 'text'` and the like: there is no stack to show.
    const text = util.inspect(err);
    return { type: 'error', ename: 'Error', evalue: text, traceback: [`Uncaught ${text}`] };
  }
  const stack = String(err.stack || `${err.name}: ${err.message}`);
  const evalue = String(err.message ?? '');
  const traceback = withCause(withoutWorkerFrames(withoutWorkerArrow(stack.split('\n')), lineKind), err);
  const browserOnly = err instanceof ReferenceError && BROWSER_ONLY.exec(evalue);
  if (browserOnly) traceback.push(`(a JavaScript cell runs in Node.js, not in a web page: it has no ${browserOnly[1]})`);
  return { type: 'error', ename: String(err.name || 'Error'), evalue, traceback };
}

/**
 * The browser's globals that a web course's code reaches for, which Node does not have: "document
 * is not defined" told a learner who had just written `document.querySelector(…)` nothing of why.
 * (prompt(), confirm() and alert() Node lacks too: defineDialogs() gives them.)
 */
const BROWSER_ONLY = /^(document|window|localStorage|sessionStorage|location|navigator|XMLHttpRequest|HTMLElement) is not defined$/;

/**
 * The error's `cause` after its frames, as `node` shows an uncaught error's: `fetch()` fails
 * with "fetch failed" alone, and only its cause says why (`getaddrinfo ENOTFOUND example.com`:
 * a cell has no network).
 */
function withCause(lines, err) {
  let cause;
  try {
    if (!Object.hasOwn(err, 'cause')) return lines;
    cause = util.inspect(err.cause).split('\n');
  } catch {
    return lines; // a Proxy or a getter that throws: the error as it was
  }
  const last = lines.length - 1;
  return [...lines.slice(0, last), `${lines[last]} {`, `  [cause]: ${cause[0]}`, ...cause.slice(1).map((line) => `  ${line}`), '}'];
}

/**
 * Node puts the line an uncaught error was thrown at above its stack (the file and line, the
 * code, a caret, a blank line). Where that is in this worker (a dialog's throw, defineDialogs(),
 * or a question's, refuseQuestions()),
 * it names the worker and not the cell: left out.
 */
function withoutWorkerArrow(lines) {
  const inWorker = /:\d+$/.test(lines[0] ?? '') && WORKER_LOCATIONS.some((prefix) => lines[0].startsWith(prefix));
  return inWorker && /^\s*\^+\s*$/.test(lines[2] ?? '') && lines[3] === '' ? lines.slice(4) : lines;
}

let finished = false;
/** In a forked cell, forker.c's endWith(): the last events wait for the process's way out. */
let endLater = null;

/**
 * End the cell: the error if any, then `done`. Only the first call counts. A forked cell hands
 * them to forker.c, which writes them as the process leaves, after every 'exit' listener; a cell
 * run by a Node of its own writes them now.
 */
function finish(status, error) {
  if (finished) return;
  finished = true;
  for (const stream of stdio) {
    try {
      stream.endBytes();
    } catch {
      // The event pipe is gone: nothing more reaches the device.
    }
  }
  const events = error ? [error, { type: 'done', status }] : [{ type: 'done', status }];
  if (!endLater) {
    for (const event of events) emit(event);
    return;
  }
  endLater(Buffer.from(events.map(eventLine).join('')), status === 'ok' ? 0 : 1);
}

function failAndExit(err) {
  // Stop's SIGINT reached the cell's process group before its handler stopped the code, and this
  // is what it did first: a command the cell waited on in execSync died of it, and execSync threw.
  // The cell was stopped, where the error shows, as under `node` at Ctrl+C (one error, not that
  // one and then the Stop's).
  if (interruptRequested()) interrupted(framesOf(err));
  finish('error', errorEvent(err));
  process.exit(1);
}

/** End the cell as the process ends: `process.exit(n)` or `process.exitCode = n` with n ≠ 0 fails it. */
function finishWithExitCode(exitCode) {
  if (exitCode === 0) finish('ok');
  else finish('error', { type: 'error', ename: 'ProcessExit', evalue: `process.exit(${exitCode})`, traceback: [] });
}

/**
 * Ends the cell with the process's exit status once every 'exit' listener has run, the cell's
 * own included; what one of them throws is the cell's error instead (and goes on, as an uncaught
 * error, to end the process with status 1). As under `node`, a listener may still set
 * `process.exitCode` or throw: decided in a listener of the worker's own, which ran first, the
 * cell came back as ok either way. Set by main() for its cell; null until then and after.
 */
let endCell = null;

// Wrapped once, as the worker loads: in the forker, before any cell is forked, so that no cell
// pays for wrapping it.
const emitEvent = process.emit;
process.emit = function emit(event, ...args) {
  const ended = event === 'exit' ? endCell : null;
  if (ended === null) return Reflect.apply(emitEvent, this, [event, ...args]);
  endCell = null;
  let listened;
  try {
    listened = Reflect.apply(emitEvent, this, [event, ...args]);
  } catch (err) {
    finish('error', errorEvent(err));
    throw err;
  }
  // Node takes the status from `process.exitCode` after the listeners.
  ended(Number(process.exitCode ?? args[0] ?? 0) || 0);
  return listened;
};

/** Node's timer classes, whose objects setTimeout, setInterval and setImmediate return. */
const TIMER_CLASSES = (() => {
  const timeout = setTimeout(() => {}, 0);
  clearTimeout(timeout);
  const immediate = setImmediate(() => {});
  clearImmediate(immediate);
  return [timeout.constructor, immediate.constructor];
})();

function isTimer(value) {
  try {
    return TIMER_CLASSES.some((timer) => value instanceof timer);
  } catch {
    return false; // a Proxy whose getPrototypeOf throws is no timer
  }
}

/**
 * Node's classes of handles on I/O, [module, export]: a server, a stream (a socket, a file's
 * stream, stdin), a readline interface, a child process. Their objects are what `.on(…)` and
 * `.listen(…)` return, the last line of much of Node's own example code (`rl.on('line', …)`,
 * `server.listen(8080)`, `child.on('close', …)`), and as the cell's value they showed some
 * 100-300 lines of Node's internals (`_readableState`, `_handle`, a Socket per stdio), where
 * `node file.js` shows nothing. Looked for only in modules the cell has loaded.
 */
const IO_CLASSES = [['stream', 'Stream'], ['net', 'Server'], ['readline', 'Interface'], ['readline/promises', 'Interface'], ['child_process', 'ChildProcess'], ['dgram', 'Socket'], ['worker_threads', 'Worker']];

/** Whether a value is `process` or a handle of Node's on I/O (IO_CLASSES), shown as nothing. */
function isIoHandle(value) {
  if (value === process) return true;
  if (value === null || typeof value !== 'object') return false;
  try {
    // Every one of them is an EventEmitter: a cheap check first, node:events being loaded always.
    if (!(value instanceof require('node:events'))) return false;
    const loaded = process.moduleLoadList;
    return IO_CLASSES.some(([module, name]) => loaded.includes(`NativeModule ${module}`) && value instanceof require(`node:${module}`)[name]);
  } catch {
    return false; // a Proxy whose getPrototypeOf throws is no handle
  }
}

/** Promise's own then(), as the worker loaded: a cell may replace a promise's or Promise's. */
const promiseThen = Promise.prototype.then;

/**
 * The cell's value as `execute_result`. A promise (a cell ending with `main()`, an async
 * function's call) is shown once it is fulfilled, by its value, as `await main()` would be, and
 * as Deno's Jupyter kernel does: its `Promise { <pending> }` told the reader nothing, and came
 * before the output the call went on to print. Rejected, it is the cell's error (an unhandled
 * rejection, through the promise then() makes), not that and a dump of the promise besides. A
 * timer (a cell ending with setTimeout(…)) shows nothing, as a browser's timer id shows
 * nothing worth reading: Node's Timeout object was some fifteen lines of its internals. Nor
 * does a handle on I/O (isIoHandle()), or `process` (`process.on('exit', …)`).
 */
function showResult(value) {
  if (value === undefined) return;
  if (util.types.isPromise(value)) {
    Reflect.apply(promiseThen, value, [showResult]);
    return;
  }
  if (isTimer(value) || isIoHandle(value)) return;
  emit({ type: 'execute_result', data: { 'text/plain': util.inspect(value) }, metadata: {} });
}

/** The most bytes of text one `stream` event carries: a huge write goes out as several. */
const STREAM_CHUNK = 1 << 16;

/**
 * process.stdout and process.stderr: streams whose every chunk goes out at once as a `stream`
 * event on the event pipe, with a blocking write. On the event pipe, not fd 1 and 2: those are
 * two pipes the device reads apart, and a cell that wrote to both in a loop (console.log, then
 * console.error) had its lines regrouped, all of one stream and then all of the other, and its
 * output could pass its result or its error, which come as events. Blocking, as `node file.js >
 * file` writes: fd 3 is a pipe, for which Node makes a socket that writes asynchronously, and a
 * cell printing in a tight loop would queue its output in memory until the heap ran out;
 * blocking writes pace the cell by the reader. `fd` stays 1 and 2, as Node's own stdio has it
 * (fs.writeSync(process.stdout.fd, …) writes raw bytes there, as a child process does).
 * Bytes that are not UTF-8 become U+FFFD, as the device decodes fd 1 and 2.
 */
class StdioStream extends Writable {
  constructor(name, fd, eventFd = EVENT_FD) {
    super();
    this.fd = fd;
    this.name = name;
    this.eventFd = eventFd;
    this.decoder = new StringDecoder('utf8');
    this._type = 'fs';
    this._isStdio = true;
    this.destroySoon = this.destroy;
  }

  _write(chunk, encoding, callback) {
    try {
      for (let start = 0; start < chunk.length; start += STREAM_CHUNK) {
        const text = this.decoder.write(chunk.subarray(start, start + STREAM_CHUNK));
        if (text) writeAll(this.eventFd, Buffer.from(eventLine({ type: 'stream', name: this.name, text })));
      }
    } catch (err) {
      callback(err);
      return;
    }
    callback();
  }

  // Like Node's own stdio: ending or destroying the stream leaves the descriptor open.
  _destroy(err, callback) {
    callback(err);
  }

  /**
   * The start of a character whose rest never came, which the decoder holds back, as U+FFFD: at
   * the cell's end, as the device shows fd 1 and 2's. Those bytes were dropped without a trace.
   */
  endBytes() {
    const text = this.decoder.end();
    if (text) writeAll(this.eventFd, Buffer.from(eventLine({ type: 'stream', name: this.name, text })));
  }
}

/** The cell's process.stdout and process.stderr (synchronousStdio()), ended by finish(). */
const stdio = [];

function synchronousStdio() {
  for (const [name, fd] of [['stdout', 1], ['stderr', 2]]) {
    const stream = new StdioStream(name, fd);
    stdio.push(stream);
    Object.defineProperty(process, name, { configurable: true, enumerable: true, get: () => stream });
  }
}

// A small cell that takes the steps a real one does (compile, run, show a value), and one that
// fails with a stack. Neither declares a name. See rehearse().
const REHEARSAL = '[1, 2.5, "a"].map((x) => typeof x)';
const REHEARSAL_ERROR = 'null.rehearsal';

/**
 * Runs a cell's steps once, before the worker says ready: V8 compiles each function on its first
 * call, and Node builds parts of its machinery on first use (console's formatting, util.inspect,
 * an error's stack). Done after the code came, that put a cell's first output or its error some
 * 1.5 ms later on a VM. Nothing of it reaches the cell: the scripts declare nothing and console
 * writes to a stream that drops it. What the steps and primeDynamicImport() left queued runs
 * here too: the first import()'s remaining steps, some 2 ms of microtasks, ran after the cell's
 * code and held back its awaits and its `done`.
 */
function rehearse() {
  countLines(decodeCode([Buffer.from(REHEARSAL)]));
  const sink = new Writable({ write: (chunk, encoding, callback) => callback() });
  new console.Console({ stdout: sink, stderr: sink }).log(1 + 1, 'a', [1, 2.5]);
  util.inspect(compileCell(REHEARSAL).script.runInThisContext({ displayErrors: true }));
  try {
    compileCell(REHEARSAL_ERROR).script.runInThisContext({ displayErrors: true });
  } catch (err) {
    errorEvent(err);
  }
  // process._tickCallback, Node's own and undocumented, runs the pending ticks and microtasks
  // now; a Node without it runs them after the cell's code, as it always did.
  if (typeof process._tickCallback === 'function') process._tickCallback();
}

/**
 * The cell forker.c's probe runs, once, as a cell (its code on stdin, /dev/null for its output
 * and events): it learns which of the forker's pages a cell's path writes, and every cell gets
 * those copied before its code comes. Output, a value shown, a timer, and an uncaught error.
 */
const PROBE_CELL = [
  "console.log(1 + 1, 'a', [1, 2.5]);",
  'setTimeout(() => null.probe);',
  "[1, 2.5, 'a'].map((x) => typeof x)",
].join('\n');

/**
 * As the fork server's forker (`--forker`, started by workers/python/forkserver.py with its
 * request socket at fd 3): forks a process per cell from here, warm. Returns in each cell's
 * process, isolated, with the cell's pipes at 0-3, and once in the probe (PROBE_CELL); the
 * forker exits when the zygote is gone.
 * A forked process must leave with _exit: forker.c sees to it.
 */
function forkCells() {
  const forker = require('./forker.node');
  // Set for the forker (sandbox.ts): the programs a cell starts bind their symbols lazily.
  delete process.env.LD_BIND_NOW;
  // A full collection first, so that no cell inherits one half done. The flag goes off again
  // once gc() is had: contexts a cell makes with vm would get a `gc` global too.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  v8.setFlagsFromString('--no-expose-gc');
  gc();
  rehearseStdio();
  endLater = forker.endWith;
  // Found before the fork: no cell pays for it.
  const checks = asyncHookChecks();
  const { randomFillSync } = require('node:crypto');
  if (!forker.serve(JSON.stringify(readyEvent()), PROBE_CELL)) process.exit(0);
  // Stop's SIGINT ends the cell where it is (forker.c, interruptOn()). Where that cannot be set
  // up, the ready event says nothing of it, and the device kills the cell at Stop.
  try {
    forker.interruptOn(() => interrupted(forker.interruptedAt()), checks?.fields ?? null, checks?.index ?? 0);
    interruptible = true;
    interruptRequested = forker.interruptRequested;
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
  }
  freshMathRandom(randomFillSync);
  // Node read process.pid once, at the forker's start: left so, every cell had the forker's pid,
  // and process.kill(process.pid) signalled whichever of its own processes had that number.
  // (process.ppid is read at each use: 0, the forker being outside the cell's PID namespace.)
  Object.defineProperty(process, 'pid', { value: forker.pid(), writable: false, enumerable: true, configurable: true });
  // process.exit() ends here, after the 'exit' listeners; an emptied event loop in forker.c.
  process.reallyExit = (code) => forker.exit(Number(code) || 0);
}

/**
 * Math.random for a forked cell. V8 seeds its generator once per process, from the system's
 * entropy at the forker's start, so every cell forked from it drew the same numbers (0.3210905…
 * first in each), and V8 has no call to seed it again. Drawn instead from the operating system's
 * random source through node:crypto (OpenSSL seeds itself again after a fork: crypto.randomUUID()
 * differs from cell to cell), 256 numbers at a time; each a double in [0, 1) of 53 random bits,
 * as V8's own. Set in the cell, after the fork: set in the forker, every cell would copy one
 * buffer. A context the cell makes with vm keeps V8's own, seeded alike in every cell.
 * `randomFillSync` is node:crypto's, loaded in the forker, before the fork, once for all cells.
 */
function freshMathRandom(randomFillSync) {
  const words = new Uint32Array(512);
  let next = words.length;
  const random = () => {
    if (next === words.length) {
      randomFillSync(words);
      next = 0;
    }
    const high = words[next++] >>> 5; // 27 bits
    const low = words[next++] >>> 6; // 26 bits
    return (high * 2 ** 26 + low) / 2 ** 53;
  };
  Object.defineProperty(random, 'name', { value: 'random' });
  Object.defineProperty(Math, 'random', { value: random, writable: true, enumerable: false, configurable: true });
}

/**
 * Node's switch for its async-hooks stack checks, for forker.c to turn off as it stops the cell's
 * code (capture()); null where this Node does not show it. Through process.binding, deprecated:
 * its warning is about this worker, not the cell, and is muted.
 */
function asyncHookChecks() {
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    const binding = process.binding('async_wrap');
    const index = binding.constants.kCheck;
    return binding.async_hook_fields instanceof Uint32Array && Number.isInteger(index) ? { fields: binding.async_hook_fields, index } : null;
  } catch {
    return null;
  } finally {
    process.emitWarning = emitWarning;
  }
}

/**
 * The steps of a forked cell's own stdio, taken once in the forker on /dev/null, so that every
 * cell finds them compiled: its streams, a console.log through them, reading its code. Apart
 * from rehearse() and after the forker's collection on purpose: folded into rehearse(), before
 * it, a cell's first console.log took 3 faults instead of 0-1 (one forker, tried once).
 */
function rehearseStdio() {
  const fd = fs.openSync('/dev/null', 'r+');
  try {
    const stream = new StdioStream('stdout', 1, fd);
    new console.Console({ stdout: stream, stderr: stream }).log(1 + 1, 'a', [1, 2.5]);
    fs.readSync(fd, Buffer.alloc(CODE_CHUNK), 0, CODE_CHUNK, null);
    decodeCode([]);
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether Stop's SIGINT ends the cell with where it was (forkCells()): the ready event says so. */
let interruptible = false;

/** Whether Stop's SIGINT has come to this cell (forker.c); false where Stop kills instead. */
let interruptRequested = () => false;

/** The `at` lines of an error's stack (none for a thrown value that is not an error). */
function framesOf(err) {
  const stack = err !== null && typeof err === 'object' && typeof err.stack === 'string' ? err.stack : '';
  return stack.split('\n').filter((line) => /^\s+at /.test(line)).join('\n');
}

const readyEvent = () => ({ type: 'ready', language: 'node', version: process.version, ...(interruptible ? { interrupt: true } : {}) });

const INTERRUPTED = 'Script execution was interrupted by `SIGINT`'; // Node's REPL's words

/**
 * The reader stopped the cell (SIGINT): it ends now, as the KeyboardInterrupt the device names
 * `Interrupted` (workers/protocol.ts, 5). `at`: the stack the cell's code was stopped at, as
 * Error.stack lines; empty when the cell was waiting in its event loop (a timer, a promise). Its
 * output is written already (StdioStream writes at once); its own 'exit' listeners do not run,
 * as under `node` at Ctrl+C.
 */
function interrupted(at) {
  const frames = withoutWorkerFrames(at.split('\n').filter((line) => line !== ''), lineKind);
  finish('error', { type: 'error', ename: 'KeyboardInterrupt', evalue: INTERRUPTED, traceback: [`Error: ${INTERRUPTED}`, ...frames] });
  process.reallyExit(1);
}

function main() {
  const forking = process.argv.includes('--forker');
  if (!forking) closeInheritedFds();
  hideWorkerFrames();
  // The same in every cell: in the forker, once for all of them.
  defineDialogs();
  refuseQuestionsOnStdin();
  primeDynamicImport();
  rehearse();
  if (forking) forkCells();
  synchronousStdio();
  // They do not depend on the code: set before it comes.
  defineModuleGlobals();
  emit(readyEvent());
  const code = readCode();
  cellLineCount = countLines(code);

  process.on('uncaughtException', failAndExit);
  // The cell has finished when the process ends, as `node file.js` does: its event loop emptied
  // (after every 'beforeExit' listener, which may give it more to do), or process.exit().
  let settled = true;
  endCell = (exitCode) => {
    if (settled || process.exitCode !== undefined) {
      finishWithExitCode(exitCode);
    } else {
      // Like `node` with a module whose top-level await never settles.
      const evalue = 'unsettled top-level await: the cell awaits a promise that nothing will settle';
      finish('error', { type: 'error', ename: 'Error', evalue, traceback: [`Error: ${evalue}`] });
    }
  };

  let compiled;
  try {
    compiled = compileCell(code);
  } catch (err) {
    failAndExit(err);
    return;
  }

  let value;
  try {
    value = compiled.script.runInThisContext({ displayErrors: true });
  } catch (err) {
    failAndExit(err);
    return;
  }
  if (!compiled.isAsync) {
    showResult(value);
    return;
  }
  settled = false;
  value.then(
    (result) => {
      settled = true;
      showResult(result);
    },
    failAndExit,
  );
}

main();
