// Tests of the GAP language worker (workers/gap/kernel.sh), run outside the sandbox: how GAP's
// own messages become the cell's error (the sandbox's part is test/integration/interpreters).
import { installed as isInstalled } from '../helpers/installed';
import { describe, expect, it } from 'vitest';
import { eventsOf, lastEvent, runWorker } from './run-worker';

const installed = isInstalled('/usr/bin/gap');

describe.skipIf(!installed)('gap worker', () => {
  it('names a syntax error GAP skipped before the error it quit on, its likely cause', async () => {
    // A `;` missing after `fi`: GAP skips the function's assignment and goes on, and the call
    // fails with "Variable: 'f' must have a value". The syntax error was kept back and dropped,
    // so the cell's error named the consequence alone.
    const r = await runWorker('gap', 'f := function(n)\n  if n = 0 then return 1; fi\n  return n * f(n - 1);\nend;\nf(10);\nPrint("never\\n");', { timeoutMs: 60_000 });
    expect(r.stdout).toBe('');
    const errors = eventsOf(r, 'error');
    expect(errors.map((e) => [e.ename, e.evalue])).toEqual([['GAPError', 'Syntax error: ; expected']]);
    expect(errors[0].traceback).toEqual([
      'Syntax error: ; expected', '  return n * f(n - 1);', '  ^^^^^^',
      "Error, Variable: 'f' must have a value", 'not in any function at *stdin*:5',
    ]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  }, 90_000);

  it("an error alone is GAP's message", async () => {
    const r = await runWorker('gap', 'Print("a\\n");\nError("boom");\nPrint("never\\n");', { timeoutMs: 60_000 });
    expect(r.stdout).toBe('a\n');
    expect(eventsOf(r, 'error').map((e) => [e.ename, e.evalue])).toEqual([['GAPError', 'boom']]);
  }, 90_000);

  it("prints the help's entry and goes on with the cell, where the pager took the cell for keys", async () => {
    // GAP's pager waited for a key after a screen, read from GAP's input, the cell: the letters of
    // the statements after the help were keys (n, p, b, q), those statements never ran, and the
    // cell ended well. The entry is shown to the next heading, without "'tcsetattr' could not
    // turn off raw mode!".
    const r = await runWorker('gap', '?SymmetricGroup\nPrint("after\\n");\nPager("x\\ny");', { timeoutMs: 60_000 });
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    const plain = r.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    // The entry's heading (its number is the manual's: 50.1-12 in GAP 4.12).
    expect(plain).toMatch(/^ {2}\d+\.\d+-\d+ SymmetricGroup$/m);
    expect(plain).toContain('constructs  the  symmetric  group of degree deg');
    expect(plain).not.toContain('MathieuGroup');
    expect(plain).not.toContain('<space> page');
    expect(plain.endsWith('after\nx\ny\n')).toBe(true);
    expect(r.stderr).toBe('');
  }, 90_000);

  it("gives ReadLine(InputTextUser()) and Exec()'s command an empty input, not the cell's next lines", async () => {
    // The user's input was GAP's, the cell: ReadLine returned the next statement, which never
    // ran, and Exec("cat") printed the rest of the cell instead of running it.
    const r = await runWorker('gap', 's := ReadLine(InputTextUser());\nPrint("next\\n");\nExec("cat");\nPrint("last\\n");', { timeoutMs: 60_000 });
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'ok' });
    expect(r.stdout).toBe('fail\nnext\nlast\n');
  }, 90_000);

  it("takes a message of several lines whole, without the place it ends with", async () => {
    // The message was cut to its first line: "n must be positive," without what followed.
    const r = await runWorker('gap', 'f := function(n)\n  if n < 0 then Error("n must be positive,\\nnot ", n); fi;\n  return n;\nend;;\nf(-1);', { timeoutMs: 60_000 });
    expect(eventsOf(r, 'error').map((e) => [e.ename, e.evalue])).toEqual([['GAPError', 'n must be positive,\nnot -1']]);
    // One line, and GAP's "not in any function" after it, as before.
    const one = await runWorker('gap', 'l := [1];;\nl[3];', { timeoutMs: 60_000 });
    expect(eventsOf(one, 'error').map((e) => e.evalue)).toEqual(['List Element: <list>[3] must have an assigned value']);
  }, 90_000);
});
