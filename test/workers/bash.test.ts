// Tests of the Bash language worker (workers/bash/kernel.sh), run outside the sandbox.
import { execFileSync } from 'node:child_process';
import { describe, it, expect } from 'vitest';
import { eventsOf, lastEvent, runWorker } from './run-worker';

const run = (code: string, options?: Parameters<typeof runWorker>[2]) => runWorker('bash', code, options);

describe('bash worker', () => {
  it('says ready first, runs the code, ends with done', async () => {
    const r = await run('echo "hello, world"\necho oops >&2');
    expect(r.events[0]).toEqual({ type: 'ready', language: 'bash', version: expect.stringMatching(/^\d+\.\d+\.\d+$/), interrupt: true });
    expect(r.stdout).toBe('hello, world\n');
    expect(r.stderr).toBe('oops\n');
    expect(r.events.slice(1)).toEqual([{ type: 'done', status: 'ok' }]);
    expect(r.badLines).toEqual([]);
    expect(r.exitCode).toBe(0);
  });

  it('reports a non-zero exit status as an error, with bash messages naming the cell', async () => {
    const r = await run('echo before\nno_such_command_here');
    expect(r.stdout).toBe('before\n');
    expect(r.stderr).toBe('cell: line 2: no_such_command_here: command not found\n');
    expect(eventsOf(r, 'error')).toEqual([{ type: 'error', ename: 'ExitStatus', evalue: 'exit status 127', traceback: [] }]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
  });

  it('names the line and command where set -e ended the cell, which bash does not say', async () => {
    const ended = (traceback: string[]) => [{ type: 'error', ename: 'ExitStatus', evalue: 'exit status 1', traceback }];
    const r = await run('echo start\nset -e\ncp missing.txt here.txt 2>/dev/null\necho never');
    expect(r.stdout).toBe('start\n');
    expect(r.stderr).toBe('');
    expect(eventsOf(r, 'error')).toEqual(ended(['cell: line 3: cp missing.txt here.txt 2> /dev/null: exit status 1, which ends the cell under set -e']));
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
    // In a function, the function's line; a pipeline's last command may not be the one that failed: the line alone.
    const inFunction = await run('set -e\nf() {\n  grep -q "no\\"such" /dev/null\n}\nf\necho never');
    expect(eventsOf(inFunction, 'error')).toEqual(ended(['cell: line 3: grep -q "no\\"such" /dev/null: exit status 1, which ends the cell under set -e']));
    const piped = await run('set -eo pipefail\nfalse | cat\necho never');
    expect(eventsOf(piped, 'error')).toEqual(ended(['cell: line 2: exit status 1, which ends the cell under set -e']));
    // Not set -e's doing: an exit, a failure without set -e, one in a subshell that was handled.
    for (const code of ['set -e\nexit 1', 'false\nexit 1', 'set -e\n(false) || echo handled\nexit 1']) {
      expect(eventsOf(await run(code), 'error'), code).toEqual(ended([]));
    }
    // The trap is the worker's: the cell lists none, its own ERR trap runs instead, and `trap - ERR` sets it again.
    const own = await run('set -e\ntrap -p ERR\ntrap "echo mine" ERR\ntrap -p\ntrap - ERR\ntrap -p\nfalse');
    expect(own.stdout).toBe("trap -- 'echo mine' ERR\n");
    expect(eventsOf(own, 'error')).toEqual(ended(['cell: line 7: false: exit status 1, which ends the cell under set -e']));
    const mine = await run('set -e\ntrap "echo mine" ERR\nfalse');
    expect(mine.stdout).toBe('mine\n');
    expect(eventsOf(mine, 'error')).toEqual(ended([]));
    // Set only where the code says set -e: an ERR trap runs at every failed command, which is time.
    const without = await run('builtin trap -p ERR\necho "[$(builtin trap -p ERR)]"\n[ 1 -lt 0 ]');
    expect(without.stdout).toBe('[]\n');
    const withIt = await run('set -euo pipefail\n[[ -n $(builtin trap -p ERR) ]] && echo set');
    expect(withIt.stdout).toBe('set\n');
  });

  it('ends only the cell on exit', async () => {
    const failed = await run('echo a\nexit 3\necho b');
    expect(failed.stdout).toBe('a\n');
    expect(eventsOf(failed, 'error')[0]).toMatchObject({ ename: 'ExitStatus', evalue: 'exit status 3' });
    expect(lastEvent(failed)).toEqual({ type: 'done', status: 'error' });
    const ok = await run('echo a; exit 0; echo b');
    expect(ok.stdout).toBe('a\n');
    expect(ok.events.slice(1)).toEqual([{ type: 'done', status: 'ok' }]);
  });

  it('passes the code unchanged, trailing newlines included', async () => {
    const r = await run('cat <<EOF\nline with $((6 * 7)) and "quotes" \\\\ \'single\'\nEOF\n');
    expect(r.stdout).toBe('line with 42 and "quotes" \\ \'single\'\n');
    // A here-document that runs to the end of the code keeps its last empty lines.
    const open = await run('cat <<EOF\na\n\n\n');
    expect(open.stdout).toBe('a\n\n\n');
    expect(lastEvent(open)).toEqual({ type: 'done', status: 'ok' });
  });

  it('reads CRLF line ends as LF, as Python does, so an if from a form or a Windows file runs', async () => {
    const r = await run('x=1\r\nif [ "$x" = 1 ]; then\r\n  echo "yes [$x]"\r\nfi\r\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('yes [1]\n');
    expect(r.events.slice(1)).toEqual([{ type: 'done', status: 'ok' }]);
  });

  it('gives the code /dev/null as stdin and creates no files in the working directory', async () => {
    const r = await run('readlink /proc/self/fd/0\ncat\necho "cat: $?"');
    expect(r.stdout).toBe('/dev/null\ncat: 0\n');
    expect(r.files).toEqual([]);
  });

  it('finds nothing of what its shell did before the code came: environment, variables and signals of a plain child bash', async () => {
    // The cell's bash is forked before ready, and the fork reads the code, then execs: neither
    // its variables, nor what `&` did to its stdin and signals, nor a missing `_` may show. Only
    // what Stop needs is there on purpose (interrupt.bash, read through BASH_ENV, which its
    // children no longer get): set -ET that hands its traps to functions; the traps themselves
    // are left out of what `trap` lists, as a script in a terminal has none.
    const ignored = 'while read -r line; do if [[ $line == SigIgn* ]]; then echo "$line"; fi; done </proc/$$/status';
    const r = await run([
      'tr "\\0" "\\n" </proc/$$/environ | sed "s|$PWD|.|; s|=$TMPDIR\\$|=(scratch)|; s|^BASH_ENV=.*/|BASH_ENV=…/|" | sort',
      'echo "SHLVL=$SHLVL _=$_ flags=$- code=${code-unset} LC_ALL=${LC_ALL-unset} stdin=$(readlink /proc/$$/fd/0)"',
      'echo "children: ${BASH_ENV-no BASH_ENV}"',
      ignored,
      'trap -p',
    ].join('\n'));
    // What a bash started here ignores (bash itself ignores SIGQUIT), as the worker's child would.
    const plain = execFileSync('/usr/bin/bash', ['-c', ignored], { env: { PATH: '/usr/bin:/bin' } as Record<string, string> as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    expect(r.stdout).toBe([
      'BASH_ENV=…/interrupt.bash', 'HOME=.', 'LANG=C.UTF-8', 'PATH=/usr/bin:/bin', 'PWD=.', 'SHLVL=1', 'TMPDIR=(scratch)', '_=/usr/bin/bash',
      'SHLVL=2 _=/usr/bin/bash flags=hBETc code=unset LC_ALL=unset stdin=/dev/null',
      'children: no BASH_ENV',
    ].join('\n') + '\n' + plain);
    expect(plain).toMatch(/^SigIgn:\s+[0-9a-f]+\n$/);
    expect(r.stderr).toBe('');
    expect(r.events.slice(1)).toEqual([{ type: 'done', status: 'ok' }]);
  });

  it('closes inherited descriptors above 3 and keeps the event pipe from the code', async () => {
    // `ls` lists the descriptors of the cell's shell ($$) and of the worker ($PPID) from outside.
    // No pipelines: the shell would hold the pipes' descriptors while they run. The trailing
    // `true` keeps bash from replacing itself with the last ls.
    const r = await run('ls /proc/$$/fd\necho --\nls /proc/$PPID/fd\ntrue', { extraStdio: ['pipe'] });
    const [cell, worker] = r.stdout.split('--\n').map((list) => list.split('\n').filter(Boolean).map(Number).sort((a, b) => a - b));
    expect(cell).toEqual([0, 1, 2]);
    // The worker itself: the four descriptors of the protocol, the cell's stderr kept at 4
    // while the worker's own goes to /dev/null, and bash's own for the script.
    expect(worker).toEqual([0, 1, 2, 3, 4, 255]);
  });

  it('names the signal that killed the cell, and writes no line of its own on stderr', async () => {
    const r = await run('echo before >&2\nkill -SEGV $$');
    expect(r.stderr).toBe('before\n');
    expect(eventsOf(r, 'error')).toEqual([{ type: 'error', ename: 'ExitStatus', evalue: 'exit status 139 (killed by SIGSEGV)', traceback: [] }]);
    expect(lastEvent(r)).toEqual({ type: 'done', status: 'error' });
    expect(r.badLines).toEqual([]);
  });

  it('ends as the cell did, without done, when the cell is killed for its CPU time (SIGXCPU)', async () => {
    // The device then reports the CPU-time limit it set (device/run.ts reads status 128 + 24).
    const r = await run('kill -XCPU $$');
    expect(r.events.slice(1)).toEqual([]);
    expect(r.exitCode).toBe(128 + 24);
    expect(r.stderr).toBe('');
  });
});

describe('bash worker, stopped', () => {
  const stopped = (code: string) => run(code, { interruptOn: 'started\n' });
  const interrupted = (traceback: string[]) => [{ type: 'error', ename: 'KeyboardInterrupt', evalue: 'interrupted', traceback }];

  it('says the line of the command it was on, the next one never run', async () => {
    const r = await stopped('echo started\nsleep 10\necho never');
    expect(eventsOf(r, 'error')).toEqual(interrupted(['cell: line 2: sleep 10: interrupted']));
    expect(r.stdout).toBe('started\n');
    // Under set -e too, whose ERR trap the worker keeps (errexit.bash).
    const strict = await stopped('set -e\necho started\nsleep 10\necho never');
    expect(eventsOf(strict, 'error')).toEqual(interrupted(['cell: line 3: sleep 10: interrupted']));
  });

  it("says the line of a command stopped in an if's or a loop's condition, not the line after it", async () => {
    const cases: [string, string][] = [
      ['echo started\nwhile sleep 10; do :; done\necho after', 'cell: line 2: sleep 10: interrupted'],
      ['echo started\nif sleep 10; then\n  :\nfi\necho after', 'cell: line 2: sleep 10: interrupted'],
      ['echo started\nsleep 10 || echo failed\necho after', 'cell: line 2: sleep 10: interrupted'],
      ['wait_long() {\n  until ! sleep 10; do\n    :\n  done\n}\necho started\nwait_long\necho after', 'cell: line 2: sleep 10: interrupted'],
      ['echo started\nwhile sleep 10; do :; done', 'cell: line 2: sleep 10: interrupted'],
    ];
    for (const [code, line] of cases) {
      const r = await stopped(code);
      expect(eventsOf(r, 'error'), code).toEqual(interrupted([line]));
      expect(r.stdout, code).toBe('started\n');
    }
  });

  it("shows the cell only its own traps; Stop still ends it with its line after it set and cleared its own INT trap", async () => {
    const fresh = await run('trap -p\ntrap\ntrap -p INT ERR EXIT DEBUG\necho "listed: $(trap -p)"');
    expect(fresh.stdout).toBe('listed: \n');
    expect(fresh.stderr).toBe('');
    const own = await stopped([
      "trap 'echo caught' INT",
      "trap 'echo failed' ERR",
      'trap -p',
      'trap - INT',
      'echo --',
      'trap -p',
      'trap "echo x" NOSUCHSIG',
      'echo started',
      'sleep 10',
    ].join('\n'));
    expect(own.stdout).toBe([
      "trap -- 'echo caught' SIGINT",
      "trap -- 'echo failed' ERR",
      '--',
      "trap -- 'echo failed' ERR",
      'failed', // trap's own failure on line 7, once, as bash runs an ERR trap
      'started',
    ].join('\n') + '\n');
    expect(own.stderr).toBe('cell: line 7: trap: NOSUCHSIG: invalid signal specification\n');
    expect(eventsOf(own, 'error')).toEqual(interrupted(['cell: line 9: sleep 10: interrupted']));
  });

  it("runs the cell's own INT trap on Stop, as bash at Ctrl-C: the cell goes on to its end", async () => {
    // What the worker reports of its end is no matter: the device names a cell it stopped
    // Interrupted, whatever came of it (device/run.ts).
    const r = await stopped("trap 'echo caught' INT\necho started\nsleep 10\necho went on");
    expect(r.stdout).toBe('started\ncaught\nwent on\n');
    expect(lastEvent(r)).toMatchObject({ type: 'done' });
  });
});
