// Tests of the R language worker (workers/r/), run outside the sandbox.
import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { installed as isInstalled } from '../helpers/installed';
import { eventsOf, lastEvent, runWorker, withScratchFiles } from './run-worker';
import { pngSize } from './png';

const installed = isInstalled('/usr/bin/R');
// As the registry runs it: fontconfig's cache out of the cell's directory.
const run = (code: string, options?: Parameters<typeof runWorker>[2]) => runWorker('r', code, { env: { XDG_CACHE_HOME: '/tmp/cellbox-test-cache' }, ...options });
const pngs = (r: Awaited<ReturnType<typeof run>>) => eventsOf(r, 'display_data').map((e) => e.data['image/png'] as string);

describe.skipIf(!installed)('r worker', () => {
  it('says ready first, prints visible top-level values as the console does, ends with done', async () => {
    const r = await run('cat("hello, world\\n")\nx <- 1:3\nx\ninvisible(7)\nx * 2L\nf <- function() invisible(5)\nf()');
    expect(r.events[0]).toEqual({ type: 'ready', language: 'r', version: expect.stringMatching(/^\d+\.\d+\.\d+$/), interrupt: true });
    expect(r.stdout).toBe('hello, world\n[1] 1 2 3\n[1] 2 4 6\n');
    expect(r.events.slice(1)).toEqual([{ type: 'done', status: 'ok' }]);
    expect(r.badLines).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.files).toEqual([]);
  });

  it('finds nothing of the rehearsal run before its code came: no name, no error message, no device, no output', async () => {
    const r = await run('print(ls(all.names = TRUE))\nprint(grepl("rehearsal", geterrmessage()))\nprint(dev.cur())\nprint(sink.number())');
    expect(r.stdout).toBe('character(0)\n[1] FALSE\nnull device \n          1 \n[1] 0\n');
    expect(r.stderr).toBe('');
    expect(r.events.slice(1)).toEqual([{ type: 'done', status: 'ok' }]);
  });

  it('compiles its own functions before ready: none is left to compile on the way to done', async () => {
    // R's JIT compiles a closure at one of its first calls (and loads the compiler for the
    // first one): the worker's own functions took some 50 ms on every cell's way to done.
    // Found from the cell through its callers' environments, they are compiled already.
    const code = [
      'envs <- lapply(seq_len(sys.nframe()), function(k) environment(sys.function(k)))',
      'worker <- Filter(function(e) is.environment(e) && exists("close_devices", envir = e, inherits = FALSE), envs)[[1]]',
      'for (name in c("run_cell", "show_plots", "close_devices", "error_event")) cat(name, any(grepl("<bytecode", capture.output(print(get(name, envir = worker))))), "\\n")',
    ].join('\n');
    const r = await run(code);
    expect(r.stdout).toBe('run_cell TRUE \nshow_plots TRUE \nclose_devices TRUE \nerror_event TRUE \n');
  });

  it('flushes the files the cell left open before done, as R does at its exit', async () => {
    // The device ends the worker at done: such a file was listed empty.
    const r = await run('con <- file("left-open.txt", "w")\nwriteLines("hello", con)\nout <- file("p.txt", "w")\ncat("partial", file = out)');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(r.fileBytesAtDone['left-open.txt']?.toString()).toBe('hello\n');
    expect(r.fileBytesAtDone['p.txt']?.toString()).toBe('partial');
  });

  it("stops at the first error, reported as R reports it, with the cell's calls", async () => {
    const r = await run('f <- function(x) g(x)\ng <- function(x) stop("boom: ", x)\ncat("before\\n")\nf(3)\ncat("never\\n")');
    expect(r.stdout).toBe('before\n');
    expect(eventsOf(r, 'error')).toEqual([{ type: 'error', ename: 'Error', evalue: 'boom: 3', traceback: ['Error in g(x) : boom: 3', 'Calls: f -> g'] }]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('puts a long error message on a line of its own, indented, as R does', async () => {
    const r = await run('f <- function(x) stop("this message is long enough that R puts it on a line of its own")\nf(1)');
    expect(eventsOf(r, 'error')[0].traceback).toEqual(['Error in f(1) : ', '  this message is long enough that R puts it on a line of its own']);
  });

  it('gives "Calls:" as R does: none for an error without a call, and a long chain cut to its outermost and innermost', async () => {
    // stop(call. = FALSE), as packages raise their errors, read "Error: bad" then "Calls: f -> g";
    // a deep error listed every frame.
    const uncalled = await run('f <- function() g()\ng <- function() stop("bad", call. = FALSE)\nf()');
    expect(eventsOf(uncalled, 'error')[0].traceback).toEqual(['Error: bad']);
    const chain = Array.from({ length: 12 }, (_, i) => `a${i + 1} <- function() a${i + 2}()`);
    const deep = await run([...chain, 'a13 <- function() stop("deep")', 'a1()'].join('\n'));
    expect(eventsOf(deep, 'error')[0].traceback).toEqual(['Error in a13() : deep', 'Calls: a1 ... a5 -> a6 -> a7 -> a8 -> a9 -> a10 -> a11 -> a12 -> a13']);
  });

  it('reports an error at the top of the cell without a call, and names classed conditions', async () => {
    const top = await run('stop("bad value")');
    expect(eventsOf(top, 'error')).toEqual([{ type: 'error', ename: 'Error', evalue: 'bad value', traceback: ['Error: bad value'] }]);
    const missing = await run('nope');
    expect(eventsOf(missing, 'error')[0]).toMatchObject({ ename: 'Error', evalue: "object 'nope' not found" });
    const classed = await run('stop(structure(class = c("myError", "error", "condition"), list(message = "mine", call = NULL)))');
    expect(eventsOf(classed, 'error')[0]).toMatchObject({ ename: 'myError', evalue: 'mine' });
  });

  it.skipIf(!isInstalled('/usr/lib/R/site-library/rlang'))("reports an rlang error (tidyverse's) as rlang does at the console, with its bullets and without rlang's frames", async () => {
    // R's own report read "Error in f(1) : Bad input." then the hint without its bullet, and
    // "Calls: g -> f -> abort -> signal_abort".
    const r = await run('f <- function(x) rlang::abort(c("Bad input.", i = "Give a number."), call = rlang::caller_env())\ng <- function() f(1)\ng()');
    expect(eventsOf(r, 'error')).toEqual([{ type: 'error', ename: 'rlang_error', evalue: 'Bad input.\nℹ Give a number.', traceback: ['Error in `g()`:', '! Bad input.', 'ℹ Give a number.'] }]);
    const top = await run('rlang::abort("At the top.")');
    expect(eventsOf(top, 'error')[0].traceback).toEqual(['Error:', '! At the top.']);
  });

  it("runs nothing when the cell does not parse, and names the cell's line", async () => {
    const r = await run('cat("ran\\n")\nx <- )');
    expect(r.stdout).toBe('');
    const [error] = eventsOf(r, 'error');
    expect(error).toMatchObject({ ename: 'ParseError', evalue: "cell:2:6: unexpected ')'" });
    expect(error.traceback).toContain('2: x <- )');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('shows a base graphics plot as a PNG, one per page, with low-level additions on their page', async () => {
    const r = await run('plot(1:10, main = "one")\nabline(h = 5)\ncat("drawn\\n")\nhist(rnorm(100))');
    expect(r.stdout).toBe('drawn\n');
    const images = pngs(r);
    expect(images).toHaveLength(2);
    for (const png of images) expect(pngSize(png)).toEqual({ width: 672, height: 480 });
    expect(eventsOf(r, 'display_data')[0]).toMatchObject({ data: { 'text/plain': '<R plot>' }, metadata: { 'image/png': { width: 672, height: 480 } } });
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    // The pages went out as images, not as Rplots.pdf in the cell's directory.
    expect(r.files).toEqual([]);
  });

  // A notebook from Jupyter sizes its plots with IRkernel's options, and dev.new() takes a
  // size: both were ignored, every plot 7 by 5 inches.
  it("draws plots at the size IRkernel's repr.plot options or dev.new() give, and says that size", async () => {
    const r = await run([
      'options(repr.plot.width = 10, repr.plot.height = 3, repr.plot.res = 100)',
      'plot(1:10)',
      'invisible(dev.off())',
      'options(repr.plot.width = NULL, repr.plot.height = NULL, repr.plot.res = NULL)',
      'dev.new(width = 4, height = 4)',
      'plot(2)',
    ].join('\n'));
    expect(pngs(r).map(pngSize)).toEqual([{ width: 1000, height: 300 }, { width: 384, height: 384 }]);
    expect(eventsOf(r, 'display_data').map((e) => e.metadata)).toEqual([
      { 'image/png': { width: 1000, height: 300 } },
      { 'image/png': { width: 384, height: 384 } },
    ]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  // ggplot2, which most R courses draw with, is a wanted package of R's (scripts/setup.mjs): a
  // cell's library(ggplot2) was "there is no package called 'ggplot2'". A ggplot is printed, not
  // drawn, when it is the cell's value: the auto-print draws it on the cell's device.
  it.runIf(isInstalled('/usr/lib/R/site-library/ggplot2'))('draws a ggplot left as the cell value as a PNG', async () => {
    const r = await run('library(ggplot2)\nggplot(mtcars, aes(wt, mpg)) + geom_point()');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    const images = pngs(r);
    expect(images).toHaveLength(1);
    expect(pngSize(images[0])).toEqual({ width: 672, height: 480 });
  });

  it('shows no blank page: one started before an error drew on it (as ggplot2 starts its page before it builds the plot)', async () => {
    // A 7 by 5 inch blank image stood above the error; a notebook shows no empty plot. A page
    // of one colour the cell chose is still shown.
    const r = await run('bar <- function(x) { plot.new(); stop("no data to draw") }\nplot.new()\nplot(1:3)\npar(bg = "black"); plot.new()\npar(bg = "white")\nbar(1)');
    const images = pngs(r);
    expect(images).toHaveLength(2);
    expect(images[0].length).toBeGreaterThan(images[1].length);
    expect(eventsOf(r, 'error')[0]).toMatchObject({ evalue: 'no data to draw' });
    expect(r.events.map((e) => e.type)).toEqual(['ready', 'display_data', 'display_data', 'error', 'done']);
  });

  it('shows the plot drawn before an error, then the error', async () => {
    const r = await run('plot(1)\nstop("after the plot")');
    expect(r.events.slice(1).map((e) => e.type)).toEqual(['display_data', 'error', 'done']);
  });

  it("keeps a device the cell opened itself: its file is written and kept, and nothing is shown", async () => {
    const r = await run('pdf("out.pdf")\nplot(1:3)');
    expect(r.files).toEqual(['out.pdf']);
    expect(pngs(r)).toEqual([]);
  });

  it('ends the cell with an ExitStatus error on quit(status = n), after its output, plots and .Last; q() ends it as done', async () => {
    const failed = await run('.Last <- function() cat("last\\n")\ncat("before\\n")\nplot(1)\nquit(status = 2)\ncat("never\\n")');
    expect(failed.stdout).toBe('before\nlast\n');
    expect(failed.events.slice(1).map((e) => e.type)).toEqual(['display_data', 'error', 'done']);
    expect(eventsOf(failed, 'error')[0]).toMatchObject({ ename: 'ExitStatus', evalue: 'quit(status = 2)' });
    for (const code of ['plot(1)\nq("no")', 'plot(1)\nbase::quit()']) {
      const ok = await run(code);
      expect(ok.events.slice(1).map((e) => e.type), code).toEqual(['display_data', 'done']);
      expect(lastEvent(ok), code).toEqual({ type: 'done', status: 'ok' });
    }
    // A quit() R refuses is an error of the cell's own call, and exits nothing.
    const refused = await run('quit("maybe")');
    expect(eventsOf(refused, 'error')[0]).toMatchObject({ ename: 'Error', traceback: ['Error in quit("maybe") : unrecognized value of \'save\''] });
    expect(lastEvent(refused)).toEqual({ type: 'done', status: 'error' });
  });

  it("uses the cell's own print methods, and a cell redefining cat or closing connections cannot silence it", async () => {
    const r = await run('print.money <- function(x, ...) base::cat("$", unclass(x), "\\n")\nstructure(5, class = "money")\ncat <- function(...) stop("no cat")\ncloseAllConnections()\nplot(1)\n1 + 1');
    expect(r.stdout).toBe('$ 5 \n[1] 2\n');
    expect(pngs(r)).toHaveLength(1);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('keeps working when a cell empties PATH, turns warnings into errors, or fails with bytes that are not UTF-8', async () => {
    const r = await run('Sys.setenv(PATH = "")\noptions(warn = 2)\nplot(1)\nf <- function() warning("careful")\nf()');
    expect(r.events.slice(1).map((e) => e.type)).toEqual(['display_data', 'error', 'done']);
    // R's own frames of turning the warning into an error are not the cell's calls.
    expect(eventsOf(r, 'error')[0]).toMatchObject({ evalue: '(converted from warning) careful', traceback: ['Error in f() : (converted from warning) careful'] });
    const bytes = await run('stop(rawToChar(as.raw(c(0x62, 0xff, 0x01))))');
    expect(bytes.badLines).toEqual([]);
    expect(eventsOf(bytes, 'error')[0]).toMatchObject({ ename: 'Error', evalue: expect.stringMatching(/^b/) });
    expect(lastEvent(bytes)).toEqual({ type: 'done', status: 'error' });
  });

  const UNATTENDED = 'a cell runs unattended, with nothing to type into it; put the value in the code instead';
  /** The error event of a cell's `call` that asked for input. */
  const unattended = (call: string) => ({ type: 'error', ename: 'Error', evalue: UNATTENDED, traceback: [`Error in ${call} : `, `  ${UNATTENDED}`] });

  it("fails readline() with the reason, after its prompt, rather than answer \"\" as if Enter were pressed", async () => {
    const r = await run('cat("start\\n")\nn <- as.integer(readline("How many? "))\ncat("never\\n")');
    expect(r.stdout).toBe('start\nHow many? ');
    expect(eventsOf(r, 'error')).toEqual([unattended('readline("How many? ")')]);
    // The cell may catch it, as any error.
    const caught = await run('x <- tryCatch(readline(), error = function(e) "default")\nx');
    expect(caught.stdout).toBe('[1] "default"\n');
  });

  // scan() reads the console, which in a cell is the worker's script, read to its end: it
  // answered numeric(0) and the cell went on with nothing.
  it('fails scan() and readLines() of the console or stdin as readline(), and leaves them of text or a file as they were', async () => {
    const r = await run('x <- scan()\ncat("never\\n")');
    expect(r.stdout).toBe('');
    expect(eventsOf(r, 'error')).toEqual([unattended('scan()')]);
    // So do readLines() of the console and the ways an Rscript reads its stdin.
    for (const call of ['readLines(n = 1)', 'readLines("stdin")', 'readLines(file("stdin"))', 'scan("stdin")', 'read.csv(file("stdin"))', 'read.table("stdin", header = TRUE)']) {
      const [error] = eventsOf(await run(`x <- ${call}`), 'error');
      expect(error, call).toMatchObject({ evalue: UNATTENDED });
    }
    const text = await run('writeLines("4 5", "n.txt")\nscan(text = "1 2 3", quiet = TRUE)\nscan("n.txt", quiet = TRUE)\nreadLines("n.txt")\nreadLines(textConnection("a"))\nread.csv(text = "a,b\\n1,2")$b\nread.table("n.txt")$V2');
    expect(text.stdout).toBe('[1] 1 2 3\n[1] 4 5\n[1] "4 5"\n[1] "a"\n[1] 2\n[1] 5\n');
    expect(lastEvent(text)).toEqual({ type: 'done', status: 'ok' });
  });

  it('says that a cell cannot install packages from a repository, rather than that the library is not writable', async () => {
    const r = await run('install.packages("dplyr")');
    expect(r.stderr).toBe('');
    expect(eventsOf(r, 'error')).toEqual([expect.objectContaining({
      ename: 'Error',
      evalue: expect.stringMatching(/^cells have no network, so packages cannot be installed from one/),
    })]);
  });

  it("shows View()'s data as the console prints it, as IRkernel shows it, rather than fail for want of a window", async () => {
    const r = await run('View(head(mtcars[, 1:3], 2))\nView(1:3, "three")');
    expect(r.stdout).toBe('              mpg cyl disp\nMazda RX4      21   6  160\nMazda RX4 Wag  21   6  160\nthree\n[1] 1 2 3\n');
    expect(r.stderr).toBe('');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('prints help pages as plain text, without the overstrikes a terminal turns into underlining', async () => {
    const r = await run('?mean\nhelp("sd")');
    expect(r.stdout).toContain('\nArithmetic Mean\n');
    expect(r.stdout).toContain('\nStandard Deviation\n');
    expect(r.stdout).not.toContain('\b');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('prints warnings at once on stderr', async () => {
    const r = await run('log(-1)');
    expect(r.stdout).toBe('[1] NaN\n');
    expect(r.stderr).toContain('Warning in log(-1) : NaNs produced');
  });

  it("prints a warning of the cell's top level as the console does, without the worker's call", async () => {
    const r = await run('warning("careful")\nx <- as.integer("a")\nf <- function() warning("in f")\nf()');
    expect(r.stderr).toBe('Warning: careful\nWarning: NAs introduced by coercion\nWarning in f() : in f\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  // With warn = 0 R keeps warnings for the end of the console's top-level call, which for the
  // worker was the whole cell: they came after it, each "In eval(cellbox_expression, globalenv())".
  it('reports the warnings deferred by options(warn = 0) after each top-level call, as the console does', async () => {
    const code = [
      'options(warn = 0)',
      'x <- log(-1)',
      'cat("one\\n", file = stderr())',
      'for (i in 1:2) warning("w", i)',
      'for (i in 1:12) warning("many")',
      'length(warnings())',
      'g <- function() { warning("before"); stop("boom") }',
      'g()',
    ].join('\n');
    const r = await run(code);
    expect(r.stderr).toBe([
      'Warning message:',
      'In log(-1) : NaNs produced',
      'one',
      'Warning messages:',
      '1: w1 ',
      '2: w2 ',
      'There were 12 warnings (use warnings() to see them)',
      'In addition: Warning message:',
      'In g() : before',
      '',
    ].join('\n'));
    expect(r.stdout).toBe('[1] 12\n');
    expect(eventsOf(r, 'error')[0]).toMatchObject({ evalue: 'boom' });
  });

  it("names an allocation that failed a MemoryError, with R's message", async () => {
    // 8 TB: more than any machine running the tests lets a process have, limit or none.
    const r = await run('x <- numeric(1e12)');
    expect(eventsOf(r, 'error')[0]).toMatchObject({ ename: 'MemoryError', evalue: expect.stringMatching(/^cannot allocate vector of size/) });
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('sends its last events the usual way when the cell closed every connection and opened its own under their numbers', async () => {
    // The worker's pipe for its last events is a connection number: after closeAllConnections()
    // the cell's own files may get it, and the events must not land in them.
    await withScratchFiles(async (files) => {
      const r = await run(['closeAllConnections()', ...files.map((f, i) => `f${i} <- file("${f}", open = "w")`), 'stop("late")'].join('\n'));
      expect(r.events.slice(1).map((e) => e.type)).toEqual(['error', 'done']);
      for (const f of files) expect(readFileSync(f, 'utf8')).toBe('');
    });
  });

  it('closes inherited descriptors above 3', async () => {
    // The worker's own pipe for its last events is a connection: closed first (its events then go the usual way).
    const r = await run('closeAllConnections()\nfor (f in list.files("/proc/self/fd", full.names = TRUE)) cat(basename(f), Sys.readlink(f), "\\n")', { extraStdio: ['pipe'] });
    expect(r.events.at(-1)).toMatchObject({ type: 'done', status: 'ok' });
    const pipes = r.stdout.split('\n').filter((l) => /pipe:|socket:/.test(l)).map((l) => Number(l.split(' ')[0]));
    expect(pipes.every((fd) => fd <= 3)).toBe(true);
    expect(pipes).toContain(3);
  });
});

describe.skipIf(!installed)('r worker, stopped', () => {
  const stopped = (code: string) => run(code, { interruptOn: 'started\n' });
  const interrupted = (traceback: string[]) => [{ type: 'error', ename: 'KeyboardInterrupt', evalue: 'interrupted', traceback }];

  it('ends a cell waiting in system() on Stop, at its line, as R ends one in Sys.sleep()', async () => {
    // R ignores SIGINT while system() waits, as C's system() does: the command ended on Stop,
    // and R went on to the next line.
    const top = await stopped('cat("started\\n")\nsystem("sleep 10")\ncat("never\\n")');
    expect(eventsOf(top, 'error')).toEqual(interrupted(['Interrupted at line 2 of the cell', '1: system("sleep 10") at cell#2']));
    expect(top.stdout).toBe('started\n');
    const inner = await stopped('wait_long <- function() {\n  system2("sleep", "10")\n}\ncat("started\\n")\nwait_long()\ncat("never\\n")');
    expect(eventsOf(inner, 'error')).toEqual(interrupted(['Interrupted at line 2 of the cell', '2: system2("sleep", "10") at cell#2', '1: wait_long() at cell#5']));
    expect(inner.stdout).toBe('started\n');
  });

  it("ends with the cell's own result when a Stop lands after the cell, while the worker closes its devices", async () => {
    // A device of the cell's own that pipes to a command: the command reads until the device
    // closes, in the worker's close_devices() after the cell, then prints and waits. The Stop
    // lands there. R halted, without `done`.
    const r = await run('postscript(file = "|cat > /dev/null; echo started; sleep 30")\nplot(1:3)\ncat("the cell\\n")', { interruptOn: 'started' });
    expect(r.stdout).toBe('the cell\nstarted\n');
    expect(eventsOf(r, 'error')).toEqual([]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('leaves system() as it was otherwise: its status, its output, its value shown or not', async () => {
    const r = await run([
      'print(system("exit 3"))',
      'x <- system("echo captured", intern = TRUE)',
      'print(x)',
      'print(system2("sh", c("-c", shQuote("exit 4"))))',
      'system("echo shown")',
      'cat("went on\\n")',
    ].join('\n'));
    expect(r.stdout).toBe('[1] 3\n[1] "captured"\n[1] 4\nshown\nwent on\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it("names the cell's command and call in system()'s warnings, and goes on past its timeout", async () => {
    // The worker runs the command after a trap of its own, in a withVisible(): R's warning read
    // "Warning in withVisible(.Internal(system(paste0(\"trap '…", and "running command 'trap …".
    // R ends a command at its timeout with SIGINT, which read as a Stop: the cell ended there.
    const r = await run([
      'x <- system("exit 2", intern = TRUE)',
      'f <- function() system("sleep 5", timeout = 1)',
      'print(f())',
      'cat("went on\\n")',
      'system("no_such_command_cellbox")',
      'options(warn = 2)',
      'y <- system2("false", stdout = TRUE)',
    ].join('\n'));
    expect(r.stderr).toBe([
      'Warning in system("exit 2", intern = TRUE) :',
      "  running command 'exit 2' had status 2",
      'Warning in system("sleep 5", timeout = 1) :',
      "  command 'sleep 5' timed out after 1s",
      // The shell names the command's line: "sh: 2:" after the trap's own line.
      'sh: 1: no_such_command_cellbox: not found',
      'Warning in system("no_such_command_cellbox") : error in running command',
      '',
    ].join('\n'));
    expect(r.stdout).toBe('[1] 124\nwent on\n');
    expect(eventsOf(r, 'error')).toEqual([{
      type: 'error', ename: 'Error', evalue: "(converted from warning) running command ''false'' had status 1",
      traceback: ['Error in system2("false", stdout = TRUE) : ', "  (converted from warning) running command ''false'' had status 1"],
    }]);
  });
});
