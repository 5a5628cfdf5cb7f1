# The Python fork server (zygote): one per sandbox, started by kernel.py with
# `--fork-server=<json>`. It imports the heavy modules once, then forks a fresh cell process
# per request from the device. Each cell process makes its own namespaces before any cell code
# runs, so no cell sees another's files, processes, loopback or IPC; see isolate() for the
# lines of the brief it keeps.
#
# Protocol with the device (device/forkserver.ts):
#   stdin (device → zygote), one command per line:
#     fork <id>      fork a cell process; answered with `forked`
#     opened <id>    the device has opened its ends of the cell's pipes: drop our copies
#     kill <id>      SIGKILL the cell (its PID namespace dies with its first process)
#   fd 3 (zygote → device), JSON lines:
#     {"type":"ready","language":…,"version":…}           preloaded, taking forks
#     {"type":"forked","id":…,"pid":…,"fds":[in,out,err,events]}  pid as this sandbox sees it;
#         the fds are ours, for the device to open through /proc/<zygote>/fd/<n>
#     {"type":"exit","id":…,"status":…}                    the cell process ended (128+N: signal N)
#     {"type":"fork_failed","id":…,"message":…}
#   End of stdin: the device is gone; the zygote kills its cells and exits.
import ctypes
import fcntl
import gc
import importlib
import json
import os
import resource
import selectors
import signal
import socket
import struct
import sys

CONTROL_FD = 3

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522

SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
IFF_LOOPBACK = 0x8
IFF_RUNNING = 0x40

# The sandbox user inside; the same uid bwrap gives the zygote.
CELL_UID = 1000
CELL_GID = 1000
CELL_DIR = '/cell'
# What bwrap covers read-only in its own /proc; a cell's new /proc gets the same.
PROC_COVERED = ('sys', 'sysrq-trigger', 'irq', 'bus')

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f'{what}: {os.strerror(errno)}')


def _mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                       ctypes.c_ulong(flags), data and data.encode()), f'mount {target}')


def _prctl(option, arg2=0):
    _check(_libc.prctl(option, ctypes.c_ulong(arg2), ctypes.c_ulong(0), ctypes.c_ulong(0),
                       ctypes.c_ulong(0)), f'prctl {option}')


