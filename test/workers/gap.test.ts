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
});
