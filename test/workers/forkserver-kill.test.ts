// A `kill` of a cell that started no process of its own is reported as its end at once, before
// its process has finished exiting (which unmaps its memory first: milliseconds); a cell with
// any other process left waits for the exit as before. Checked on forkserver.py itself, with
// real processes laid out as the zygote's are: a PID namespace of the case's own, whose init
// reaps what the cell orphans, and the cell's process, a child of the "zygote" born in it.
import { describe, expect, it } from 'vitest';
import { runWithForkServer } from '../helpers/forkserver-script';

const SCRIPT = String.raw`
import ctypes, json, mmap, os, select, signal, sys, time
libc = ctypes.CDLL(None, use_errno=True)

def sleeper(children=0, hold=False):
    """A process that sleeps after starting 'children' sleeping children (waiting for none).
    With 'hold', it has written 128 MiB first: killed, it takes tens of milliseconds to die
    (unmapping them), so the zygote's look comes surely while it is still dying."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        if hold:
            memory = mmap.mmap(-1, 128 << 20)
            for i in range(0, len(memory), mmap.PAGESIZE):
                memory[i] = 1
        for _ in range(children):
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
        os.write(w, b'.')
        if children:  # the init's role: reap what comes to it
            signal.signal(signal.SIGCHLD, lambda *_: None)
        time.sleep(60)
        os._exit(0)
    os.close(w)
    os.read(r, 1)
    os.close(r)
    return pid

def case(cell_children=0, init_children=0, ended=False):
    """In a child of this script (the zygote): a PID namespace of its own, its init, the cell's
    process; the zygote's kill of it, and what the zygote told the device on fd 3."""
    replies_r, replies_w = os.pipe()
    helper = os.fork()
    if helper == 0:
        os.close(replies_r)
        os.dup2(replies_w, fs.CONTROL_FD)
        uid, gid = os.getuid(), os.getgid()
        CLONE_NEWUSER = 0x10000000
        fs._check(libc.unshare(CLONE_NEWUSER | fs.CLONE_NEWPID), 'unshare')
        for name, text in (('setgroups', 'deny'), ('uid_map', f'{uid} {uid} 1'), ('gid_map', f'{gid} {gid} 1')):
            with open(f'/proc/self/{name}', 'w') as f:
                f.write(text)
        init = sleeper(init_children)  # the first child: the namespace's init
        pid = sleeper(cell_children, hold=not ended)
        zygote = object.__new__(fs.Zygote)
        cell = fs.Cell('c1')
        cell.pid, cell.pidfd = pid, os.pidfd_open(pid)
        cell.init, cell.init_pidfd = init, os.pidfd_open(init)
        if ended:
            os.kill(pid, signal.SIGTERM)
            select.select([cell.pidfd], [], [])
        zygote.kill(cell)
        os.kill(init, signal.SIGKILL)  # and with it every process of the namespace
        os._exit(0)
    os.close(replies_w)
    said = b''
    while chunk := os.read(replies_r, 1000):
        said += chunk
    os.close(replies_r)
    os.waitpid(helper, 0)
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
    const out = JSON.parse(runWithForkServer(SCRIPT));
    expect(out.alone).toEqual({ type: 'exit', id: 'c1', status: 128 + 9, signal: 9 });
    // Left for the exit (cell_ended, init_ended), which reports the real status.
    expect(out['a child of its own']).toBeNull();
    expect(out['an orphan with the init']).toBeNull();
    expect(out['ended already']).toBeNull();
  });
});