class _CapHeader(ctypes.Structure):
    _fields_ = [('version', ctypes.c_uint32), ('pid', ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [('effective', ctypes.c_uint32), ('permitted', ctypes.c_uint32),
                ('inheritable', ctypes.c_uint32)]


# --- one cell process ---------------------------------------------------------------------------

def isolate(options):
    """Runs in the forked child before any cell code, and returns only in the cell's process,
    with its namespaces made, its limits set and no capability left. On the way it leaves two
    processes that hold nothing of the cell's: this one, outside the cell's PID namespace,
    which the zygote waits for and kills; and the namespace's first process (its init), which
    reaps what the cell orphans. When either ends, every process of the cell dies."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _check(_libc.unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS),
           'unshare')
    _mount(None, '/', None, MS_REC | MS_PRIVATE)
    hidden = MS_NOSUID | MS_NODEV
    # A fresh working directory, /tmp and /dev/shm: nothing another cell wrote is visible.
    _mount('tmpfs', CELL_DIR, 'tmpfs', hidden, f'size={options["cellDirBytes"]},mode=0755')
    _mount('tmpfs', '/tmp', 'tmpfs', hidden, f'size={options["tmpBytes"]},mode=1777')
    if os.path.isdir('/dev/shm'):
        _mount('tmpfs', '/dev/shm', 'tmpfs', hidden | MS_NOEXEC, f'size={options["tmpBytes"]},mode=1777')
    _loopback_up()
    last_cap = int(open('/proc/sys/kernel/cap_last_cap').read())
    init = os.fork()
    if init:
        _wait_for(init, lambda pid: True)

    # The first process of the new PID namespace.
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # Its own /proc, showing the cell's processes only.
    _mount('proc', '/proc', 'proc', hidden | MS_NOEXEC)
    for name in PROC_COVERED:
        path = f'/proc/{name}'
        if os.path.exists(path):
            _mount(path, path, None, MS_BIND | MS_REC)
            _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)
    cell = os.fork()
    if cell:
        # Orphans are reparented to the init: reap them all, end when the cell's process does.
        _wait_for(-1, lambda pid: pid == cell)

    # A user namespace of its own: inside it the cell is uid 1000 and keeps no capability
    # anywhere. Made before the limits are set: the kernel caps the processes of all cells
    # together by the RLIMIT_NPROC in force when the namespace is made, and this cell's alone
    # by the one set after.
    _check(_libc.unshare(CLONE_NEWUSER), 'unshare user')
    for name, text in (('setgroups', 'deny'), ('uid_map', f'{CELL_UID} {CELL_UID} 1'),
                       ('gid_map', f'{CELL_GID} {CELL_GID} 1')):
        with open(f'/proc/self/{name}', 'w') as f:
            f.write(text)
    _set_limits(options)
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    for cap in range(last_cap + 1):
        _prctl(PR_CAPBSET_DROP, cap)
    _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), 'capset')
    os.chdir(CELL_DIR)


def _wait_for(which, is_last):
    """Drops the cell's descriptors, waits until `is_last` of a reaped child, then ends the way
    that child ended (128 + N for a signal N, as bwrap reports it)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2, 3):
        os.dup2(null, fd)
    os.close(null)
    while True:
        try:
            pid, status = os.waitpid(which, 0)
        except InterruptedError:
            continue
        if is_last(pid):
            break
    code = os.waitstatus_to_exitcode(status)
    os._exit(128 - code if code < 0 else code)


def _loopback_up():
    """The new network namespace's own loopback, up, as bwrap sets it: it reaches nothing else."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack('16sH22x', b'lo', IFF_UP | IFF_LOOPBACK | IFF_RUNNING))


def _set_limits(options):
    memory = resource.RLIMIT_DATA if options['memoryRlimit'] == 'data' else resource.RLIMIT_AS
    limits = [
        (memory, options['memoryBytes'], options['memoryBytes']),
        (resource.RLIMIT_CPU, options['cpuSeconds'], options['cpuSeconds'] + 1),
        (resource.RLIMIT_NPROC, options['processes'], options['processes']),
        (resource.RLIMIT_FSIZE, options['fileBytes'], options['fileBytes']),
        (resource.RLIMIT_NOFILE, 1024, 1024),
        (resource.RLIMIT_CORE, 0, 0),
    ]
    for which, soft, hard in limits:
        resource.setrlimit(which, (soft, hard))


# --- the zygote ---------------------------------------------------------------------------------

def preload(names):
    """Imports the heavy modules once, so that every cell finds them loaded. A module that is
    not installed is skipped: the cell then gets the same ImportError a plain Python gives."""
    for name in filter(None, (n.strip() for n in names.split(','))):
        try:
            importlib.import_module(name)
        except Exception as e:  # noqa: BLE001 - a missing optional package is not an error
            print(f'fork server: not preloading {name}: {e}', file=sys.stderr)
    warm = sys.modules.get('cellbox_kernel')
    if warm is not None and hasattr(warm, 'warm_up'):
        warm.warm_up()


def _send(event):
    data = (json.dumps(event, separators=(',', ':')) + '\n').encode()
    while data:
        data = data[os.write(CONTROL_FD, data):]


class Zygote:
    def __init__(self, options, cell_main):
        self.options = options
        self.cell_main = cell_main
        self.selector = selectors.DefaultSelector()
        self.cells = {}  # id → (pid, pidfd)
        self.device_ends = {}  # id → our copies of the device's pipe ends, until `opened`
        self.buffer = b''

    def serve(self, ready_event):
        os.set_blocking(0, False)
        self.selector.register(0, selectors.EVENT_READ, None)
        _send(ready_event)
        while True:
            for key, _ in self.selector.select():
                if key.data is None:
                    if not self.read_commands():
                        return self.shutdown()
                else:
                    self.reap(key.data)

    def read_commands(self):
        try:
            chunk = os.read(0, 65536)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        self.buffer += chunk
        while b'\n' in self.buffer:
            line, self.buffer = self.buffer.split(b'\n', 1)
            command, _, cell_id = line.decode().partition(' ')
            if command == 'fork':
                self.fork(cell_id)
            elif command == 'opened':
                for fd in self.device_ends.pop(cell_id, ()):
                    os.close(fd)
            elif command == 'kill':
                cell = self.cells.get(cell_id)
                if cell:
                    signal.pidfd_send_signal(cell[1], signal.SIGKILL)
        return True

    def fork(self, cell_id):
        # Pipes as the cell sees them: (read, write) of stdin, stdout, stderr, events.
        pipes = [os.pipe() for _ in range(4)]
        ours = [pipes[0][1], pipes[1][0], pipes[2][0], pipes[3][0]]
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1]]
        try:
            pid = os.fork()
        except OSError as e:
            for fd in ours + theirs:
                os.close(fd)
            _send({'type': 'fork_failed', 'id': cell_id, 'message': str(e)})
            return
        if pid == 0:
            self.become_cell(theirs)
        for fd in theirs:
            os.close(fd)
        pidfd = os.pidfd_open(pid)
        self.cells[cell_id] = (pid, pidfd)
        self.device_ends[cell_id] = ours
        self.selector.register(pidfd, selectors.EVENT_READ, cell_id)
        _send({'type': 'forked', 'id': cell_id, 'pid': pid, 'fds': ours})

    def become_cell(self, theirs):
        try:
            for target, fd in enumerate(theirs):
                os.dup2(fd, target)
            os.closerange(4, 65536)
            isolate(self.options)
        except BaseException as e:  # noqa: BLE001 - the device sees the cell fail to start
            try:
                os.write(2, f'the cell could not be isolated: {e}\n'.encode())
            finally:
                os._exit(125)
        self.cell_main()
        os._exit(0)

    def reap(self, cell_id):
        pid, pidfd = self.cells.pop(cell_id)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        for fd in self.device_ends.pop(cell_id, ()):
            os.close(fd)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        _send({'type': 'exit', 'id': cell_id, 'status': 128 - code if code < 0 else code})

    def shutdown(self):
        for pid, pidfd in self.cells.values():
            try:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            except OSError:
                pass
        os._exit(0)


def serve(options, ready_event, cell_main):
    """Preloads, then forks cells until the device closes stdin. Never returns."""
    preload(options.get('preload', ''))
    # Objects that exist now are never collected in the cells: their pages stay shared.
    gc.collect()
    gc.freeze()
    Zygote(options, cell_main).serve(ready_event)
    os._exit(0)
