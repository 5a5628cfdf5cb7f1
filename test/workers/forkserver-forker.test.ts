// The forker (cellstart.c's cellstart_forker(), started by forkserver.py's start_forker()) forks
// each cell as os.fork() would: Python's at-fork hooks run before the forks in the forker (once)
// and after each in the child (the worker's own hook releases a lock its `before` took), the cell gets
// the pipes and namespaces the request carried, and its end comes back as its pid and wait
// status. Checked on forkserver.py itself under the system Python, in namespaces of the case's
// own (a user namespace makes them without privilege), where the forker's child runs the real
// isolation steps.
import { describe, expect, it } from 'vitest';
import { FORKER_HELPERS, runWithForkServer } from '../helpers/forkserver-script';

const SCRIPT = FORKER_HELPERS + String.raw`
import json, os, socket, struct

calls = []
os.register_at_fork(before=lambda: calls.append('before'), after_in_parent=lambda: calls.append('parent'),
                    after_in_child=lambda: calls.append('child'))

def cell_main(populated):
    status = dict(l.split(':\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\t' in l)
    os.write(1, json.dumps({'calls': calls, 'seccomp': status['Seccomp'].strip(),
                            'capEff': status['CapEff'].strip(), 'fds': sorted(map(int, os.listdir('/proc/self/fd')))}).encode())
    os._exit(7)

def helper():
    in_own_namespaces()
    forker, exits, _ = fs.start_forker(cell_start_here(), cell_main)
    result = {}
    # A request without the descriptors a fork needs is refused, and the forker goes on.
    socket.send_fds(forker, [b'f'], [os.open('/proc/self/ns/pid_for_children', os.O_RDONLY)])
    result['short request'] = struct.unpack('=i', forker.recv(4))[0]
    pid, out, ended, status = fork_cell(forker, exits)
    result.update(cell=json.loads(out), pid=pid, ended=ended, code=os.waitstatus_to_exitcode(status))
    result['next cell'] = json.loads(fork_cell(forker, exits)[1])
    print(json.dumps(result), flush=True)
    os._exit(0)

in_a_child(helper)
`;

describe('the fork server\'s forker', () => {
  it('forks a cell as os.fork() does, isolates it with the descriptors sent, and reports its end', () => {
    const r = JSON.parse(runWithForkServer(SCRIPT)) as {
      'short request': number;
      cell: { calls: string[]; seccomp: string; capEff: string; fds: number[] };
      'next cell': { calls: string[] };
      pid: number;
      ended: number;
      code: number;
    };
    expect(r['short request']).toBe(-22); // EINVAL
    // Three forks led to the cell: the helper's, the forker's own start (both os.fork()), and
    // the forker's fork of the cell, whose hooks ran too: \`before\` in the forker, \`child\` in
    // the cell (the short request was refused before any fork).
    expect(r.cell.calls).toEqual(['before', 'child', 'before', 'child', 'before', 'child']);
    // The forker took its \`before\` once, and runs no Python between forks: the next cell finds
    // the interpreter as the first did.
    expect(r['next cell'].calls).toEqual(r.cell.calls);
    // The isolation ran on it: the namespace filter, no capability left, its four pipes only
    // (and the descriptor listing them).
    expect(r.cell.seccomp).toBe('2');
    expect(r.cell.capEff).toBe('0000000000000000');
    expect(r.cell.fds).toEqual([0, 1, 2, 3, 4]);
    expect(r.pid).toBeGreaterThan(0);
    expect(r.ended).toBe(r.pid);
    expect(r.code).toBe(7);
  });
});

