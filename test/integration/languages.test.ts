// R, Octave, C and Fortran through the real server, device and sandbox: what the conformance
// suite does not ask of every language. Plots and figures as PNG (R needs /etc/R inside, Octave
// runs gnuplot inside), compiler errors with the cell's line numbers, a crash named by its
// signal, the CPU-time limit of a compiled program, versions from the probes.
import { hostTimeZone } from '../../device/sandbox';
import { runnable as runnableLanguages } from '../helpers/installed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../protocol/messages';
import { errorOf, replyOf, run, startCellbox, untilOffered, stdout, type Cellbox } from '../helpers/cellbox';

const RUNTIMES: Record<string, string> = { r: '/usr/bin/R', octave: '/usr/bin/octave-cli', c: '/usr/bin/gcc', fortran: '/usr/bin/gfortran' };
const runnable = runnableLanguages(RUNTIMES);

let box: Cellbox;
let listed: { name: string; version: string; file_extension: string; codemirror_mode: string }[] = [];

beforeAll(async () => {
  if (!runnable.length) return;
  // A short CPU-time limit, for the compiled program that spins.
  box = await startCellbox({ CELLBOX_LANGUAGES: runnable.join(','), CELLBOX_CPU_SECONDS: '2' });
  listed = await untilOffered(box, runnable);
}, 90_000);

afterAll(async () => {
  await box?.stop();
});

const images = (ms: Message[]) => ms.filter((m) => m.header.msg_type === 'display_data').map((m) => (m.content as { data: Record<string, string> }).data['image/png']).filter(Boolean);
const isPng = (b64: string) => Buffer.from(b64, 'base64').subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

const hostZone = hostTimeZone();

