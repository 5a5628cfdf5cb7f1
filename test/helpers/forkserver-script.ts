// Runs a Python script against workers/python/forkserver.py itself, under the system Python the
// workers run on: the script finds the module loaded as `fs`.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const FORKSERVER = path.resolve(__dirname, '../../workers/python/forkserver.py');

const LOAD = String.raw`
import importlib.util as _util, sys as _sys
_spec = _util.spec_from_file_location('forkserver', _sys.argv[1])
fs = _util.module_from_spec(_spec)
_spec.loader.exec_module(fs)
`;

/**
 * Python helpers for a script that runs the real forker (start_forker()) and its cells: in
 * namespaces of the script's own, which a user namespace makes without privilege, the forker's
 * child runs the real isolation steps. Call `in_own_namespaces()` in a child of the script
 * (`in_a_child(helper)`).
 */
export const FORKER_HELPERS = String.raw`
import ctypes as _ctypes, os as _os, socket as _socket, struct as _struct

def in_own_namespaces(pid=True):
    """Unshares a user namespace (root inside, this uid outside) with mount, network, IPC, UTS
    and (with pid) PID namespaces, as the sandbox gives the zygote."""
    uid, gid = _os.getuid(), _os.getgid()
    flags = 0x10000000 | fs.CLONE_NEWNS | fs.CLONE_NEWNET | fs.CLONE_NEWIPC | fs.CLONE_NEWUTS
    if pid:
        flags |= fs.CLONE_NEWPID
    fs._check(_ctypes.CDLL(None, use_errno=True).unshare(flags), 'unshare')
    for name, text in (('setgroups', 'deny'), ('uid_map', f'0 {uid} 1'), ('gid_map', f'0 {gid} 1')):
        with open(f'/proc/self/{name}', 'w') as f:
            f.write(text)

def cell_start_here():
    """A cell's start (cell_start()) for these namespaces: uid 0, working directory /."""
    start = fs.cell_start({'memoryRlimit': 'as', 'memoryBytes': 1 << 30, 'cpuSeconds': 10, 'processes': 64,
                           'fileBytes': 1 << 20})
    start.uid = start.gid = 0
    start.directory = b'/'
    return start

def fork_cell(forker, exits):
    """Has the forker fork one cell into these namespaces; returns its pid, all it wrote on its
    stdout, and the pid and wait status its end was reported with."""
    pid_ns = _os.open('/proc/self/ns/pid_for_children', _os.O_RDONLY)
    pipes = [_os.pipe() for _ in range(4)]
    ours = [pipes[0][1], pipes[1][0], pipes[2][0], pipes[3][0]]
    theirs = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1]]
    namespaces = [_os.open(f'/proc/self/ns/{name}', _os.O_RDONLY) for name, _ in fs.JOINED]
    _socket.send_fds(forker, [b'f'], [pid_ns] + theirs + namespaces)
    pid = _struct.unpack('=i', forker.recv(4))[0]
    for fd in theirs + namespaces + [pid_ns]:
        _os.close(fd)
    _os.close(ours[0])  # no code: the cell reads an empty stdin, as the device's closed pipe
    out = b''
    while chunk := _os.read(ours[1], 65536):
        out += chunk
    for fd in ours[1:]:
        _os.close(fd)
    _os.set_blocking(exits, True)
    ended, status = _struct.unpack('=ii', _os.read(exits, 8))
    return pid, out, ended, status

def in_a_child(helper):
    """Runs helper() in a child of the script (whose namespaces it may unshare), with its
    traceback on stderr if it fails, and waits for it."""
    child = _os.fork()
    if child == 0:
        try:
            helper()
        except BaseException:
            import traceback
            traceback.print_exc()
        finally:
            _os._exit(1)
    _os.waitpid(child, 0)
`;

/** The script's standard output. */
export function runWithForkServer(script: string): string {
  return execFileSync('/usr/bin/python3', ['-I', '-c', LOAD + script, FORKSERVER], { encoding: 'utf8' });
}