// A cell whose process ends before the zygote has registered it (its isolation failed, say, while
// the zygote was off the CPU between the forker's answer and its next step): the forker's record
// of its end may already wait in the pipe when the zygote drains the earlier cells' records, and
// that record must still end the cell, not be dropped as no known cell's.
const EARLY_END = FORKER_HELPERS + String.raw`
import json, os, select, time

def cell_main(populated):
    os._exit(3)

# The forker's socket, with the zygote held off the CPU after each answer.
class Slow:
    def __init__(self, sock):
        self.sock = sock
    def recv(self, n):
        data = self.sock.recv(n)
        time.sleep(0.3)
        return data
    def __getattr__(self, name):
        return getattr(self.sock, name)

def start_init():
    # The first process of a PID namespace below the forker's, as the maker's init is: the
    # cell's end kills it, and that namespace's processes with it, not the forker.
    r, w = os.pipe()
    if os.fork() == 0:
        fs._libc.prctl(fs.PR_SET_PDEATHSIG, 9, 0, 0, 0)
        fs._check(fs._libc.unshare(fs.CLONE_NEWPID), 'unshare')
        init = os.fork()
        if init == 0:
            fs._libc.prctl(fs.PR_SET_PDEATHSIG, 9, 0, 0, 0)
            while True:
                time.sleep(1)
        os.write(w, str(init).encode())
        os.waitpid(init, 0)
        os._exit(0)
    os.close(w)
    return int(os.read(r, 100))

def helper():
    in_own_namespaces(pid=False)
    init = start_init()
    events_r, events_w = os.pipe()
    events_r = os.dup(events_r)  # not at CONTROL_FD, whichever number the pipe got
    os.dup2(events_w, fs.CONTROL_FD)
    os.set_blocking(events_r, False)
    forker, exits, _ = fs.start_forker(cell_start_here(), cell_main)
    os.set_blocking(exits, False)
    zygote = fs.Zygote(-1, -1, Slow(forker), exits)
    zygote.cells['c1'] = fs.Cell('c1')
    zygote.fork(f'c1 {init}')
    # The zygote's loop: the ends as the pipe has them, for up to two seconds.
    deadline = time.monotonic() + 2
    out = b''
    while b'"exit"' not in out and time.monotonic() < deadline:
        if select.select([exits], [], [], 0.05)[0]:
            zygote.take_ends()
        try:
            out += os.read(events_r, 65536)
        except BlockingIOError:
            pass
    print(json.dumps([json.loads(line) for line in out.decode().splitlines()]), flush=True)
    os._exit(0)

in_a_child(helper)
`;

describe('the fork server\'s zygote', () => {
  it('ends a cell whose process ended before the zygote registered it', () => {
    const events = JSON.parse(runWithForkServer(EARLY_END)) as { type: string; id: string; status?: number }[];
    expect(events.map((e) => e.type)).toEqual(['forked', 'exit']);
    expect(events[1]).toMatchObject({ id: 'c1', status: 3 });
  });
});

// The forker reaps every child of its own, not only the cells it forked: a process a cell made
// with clone(CLONE_PARENT) is the forker's child, and unreaped it would stay a zombie holding a
// host pid for as long as the server runs. The cells' seccomp filter refuses that clone
// (test/hostile/clone-parent.test.ts); here a filter that allows every call lets the cell make
// such children, with SIGCHLD and with exit signal 0 (which waitpid() reports only with __WALL),
// so that the forker's own reaping is what is checked. The forker's end reports stay its cells'.
const STRAY_CHILDREN = FORKER_HELPERS + String.raw`
import ctypes, json, os, struct, time

def cell_main(populated):
    libc = ctypes.CDLL(None, use_errno=True)
    made = 0
    for flags in [0x8000 | 17] * 5 + [0x8000] * 5:  # CLONE_PARENT, exit signal SIGCHLD or none
        r = libc.syscall(56, flags, 0, 0, 0, 0)
        if r == 0:
            os._exit(0)
        made += r > 0
    time.sleep(0.3)  # their ends come before this cell's, which wakes the forker
    os.write(1, json.dumps({'made': made}).encode())
    os._exit(0)

def zombies_of(parent):
    found = []
    for name in os.listdir('/proc'):
        try:
            with open(f'/proc/{name}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == 'Z' and int(fields[1]) == parent:
            found.append(int(name))
    return found

def helper():
    in_own_namespaces()
    start = cell_start_here()
    allow_all = struct.pack('=HBBI', 0x06, 0, 0, 0x7FFF0000)
    start.filter, start.filter_length = allow_all, 1
    forker, exits, forker_pid = fs.start_forker(start, cell_main)
    pid, out, ended, status = fork_cell(forker, exits)
    result = {'cell': json.loads(out), 'ended': ended == pid, 'code': os.waitstatus_to_exitcode(status)}
    # The forker wakes at a cell's end, and at each request.
    deadline = time.monotonic() + 5
    while zombies_of(forker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    result['zombies'] = zombies_of(forker_pid)
    pid, out, ended, status = fork_cell(forker, exits)
    result['next'] = {'cell': json.loads(out), 'ended': ended == pid}
    print(json.dumps(result), flush=True)
    os._exit(0)

in_a_child(helper)
`;

describe('the fork server\'s forker, with children it did not fork', () => {
  it('reaps them, whatever their exit signal, and reports only its cells\' ends', () => {
    const r = JSON.parse(runWithForkServer(STRAY_CHILDREN));
    expect(r).toEqual({
      cell: { made: 10 },
      ended: true,
      code: 0,
      zombies: [],
      next: { cell: { made: 10 }, ended: true },
    });
  });
});