describe.skipIf(!runnable.length)('more languages', () => {
  it("lists each with its probe's version, its file extension and its editor mode", () => {
    const want: Record<string, [string, string]> = { r: ['.r', 'r'], octave: ['.m', 'octave'], c: ['.c', 'c'], fortran: ['.f90', 'fortran'] };
    for (const name of runnable) {
      expect(listed.find((l) => l.name === name)).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+(\.\d+)?$/), file_extension: want[name][0], codemirror_mode: want[name][1] });
    }
  });

  it.skipIf(!runnable.includes('r'))('R: prints values and shows a plot as PNG inside the sandbox', async () => {
    const ms = await run(box.url, 'x <- c(a = 1, b = 2)\nx\nplot(cumsum(rnorm(50)), type = "l")', 'r');
    expect(stdout(ms)).toBe('a b \n1 2 \n');
    expect(images(ms)).toHaveLength(1);
    expect(isPng(images(ms)[0])).toBe(true);
    expect(replyOf(ms).status).toBe('ok');
  });

  it.skipIf(!runnable.includes('octave'))('Octave: shows a figure as PNG, drawn by gnuplot inside the sandbox', async () => {
    const ms = await run(box.url, 'x = 0:0.1:1;\ny = x .^ 2\nplot(x, y)', 'octave');
    expect(stdout(ms)).toMatch(/^y =\n/);
    expect(images(ms)).toHaveLength(1);
    expect(isPng(images(ms)[0])).toBe(true);
    expect(replyOf(ms).status).toBe('ok');
  });

  // OpenBLAS would start a thread per core, each counted against the sandbox's process limit
  // and reserving memory under its address-space limit: on a many-core machine, a matrix
  // product would fail. One thread, whatever the machine.
  it.skipIf(!runnable.includes('r'))('R: multiplies matrices with one BLAS thread', async () => {
    const ms = await run(box.url, 'a <- matrix(runif(800^2), 800)\nb <- a %*% a\ncat(dim(b), grep("^Threads:", readLines("/proc/self/status"), value = TRUE), "\\n")', 'r');
    expect(stdout(ms)).toMatch(/^800 800 Threads:\s+1 \n$/);
  });

  it.skipIf(!runnable.includes('octave'))('Octave: multiplies matrices without starting BLAS threads', async () => {
    // Octave runs two threads of its own; the product must not add any.
    const threads = "disp(regexp(fileread('/proc/self/status'), 'Threads:\\s+\\d+', 'match'){1})";
    const ms = await run(box.url, `${threads}\na = rand(800);\nb = a * a;\n${threads}`, 'octave');
    const [before, after] = stdout(ms).trim().split('\n');
    expect(before).toMatch(/^Threads:\s+\d+$/);
    expect(after).toBe(before);
  });

  // Both ended the process without `done`, which read as a crash of the server's worker.
  it.skipIf(!runnable.includes('r'))('R: quit(status = 2) is an ExitStatus error, not a crash', async () => {
    const ms = await run(box.url, 'cat("before\\n")\nquit(status = 2)', 'r');
    expect(stdout(ms)).toBe('before\n');
    expect(replyOf(ms)).toMatchObject({ status: 'error', ename: 'ExitStatus', evalue: 'quit(status = 2)' });
  });

  it.skipIf(!runnable.includes('r') || !hostZone)("R: Sys.timezone() names the host's zone, without a word on stderr", async () => {
    // The sandbox's /etc/localtime is a copy of the zone's file, no longer the link that names
    // it: R asked timedatectl (no systemd: lines on stderr and a warning), compared the copy
    // with every zone file (some 15 s) and warned that the system was "mis-configured".
    const ms = await run(box.url, 'cat(Sys.timezone(), "\\n")', 'r');
    expect(errorOf(ms)).toBeUndefined();
    expect(ms.filter((m) => m.header.msg_type === 'stream' && (m.content as { name: string }).name === 'stderr')).toEqual([]);
    expect(stdout(ms)).toBe(`${hostZone} \n`);
  });

  it.skipIf(!runnable.includes('octave'))('Octave: exit(1) is an ExitStatus error, not a crash; input() fails at once, saying why', async () => {
    const exited = await run(box.url, 'disp("before")\nexit(1)', 'octave');
    expect(stdout(exited)).toBe('before\n');
    expect(replyOf(exited)).toMatchObject({ status: 'error', ename: 'ExitStatus', evalue: 'exit(1)' });
    const asked = await run(box.url, 'n = input("How many? ")', 'octave');
    expect(errorOf(asked)).toMatchObject({ ename: 'Cellbox:no-input', evalue: expect.stringContaining('nothing to type into') });
  });

  it.skipIf(!runnable.includes('c'))("C: a compiler error keeps the cell's line numbers", async () => {
    const ms = await run(box.url, '#include <stdio.h>\n\nint main(void) {\n  printf("%d\\n", 6 * 7)\n  return 0;\n}', 'c');
    expect(errorOf(ms)).toMatchObject({ ename: 'CompileError', evalue: expect.stringMatching(/^cell\.c:4:\d+: error: expected .;. before .return./) });
    expect(errorOf(ms)!.traceback).toContain('    4 |   printf("%d\\n", 6 * 7)');
    expect(replyOf(ms)).toMatchObject({ status: 'error', ename: 'CompileError' });
  });

  it.skipIf(!runnable.includes('c'))('C: a segfault is a clear error, after the output before it', async () => {
    const ms = await run(box.url, '#include <stdio.h>\nint main(void) { volatile int *p = 0; puts("before"); return *p; }', 'c');
    expect(stdout(ms)).toBe('before\n');
    expect(errorOf(ms)).toMatchObject({ ename: 'SIGSEGV', evalue: expect.stringContaining('Segmentation fault') });
  });

  it.skipIf(!runnable.includes('c'))("C: a program that spins is stopped at the CPU-time limit", async () => {
    const ms = await run(box.url, 'int main(void) { volatile unsigned long n = 0; for (;;) n++; }', 'c');
    expect(errorOf(ms)).toMatchObject({ ename: 'TimeoutError', evalue: expect.stringContaining('CPU-time') });
  });

  it.skipIf(!runnable.includes('fortran'))("Fortran: runs a program, and a compiler error keeps the cell's line", async () => {
    const ok = await run(box.url, 'real :: x = 2.0\nprint "(f4.2)", sqrt(x)\nend', 'fortran');
    expect(stdout(ok)).toBe('1.41\n');
    const bad = await run(box.url, 'integer :: i\ni = 1 +\nend', 'fortran');
    expect(errorOf(bad)).toMatchObject({ ename: 'CompileError', evalue: expect.stringMatching(/^cell\.f90:2:\d+: Error: /) });
  });
});
