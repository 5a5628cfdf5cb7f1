// Tests of the compiled-language worker (workers/compiled/kernel.sh) for C and Fortran, run
// outside the sandbox: compile, run, compiler errors with the cell's line numbers, crashes.
import { describe, it, expect } from 'vitest';
import { installed } from '../helpers/installed';
import { eventsOf, lastEvent, runWorker } from './run-worker';

const hasC = installed('/usr/bin/gcc', '/usr/include/stdio.h');
const hasFortran = installed('/usr/bin/gfortran');

const c = (code: string, options?: Parameters<typeof runWorker>[2]) => runWorker('c', code, options);
const fortran = (code: string, options?: Parameters<typeof runWorker>[2]) => runWorker('fortran', code, options);

describe.skipIf(!hasC)('c worker', () => {
  it('says ready first, compiles and runs the program in the working directory, ends with done', async () => {
    const r = await c('#include <stdio.h>\n#include <unistd.h>\nint main(void) {\n  char cwd[4096];\n  printf("hello, world\\n");\n  fprintf(stderr, "oops\\n");\n  return getcwd(cwd, sizeof cwd) == NULL;\n}\n');
    expect(r.events[0]).toEqual({ type: 'ready', language: 'c', version: '' });
    expect(r.stdout).toBe('hello, world\n');
    expect(r.stderr).toBe('oops\n');
    expect(r.events.slice(1)).toEqual([{ type: 'done', status: 'ok' }]);
    expect(r.badLines).toEqual([]);
    // Neither the source nor the program lands among the cell's files.
    expect(r.files).toEqual([]);
  });

  it("reports a compiler error as CompileError with the cell's own line numbers, and runs nothing", async () => {
    const r = await c('#include <stdio.h>\nint main(void) {\n  puts("ran");\n  int x = 1\n  return x;\n}\n');
    expect(r.stdout).toBe('');
    const [error] = eventsOf(r, 'error');
    expect(error.ename).toBe('CompileError');
    expect(error.evalue).toMatch(/^cell\.c:5:3: error: expected .,. or .;. before .return.$/);
    expect(error.traceback).toContain('    5 |   return x;');
    expect(error.traceback.join('\n')).not.toMatch(/\/tmp\//);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('reports a link error as CompileError too', async () => {
    const r = await c('int missing(void);\nint main(void) { return missing(); }');
    const [error] = eventsOf(r, 'error');
    expect(error).toMatchObject({ ename: 'CompileError', evalue: expect.stringMatching(/undefined reference to `missing'/) });
    expect(error.traceback.at(-1)).toBe('collect2: error: ld returned 1 exit status');
  });

  it('says what a cell must be when it has no main(): empty, only comments, or only functions', async () => {
    for (const code of ['', '  \n// nothing yet\n', 'int twice(int x) { return 2 * x; }']) {
      const [error] = eventsOf(await c(code), 'error');
      expect(error, JSON.stringify(code)).toMatchObject({ ename: 'CompileError', evalue: expect.stringMatching(/^the cell has no main\(\): a C cell is a whole program/) });
      // The linker's own words stay in the traceback, which a page shows, and the reason ends it.
      expect(error.traceback.some((line) => line.endsWith("undefined reference to `main'"))).toBe(true);
      expect(error.traceback.at(-1)).toBe(`CompileError: ${error.evalue}`);
    }
  });

  it("shows a successful compile's warnings on stderr, then runs the program", async () => {
    const r = await c('#warning "careful"\n#include <stdio.h>\nint main(void) { puts("ran"); return 0; }');
    expect(r.stderr).toMatch(/^cell\.c:1:2: warning: #warning "careful"/);
    expect(r.stdout).toBe('ran\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
  });

  it('names a crash by its signal, after the output the program wrote before it', async () => {
    const r = await c('#include <stdio.h>\nint main(void) {\n  int *p = NULL;\n  printf("before\\n");\n  *p = 1;\n  return 0;\n}');
    // Line-buffered, as on a terminal: the line printed before the crash is not lost with the buffer.
    expect(r.stdout).toBe('before\n');
    expect(r.stderr).toBe(''); // nothing of bash's own "Segmentation fault" line
    expect(eventsOf(r, 'error')).toEqual([{ type: 'error', ename: 'SIGSEGV', evalue: 'Segmentation fault: the program read or wrote memory it does not own, or ran out of stack (a recursion too deep) (signal 11).', traceback: [] }]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });

    const aborted = await c('#include <assert.h>\nint main(void) { assert(1 + 1 == 3); return 0; }');
    expect(aborted.stderr).toMatch(/Assertion .1 \+ 1 == 3. failed/);
    expect(eventsOf(aborted, 'error')[0]).toMatchObject({ ename: 'SIGABRT', evalue: expect.stringMatching(/^Aborted: the program called abort\(\), through a failed assert\(\) or the C library stopping it/) });
    // glibc's own abort, for a pointer freed twice: its message on stderr, the same name.
    const freed = await c('#include <stdlib.h>\nint main(void) {\n  char *volatile p = malloc(16);\n  free(p);\n  free(p);\n  return 0;\n}');
    expect(freed.stderr).toMatch(/double free/);
    expect(eventsOf(freed, 'error')[0]).toMatchObject({ ename: 'SIGABRT' });
  });

  // At -O2 gcc puts a trap (ud2) where it sees a sure division by zero: the program dies of
  // SIGILL, which said "Illegal instruction" alone to a cell that divided by zero.
  it('says what an illegal instruction comes from: the trap the compiler puts at a division by zero', async () => {
    const r = await c('#include <stdio.h>\nint main(void) {\n  int a = 1, b = 0;\n  printf("%d\\n", a / b);\n  return 0;\n}');
    expect(eventsOf(r, 'error')).toEqual([{
      type: 'error',
      ename: 'SIGILL',
      evalue: expect.stringMatching(/^Illegal instruction: the program reached a trap, .*such as an integer division by zero/),
      traceback: [],
    }]);
  });

  // stdin is /dev/null: scanf and fgets got end of file without a word, and the program went on
  // with whatever its variables held.
  it('says on stderr, once, that a program reading stdin has nothing to read, and gives it end of file as before', async () => {
    const code = [
      '#include <stdio.h>',
      'int main(void) {',
      '  int n; char line[20];',
      '  printf("n? ");',
      '  if (scanf("%d", &n) != 1) printf("no n\\n");',
      '  if (fgets(line, sizeof line, stdin) == NULL) printf("no line\\n");',
      '  printf("%d\\n", getchar());',
      '  return 0;',
      '}',
    ].join('\n');
    const r = await c(code);
    expect(r.stdout).toBe('n? no n\nno line\n-1\n');
    expect(r.stderr).toBe('reading stdin: a cell runs unattended, with nothing to type into it; put the values in the code instead (stdin is at its end)\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    // Under flags as strict as a course may ask for, too.
    const strict = await c(code, { env: { CFLAGS: '-std=c89 -Wall -Wextra -pedantic -Werror' } });
    expect(strict.stderr).toMatch(/^reading stdin: a cell runs unattended/);
    // A program that reads nothing hears nothing of it.
    const quiet = await c('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }');
    expect(quiet.stderr).toBe('');
    // Its own read(0, …) hears it too; a function of its own named read is the one it calls.
    const raw = await c('#include <unistd.h>\n#include <stdio.h>\nint main(void) { char b[4]; printf("%d\\n", (int)read(0, b, 4)); return 0; }');
    expect([raw.stdout, raw.stderr]).toEqual(['0\n', expect.stringMatching(/^reading stdin: a cell runs unattended/)]);
    // stdin's descriptor is still 0 (a stream of fopencookie's has none: -1, and EBADF).
    const byNumber = await c('#include <unistd.h>\n#include <stdio.h>\nint main(void) { char b[4]; printf("%d %d %d\\n", fileno(stdin), (int)read(fileno(stdin), b, 4), isatty(fileno(stdin))); return 0; }');
    expect([byNumber.stdout, byNumber.stderr]).toEqual(['0 0 0\n', expect.stringMatching(/^reading stdin: a cell runs unattended/)]);
    const own = await c('#include <stdio.h>\nint read(int x) { return x + 1; }\nint main(void) { printf("%d\\n", read(41)); return 0; }');
    expect([own.stdout, own.stderr, lastEvent(own)]).toEqual(['42\n', '', { type: 'done', status: 'ok' }]);
    // A statistics course's stat() and fstat() are the cell's own: the note's check of what is
    // on descriptor 0 called them in place of libc's, and the note was lost.
    const stats = await c('#include <stdio.h>\ndouble stat(double x) { return x / 2; }\nint fstat(int x) { return x * 2; }\nint main(void) { int n; printf("%g %d\\n", stat(84), fstat(21)); if (scanf("%d", &n) != 1) puts("no n"); return 0; }');
    expect([stats.stdout, stats.stderr, lastEvent(stats)]).toEqual(['42 42\nno n\n', expect.stringMatching(/^reading stdin: a cell runs unattended/), { type: 'done', status: 'ok' }]);
  });

  it('reads a file the program wrote as its stdin through freopen(), as it would without the note', async () => {
    const code = [
      '#include <stdio.h>',
      'int main(void) {',
      '  int a, b;',
      '  FILE *f = fopen("in.txt", "w");',
      '  fputs("40 2\\n", f);',
      '  fclose(f);',
      '  if (!freopen("in.txt", "r", stdin)) { perror("freopen"); return 1; }',
      '  if (scanf("%d %d", &a, &b) != 2) return 2;',
      '  printf("%d\\n", a + b);',
      '  fflush(stdout);',
      '  return freopen("out.txt", "w", stdout) == NULL;', // another stream: glibc's own freopen
      '}',
    ].join('\n');
    const r = await c(code);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('42\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(r.files.sort()).toEqual(['in.txt', 'out.txt']);
    // A file put on descriptor 0 by dup2() is what stdin reads, as glibc's own stdin would.
    const duped = await c([
      '#include <fcntl.h>',
      '#include <stdio.h>',
      '#include <unistd.h>',
      'int main(void) {',
      '  int n = 0;',
      '  FILE *f = fopen("n.txt", "w");',
      '  fputs("7\\n", f);',
      '  fclose(f);',
      '  dup2(open("n.txt", O_RDONLY), 0);',
      '  if (scanf("%d", &n) != 1) return 1;',
      '  printf("%d\\n", n * 6);',
      '  return 0;',
      '}',
    ].join('\n'));
    expect([duped.stdout, duped.stderr, lastEvent(duped)]).toEqual(['42\n', '', { type: 'done', status: 'ok' }]);
    // Linked -static (a host's CFLAGS), freopen() of stdout is glibc's own: the note's stands
    // aside, since it finds glibc's through the dynamic linker, which such a program has not.
    const linkedStatic = await c('#include <stdio.h>\nint main(void) {\n  if (!freopen("out.txt", "w", stdout)) { perror("freopen"); return 1; }\n  puts("42");\n  return 0;\n}', { env: { CFLAGS: '-O2 -static' } });
    expect([linkedStatic.stderr, lastEvent(linkedStatic), linkedStatic.files]).toEqual(['', { type: 'done', status: 'ok' }, ['out.txt']]);
  });

  // A void main() program exits with whatever its last call returned (printf's count): the
  // cell failed with "exit status 21" after running as it should.
  it('ends a void main() program that returns as done, with gcc\'s warning, and keeps the status of its exit()', async () => {
    const r = await c('#include <stdio.h>\nvoid main() {\n  printf("hello from void main\\n");\n}');
    expect(r.stdout).toBe('hello from void main\n');
    expect(r.stderr).toMatch(/^cell\.c:2:6: warning: return type of .main. is not .int. \[-Wmain\]\n/);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    const exited = await c('#include <stdio.h>\n#include <stdlib.h>\nvoid main(void) {\n  puts("x");\n  exit(4);\n}');
    expect(eventsOf(exited, 'error')).toEqual([{ type: 'error', ename: 'ExitStatus', evalue: 'exit status 4', traceback: [] }]);
    // An int main's own status stays, with no warning.
    const own = await c('int main(int argc, char **argv) { (void)argv; return argc + 2; }');
    expect([own.stderr, eventsOf(own, 'error')[0]?.evalue]).toEqual(['', 'exit status 3']);
    // A host's plain -Werror does not make the warning the worker asks for an error (gcc alone
    // compiles such a program), and -Wall -Werror, which does, is as gcc has it.
    const voidMain = '#include <stdio.h>\nvoid main() {\n  puts("ran");\n}';
    const werror = await c(voidMain, { env: { CFLAGS: '-O2 -Werror' } });
    expect([werror.stdout, lastEvent(werror)]).toEqual(['ran\n', { type: 'done', status: 'ok' }]);
    expect(werror.stderr).toMatch(/warning: return type of .main. is not .int./);
    const wall = await c(voidMain, { env: { CFLAGS: '-Wall -Werror' } });
    expect(eventsOf(wall, 'error')[0]).toMatchObject({ ename: 'CompileError', evalue: expect.stringMatching(/return type of .main. is not .int. \[-Werror=main\]/) });
  });

  it('reports a non-zero exit status', async () => {
    const r = await c('int main(void) { return 3; }');
    expect(eventsOf(r, 'error')).toEqual([{ type: 'error', ename: 'ExitStatus', evalue: 'exit status 3', traceback: [] }]);
  });

  // 128 + N is how bash gives the status of a program killed by signal N: before, exit(139)
  // was reported as a segmentation fault, and exit(152) as the CPU-time limit.
  it('names an exit status over 128 as the status, not as the signal a shell would take it for', async () => {
    for (const status of [139, 152]) {
      const r = await c(`#include <stdlib.h>\nint main(void) { exit(${status}); }`);
      expect(eventsOf(r, 'error'), String(status)).toEqual([{ type: 'error', ename: 'ExitStatus', evalue: `exit status ${status}`, traceback: [] }]);
      expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
    }
  });

  it('ends without done when the program is killed for its CPU time, so the device reports the limit', async () => {
    const r = await c('#include <signal.h>\nint main(void) { raise(SIGXCPU); return 0; }');
    expect(r.events.slice(1)).toEqual([]);
    expect(r.exitCode).toBe(128 + 24);
  });

  it("takes its flags from the environment, so two registry entries can share gcc", async () => {
    const r = await c('#include <stdio.h>\nint main(void) { printf("%d\\n", ANSWER); return 0; }', { env: { CFLAGS: '-O0 -DANSWER=42' } });
    expect(r.stdout).toBe('42\n');
  });

  it('closes inherited descriptors above 3 and keeps the event pipe from the program', async () => {
    // The shell that system() starts lists its parent's (the program's) descriptors, then the
    // worker's (the program's parent, field 4 of its /proc stat).
    const script = 'ls /proc/$PPID/fd; echo --; ls /proc/$(cut -d" " -f4 /proc/$PPID/stat)/fd';
    const r = await c(`#include <stdlib.h>\nint main(void) { return system(${JSON.stringify(script)}); }`, { extraStdio: ['pipe'] });
    const [program, worker] = r.stdout.split('--\n').map((list) => list.split('\n').filter(Boolean).map(Number).sort((a, b) => a - b));
    expect(program).toEqual([0, 1, 2]);
    // The worker: the protocol's four, the program's stderr kept at 4 while the worker's own goes
    // to /dev/null, and bash's own for the script.
    expect(worker).toEqual([0, 1, 2, 3, 4, 255]);
  });
});

describe.skipIf(!hasFortran)('fortran worker', () => {
  it('compiles and runs a main program, with or without its program line', async () => {
    const r = await fortran('program hello\n  print "(a)", "hello, world"\nend program hello\n');
    expect(r.events[0]).toEqual({ type: 'ready', language: 'fortran', version: '' });
    expect(r.stdout).toBe('hello, world\n');
    expect(r.events.slice(1)).toEqual([{ type: 'done', status: 'ok' }]);
    const bare = await fortran('integer :: i\ndo i = 1, 3\n  print "(i0)", i * i\nend do\nend');
    expect(bare.stdout).toBe('1\n4\n9\n');
    expect(bare.files).toEqual([]);
  });

  it("reports a compiler error as CompileError with the cell's own line and column", async () => {
    const r = await fortran('program p\n  integer :: x\n  x = 1 +\nend program p\n');
    const [error] = eventsOf(r, 'error');
    expect(error).toMatchObject({ ename: 'CompileError', evalue: 'cell.f90:3:9: Error: Syntax error in expression at (1)' });
    expect(error.traceback).toContain('    3 |   x = 1 +');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('reports a runtime error (an index out of bounds) with the cell\'s line on stderr', async () => {
    const r = await fortran('real :: a(3)\ninteger :: i\ni = 5\na(i) = 1.0\nprint *, a\nend');
    expect(r.stderr).toContain('At line 4 of file cell.f90');
    expect(r.stderr).toContain('Fortran runtime error: Index \'5\' of dimension 1 of array \'a\' above upper bound of 3');
    // The error names it too: it said only "exit status 2".
    expect(eventsOf(r, 'error')).toEqual([{ type: 'error', ename: 'FortranRuntimeError', evalue: 'Index \'5\' of dimension 1 of array \'a\' above upper bound of 3 (line 4)', traceback: [] }]);
    // The runtime's other errors so too, each after its lines on stderr: a file not there …
    const open = await fortran('integer :: n\nopen (10, file=\'nope.txt\', status=\'old\')\nread (10, *) n\nend');
    expect(open.stderr).toMatch(/Fortran runtime error: Cannot open file 'nope.txt': No such file or directory\n$/);
    expect(eventsOf(open, 'error')[0]).toMatchObject({ ename: 'FortranRuntimeError', evalue: "Cannot open file 'nope.txt': No such file or directory (line 2)" });
    // … and an allocation no machine has room for (40 TB), at the line gfortran gives (the next).
    const big = await fortran('real, allocatable :: y(:)\nallocate (y(10000000000000_8))\nprint *, size(y)\nend');
    expect(eventsOf(big, 'error')[0]).toMatchObject({ ename: 'MemoryError', evalue: 'Error allocating 40000000000000 bytes: Cannot allocate memory (around line 3)' });
  });

  it('ends the cell with the program when a process it left running holds its stderr', async () => {
    // A process the program leaves running holds its stderr open: the cell still ends with the
    // program, within the second tee is waited for. (It ran until the process ended, 15 s here,
    // when tee was waited for to its end; this run too lasts as long, for the stderr it reads.)
    const left = await fortran('call execute_command_line("sleep 15 >/dev/null &")\nprint "(a)", "done"\nend', { timeoutMs: 60_000 });
    expect([left.stdout, lastEvent(left)]).toEqual(['done\n', { type: 'done', status: 'ok' }]);
    expect(left.timeline.at(-1)!.at).toBeLessThan(10_000);
  }, 60_000);

  // Fortran's read(*,*) of the empty stdin stopped with "End of file" and nothing of why.
  it('says on stderr why stdin is empty before the runtime stops at the end of file', async () => {
    const r = await fortran('integer :: n\nwrite (*, \'(a)\', advance=\'no\') \'n? \'\nread (*, *) n\nprint *, n\nend');
    expect(r.stdout).toBe('n? ');
    expect(r.stderr).toBe([
      'reading stdin: a cell runs unattended, with nothing to type into it; put the values in the code instead (stdin is at its end)',
      "At line 3 of file cell.f90 (unit = 5, file = 'stdin')",
      'Fortran runtime error: End of file',
      '',
    ].join('\n'));
    // The error names the runtime's, as for any run-time error: it said only "exit status 2".
    expect(eventsOf(r, 'error')).toEqual([{ type: 'error', ename: 'FortranRuntimeError', evalue: 'End of file (line 3)', traceback: [] }]);
  });

  // The cell is free form (cell.f90), where Fortran 77's comment (a C in column 1) was
  // "Unclassifiable statement", and older code, as a numerical methods course has, did not run.
  it('runs fixed-form (Fortran 77) code as such, with a note, and keeps a free-form error free form', async () => {
    const code = [
      'C     The trapezoidal rule for x**2 on [0, 1]',
      '      PROGRAM TRAP',
      '      INTEGER I',
      '      DOUBLE PRECISION S',
      '      S = 0.0D0',
      '      DO 10 I = 1, 3',
      '         S = S +',
      '     &       I',
      '   10 CONTINUE',
      '      WRITE(*, 100) S',
      '  100 FORMAT(\' S = \', F5.1)',
      '      END',
    ].join('\n');
    const r = await fortran(code);
    expect(r.stdout).toBe(' S =   6.0\n');
    expect(r.stderr).toBe('note: the cell is fixed-form Fortran (Fortran 77\'s columns), not free form: compiled as such, as cell.f\n');
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    const wrong = await fortran('program p\n  integer :: i\n  i = 3 +\nend program p');
    expect(eventsOf(wrong, 'error')[0]).toMatchObject({ ename: 'CompileError', evalue: expect.stringMatching(/^cell\.f90:3:/) });
  });

  it('says what a cell must be when it has no main program', async () => {
    for (const code of ['', 'subroutine greet\n  print *, "hi"\nend subroutine']) {
      const [error] = eventsOf(await fortran(code), 'error');
      expect(error, JSON.stringify(code)).toMatchObject({ ename: 'CompileError', evalue: expect.stringMatching(/^the cell has no main program: a Fortran cell is a whole program/) });
    }
  });

  // Statements without their `end`, as a SageMathCell user types them: before, the cell's error
  // was gfortran's "Unexpected end of file in 'cell.f90'" alone.
  it('says what a cell must be when its statements have no `end`', async () => {
    const r = await fortran('print *, 1');
    const [error] = eventsOf(r, 'error');
    expect(error).toMatchObject({ ename: 'CompileError', evalue: 'the cell ends before its `end`: a Fortran cell is a whole program, its statements then `end`' });
    expect(error.traceback).toContainEqual(expect.stringMatching(/Unexpected end of file/));
    const [unclosed] = eventsOf(await fortran('do i = 1, 3\n  print *, i\nend'), 'error');
    expect(unclosed.evalue).toMatch(/END DO statement expected/);
  });

  it('reports error stop as a failed cell', async () => {
    const r = await fortran('error stop "bad value"\nend');
    expect(r.stderr).toContain('ERROR STOP bad value');
    // Named, with its message: it said "exit status 1".
    expect(eventsOf(r, 'error')[0]).toMatchObject({ ename: 'ErrorStop', evalue: 'bad value' });
    const coded = await fortran('error stop 3\nend');
    expect(eventsOf(coded, 'error')[0]).toMatchObject({ ename: 'ErrorStop', evalue: '3' });
    // A plain stop with a code stays the status it ends with.
    const stopped = await fortran('stop 4\nend');
    expect(eventsOf(stopped, 'error')[0]).toMatchObject({ ename: 'ExitStatus', evalue: 'exit status 4' });
  });
});
