// workers/lib/events.bash, the functions the interpreters' launchers share, run by bash as a
// launcher runs them.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const LIB = path.resolve(__dirname, '../../workers/lib/events.bash');

describe('send_commands', () => {
  it('leaves the launcher running when the interpreter has quit before its commands were written', () => {
    // The reader is gone, as Singular or Maxima is after the cell's own quit: each write meets a
    // closed pipe. A plain printf killed the launcher with SIGPIPE (status 141), and a cell that
    // had ended well was reported as crashed.
    const script = `. "$1"; exec {to}> >(exec true); sleep 0.2; send_commands "$to" $'< "cell.sing";\\nquit;\\n'; echo "went on"`;
    const r = spawnSync('/usr/bin/bash', ['-c', script, 'launcher', LIB], { encoding: 'utf8' });
    expect({ status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, signal: null, stdout: 'went on\n', stderr: '' });
  });

  it('writes every command to an interpreter that reads them, and SIGPIPE is the launcher\'s own again after', () => {
    const script = `. "$1"; exec {to}> >(exec cat); send_commands "$to" $'one;\\ntwo;\\n'; exec {to}>&-; wait; trap -p PIPE; echo done`;
    const r = spawnSync('/usr/bin/bash', ['-c', script, 'launcher', LIB], { encoding: 'utf8' });
    expect(r.stdout).toBe('one;\ntwo;\ndone\n');
    expect(r.status).toBe(0);
  });
});
