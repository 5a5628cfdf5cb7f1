// A `kill` of a cell that started no process of its own is reported as its end at once, before
// its process has finished exiting (which unmaps its memory first: milliseconds); a cell with
// any other process left waits for the exit as before. Checked on forkserver.py itself, with
// real processes standing in for a cell's process and its PID namespace's init.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const FORKSERVER = path.resolve(__dirname, '../../workers/python/forkserver.py');

const SCRIPT = String.raw`
import importlib.util, json, os, select, signal, sys, time
spec = importlib.util.spec_from_file_location('forkserver', sys.argv[1])
fs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fs)

# The zygote's replies go to fd 3: a pipe read here (its ends made above fd 3).
os.dup2(os.open(os.devnull, os.O_RDONLY), fs.CONTROL_FD)
replies_r, replies_w = os.pipe()
os.dup2(replies_w, fs.CONTROL_FD)
os.set_blocking(replies_r, False)

def sleeper(children=0):
    """A process that sleeps, after starting 'children' sleeping children; returns their pids too."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        kids = []
        for _ in range(children):
            kid = os.fork()
            if kid == 0:
                time.sleep(60)
                os._exit(0)
            kids.append(kid)
        os.write(w, json.dumps(kids).encode())
        time.sleep(60)
        os._exit(0)
    os.close(w)
    kids = json.loads(os.read(r, 1000))
    os.close(r)
    return pid, kids

def case(cell_children=0, init_children=0, ended=False):
    init, init_kids = sleeper(init_children)
    pid, kids = sleeper(cell_children)
    zygote = object.__new__(fs.Zygote)
    cell = fs.Cell('c1')
    cell.pid, cell.pidfd = pid, os.pidfd_open(pid)
    cell.init, cell.init_pidfd = init, os.pidfd_open(init)
    if ended:
        os.kill(pid, signal.SIGTERM)
        select.select([cell.pidfd], [], [])
    zygote.kill(cell)
    try:
        said = os.read(replies_r, 1000).decode()
    except BlockingIOError:
        said = ''
    for p in [init, pid, *kids, *init_kids]:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for p in (init, pid):
        os.waitpid(p, 0)
    return json.loads(said) if said else None

print(json.dumps({
    'alone': case(),
    'a child of its own': case(cell_children=1),
    'an orphan with the init': case(init_children=1),
    'ended already': case(ended=True),
}))
`;

describe('the fork server\'s kill of a cell', () => {
  it('reports the end at once when no other process of the cell is left, and waits for the exit otherwise', () => {
    const out = JSON.parse(execFileSync('/usr/bin/python3', ['-I', '-c', SCRIPT, FORKSERVER], { encoding: 'utf8' }));
    expect(out.alone).toEqual({ type: 'exit', id: 'c1', status: 128 + 9 });
    // Left for the exit (cell_ended, init_ended), which reports the real status.
    expect(out['a child of its own']).toBeNull();
    expect(out['an orphan with the init']).toBeNull();
    expect(out['ended already']).toBeNull();
  });
});
