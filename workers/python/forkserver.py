# The Python fork server (zygote): one per sandbox, started by kernel.py with
# `--fork-server=<json>`. It imports the heavy modules once, then has a fresh cell process
# forked per request from the device, by its forker (a copy of it that writes next to nothing:
# start_forker()). Each cell gets namespaces of its own before any cell code runs (made by
# nsmaker.c, joined by enter(), in cellstart.c), so no cell sees another's files, processes,
# loopback or IPC; see enter() for the lines of the brief it keeps. Run as a program
# (serve_forker()), it is the zygote of another runtime's fork server, whose forker that runtime is.
#
# Protocol with the device (device/forkserver.ts):
#   stdin (device → zygote), one command per line:
#     fork <id>      fork a cell process; answered with `forked`
#     opened <id>    the device has opened its ends of the cell's pipes: drop our copies
#     kill <id>      SIGKILL the cell (its PID namespace dies with its first process); if it
#                    left no other process, its `exit` (status 137) is sent at once
#     interrupt <id> SIGINT to the cell's process group (the reader stopped it; the device
#                    kills it if it has not ended shortly after)
#   fd 3 (zygote → device), JSON lines:
#     {"type":"ready","language":…,"version":…,"forker":…} preloaded, taking forks; the pid of
#         the forker, whose children the cells are (start_forker())
#     {"type":"forked","id":…,"pid":…,"fds":[in,out,err,events]}  pid as this sandbox sees it;
#         the fds are ours, for the device to open through /proc/<zygote>/fd/<n>
#     {"type":"exit","id":…,"status":…,"signal":…}         the cell process ended: its exit status, or
#         128+N and signal N when signal N killed it (signal null otherwise)
#     {"type":"fork_failed","id":…,"message":…}
#   End of stdin: the device is gone; the zygote kills its cells and exits.
import ctypes
import fcntl
import functools
import gc
import importlib
import json
import mmap
import os
import platform
import resource
import select
import selectors
import signal
import socket
import struct
import sys

CONTROL_FD = 3

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1

# The sandbox user inside; the same uid bwrap gives the zygote.
CELL_UID = 1000
CELL_GID = 1000
CELL_DIR = '/cell'

_libc = ctypes.CDLL(None, use_errno=True)
_libc.malloc.restype = ctypes.c_void_p
_libc.malloc.argtypes = [ctypes.c_size_t]
_libc.free.argtypes = [ctypes.c_void_p]


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f'{what}: {os.strerror(errno)}')


# --- the cell's first steps, in C (cellstart.c) -------------------------------------------------

_HERE = os.path.dirname(os.path.abspath(__file__))
_CELLSTART = os.path.join(_HERE, 'cellstart.so')
# Loaded here, in the zygote: a cell only calls it.
_cellstart = ctypes.CDLL(_CELLSTART, use_errno=True)


class _Run(ctypes.Structure):
    _fields_ = [('address', ctypes.c_void_p), ('length', ctypes.c_size_t)]


class _Limit(ctypes.Structure):
    _fields_ = [('resource', ctypes.c_int), ('soft', ctypes.c_uint64), ('hard', ctypes.c_uint64)]


class _Code(ctypes.Structure):
    _fields_ = [('text', ctypes.c_char_p), ('length', ctypes.c_size_t)]


class _CellStart(ctypes.Structure):
    _fields_ = [('pipes', ctypes.c_int * 4), ('namespaces', ctypes.c_int * 4),
                ('namespace_flags', ctypes.c_int * 4), ('limit_count', ctypes.c_int),
                ('limits', _Limit * 16), ('filter', ctypes.c_char_p),
                ('filter_length', ctypes.c_ushort), ('last_capability', ctypes.c_int),
                ('uid', ctypes.c_uint), ('gid', ctypes.c_uint), ('directory', ctypes.c_char_p),
                ('nice', ctypes.c_int), ('written', ctypes.POINTER(_Run)), ('read', ctypes.POINTER(_Run)),
                ('written_count', ctypes.c_size_t), ('read_count', ctypes.c_size_t),
                ('touch', ctypes.c_int), ('probes', ctypes.POINTER(_Code)), ('probe_count', ctypes.c_size_t)]


_cellstart.cellstart_enter.argtypes = [ctypes.POINTER(_CellStart)]
_cellstart.cellstart_enter.restype = ctypes.c_int
_cellstart_step = ctypes.c_char_p.in_dll(_cellstart, 'cellstart_step')
# The forker's loop forks as os.fork() does, at-fork hooks and all, which needs the GIL held: a
# PyDLL call keeps it.
_forker_loop = ctypes.PyDLL(_CELLSTART).cellstart_forker
_forker_loop.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(_CellStart)]
_forker_loop.restype = ctypes.c_int
_cellstart.cellstart_leave.argtypes = [ctypes.c_int]
_cellstart.cellstart_leave.restype = None


# --- the namespace maker (nsmaker.c) ------------------------------------------------------------

MAKER = os.path.join(_HERE, 'nsmaker')


def start_namespace_maker(options):
    """Starts nsmaker: for each cell id written to the returned requests pipe it makes that
    cell's mount, network, IPC, UTS and PID namespaces, with a fresh /cell, /tmp, /dev/shm and
    /proc, and leaves there the PID namespace's first process (its init, which reaps what the
    cell orphans); the returned replies pipe says `<id> <init's pid>` or `<id> 0 <why not>`.
    The forker then forks the cell's process straight into them: one fork of the heavy zygote's
    copy per cell. Returns (requests, replies), our ends."""
    requests_r, requests_w = os.pipe()
    replies_r, replies_w = os.pipe()
    os.posix_spawn(MAKER, [MAKER, str(options['cellDirBytes']), str(options['tmpBytes'])], {},
                   file_actions=[(os.POSIX_SPAWN_DUP2, requests_r, 0),
                                 (os.POSIX_SPAWN_DUP2, replies_w, 1)])
    os.close(requests_r)
    os.close(replies_w)
    return requests_w, replies_r


# --- one cell process ---------------------------------------------------------------------------

def cell_start(options, inherited=0):
    """What every cell's process of this zygote is given the same (cellstart.c's struct
    cellstart): its limits, the namespace filter, the capabilities to drop, its uid, gid,
    working directory and the CPU priority a spare is made at. The forker fills in each cell's
    pipes and namespaces. Fails closed on a machine without a namespace filter: a cell without
    it could make a user namespace. `inherited`: the bytes every cell starts with of what its
    memory rlimit counts (memory_mapped()), which the limit leaves out (see _limits())."""
    machine = platform.machine()
    if machine not in _SYSCALLS:
        raise OSError(f'no namespace filter for this machine ({machine})')
    code = namespace_filter(machine)
    start = _CellStart()
    limits = _limits(options, inherited)
    start.limit_count = len(limits)
    for i, (which, soft, hard) in enumerate(limits):
        # RLIM_INFINITY is -1 here and all ones in C.
        start.limits[i] = _Limit(which, soft & 0xFFFFFFFFFFFFFFFF, hard & 0xFFFFFFFFFFFFFFFF)
    start.filter = code  # bytes, kept alive by namespace_filter()'s cache
    start.filter_length = len(code) // 8
    start.last_capability = _last_capability()
    start.uid, start.gid = CELL_UID, CELL_GID
    start.directory = CELL_DIR.encode()
    start.namespace_flags[:] = [flag for _, flag in JOINED]
    # The device sends one only when it can raise a spare back (sandbox.ts SPARE_NICE).
    start.nice = int(options.get('spareNice', 0))
    return start


def enter(start):
    """In the cell's process, forked by the forker into the PID namespace the maker made (see
    cellstart.c's cellstart_enter()): puts its pipes at 0-3 and closes the zygote's other
    descriptors, joins that cell's other namespaces, then makes a user namespace of its own,
    sets the limits and drops every capability. Returns with nothing of the zygote's power
    left: inside its user namespace the cell is uid 1000 and has no capability anywhere, and its
    seccomp filter keeps it from making or joining a namespace."""
    if _cellstart.cellstart_enter(ctypes.byref(start)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f'{_cellstart_step.value.decode()}: {os.strerror(errno)}')


# --- the seccomp filter: no namespaces of the cell's own --------------------------------------
#
# A cell with a user namespace of its own could mount a tmpfs that no limit bounds (and fill
# the host's memory) or rearrange its view of the files. bwrap's --disable-userns does not fit
# here (the zygote makes a user namespace per cell), so each cell installs a filter that refuses
# every call that makes or joins a namespace, and clone(CLONE_PARENT); nothing else changes.
#
# CLONE_PARENT makes the new process a sibling of its caller: a child of the cell's parent, the
# forker, outside the cell's PID namespace. Its end would then be the forker's to reap, not the
# namespace's init's, and nothing would see it among the cell's processes (Zygote.init_alone()):
# a zombie on the host for as long as the server runs, each one a host pid, enough cells of them
# the machine's whole pid space. No runtime a cell runs uses it.

# Syscall numbers by machine: (audit arch, clone, unshare, setns, clone3).
_SYSCALLS = {
    'x86_64': (0xC000003E, 56, 272, 308, 435),
    'aarch64': (0xC00000B7, 220, 97, 268, 435),
}
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET; unshare also takes
# CLONE_NEWTIME (0x80), which in clone's flags is part of the exit signal.
_CLONE_NAMESPACES = 0x7E020000
_UNSHARE_NAMESPACES = _CLONE_NAMESPACES | 0x80
_CLONE_PARENT = 0x00008000
_X32_SYSCALL_BIT = 0x40000000
_EPERM, _ENOSYS = 1, 38

_BPF_LD_W_ABS = 0x20
_BPF_JEQ = 0x15
_BPF_JGE = 0x35
_BPF_JSET = 0x45
_BPF_RET = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000


@functools.lru_cache(maxsize=None)
def namespace_filter(machine):
    """The classic BPF program, as the bytes of `struct sock_filter[]`: refuses clone with a
    namespace flag or CLONE_PARENT, unshare with a namespace flag, setns, clone3 (its flags sit in memory a filter cannot read;
    given ENOSYS the C library falls back to clone), and every call of another ABI."""
    arch, clone, unshare, setns, clone3 = _SYSCALLS[machine]
    # seccomp_data holds nr at offset 0, arch at 4, args[0] at 16 (its low half, on these
    # little-endian machines). Steps: ('ld', offset), (jump, k, label if true, label if false),
    # ('ret', action); a string names the step after it.
    steps = [
        ('ld', 4),
        ('jeq', arch, None, 'eperm'),  # i386 calls from a 64-bit process are another ABI
        ('ld', 0),
        ('jge', _X32_SYSCALL_BIT, 'eperm', None),
        ('jeq', clone3, 'enosys', None),
        ('jeq', setns, 'eperm', None),
        ('jeq', unshare, 'unshare', None),
        ('jeq', clone, 'clone', None),
        ('ret', _RET_ALLOW),
        'clone', ('ld', 16), ('jset', _CLONE_NAMESPACES | _CLONE_PARENT, 'eperm', None), ('ret', _RET_ALLOW),
        'unshare', ('ld', 16), ('jset', _UNSHARE_NAMESPACES, 'eperm', None), ('ret', _RET_ALLOW),
        'eperm', ('ret', _RET_ERRNO | _EPERM),
        'enosys', ('ret', _RET_ERRNO | _ENOSYS),
    ]
    labels, program = {}, []
    for step in steps:
        if isinstance(step, str):
            labels[step] = len(program)
        else:
            program.append(step)
    codes = {'ld': _BPF_LD_W_ABS, 'ret': _BPF_RET, 'jeq': _BPF_JEQ, 'jge': _BPF_JGE, 'jset': _BPF_JSET}
    out = b''
    for i, (op, k, *targets) in enumerate(program):
        jt, jf = (0 if t is None else labels[t] - i - 1 for t in (targets or (None, None)))
        out += struct.pack('=HBBI', codes[op], jt, jf, k)
    return out


def _last_capability():
    with open('/proc/sys/kernel/cap_last_cap') as f:
        return int(f.read())


def _limits(options, inherited=0):
    """(resource, soft, hard) of each limit a cell is given. The memory rlimit counts what a
    forked cell starts with too, the zygote's: RLIMIT_DATA every private writable mapping,
    RLIMIT_AS every mapping. A Sage cell began with 437 MB of data (sage.all, Maxima's heap, the
    warm-up's plot) under a 512 MiB limit, so some 75 MB were left for the cell, and GAP (every
    permutation group) could not make its workspace ("Panic … cannot extend the workspace"),
    which ended the cell as WorkerCrashed; a Python cell began with 368 MiB of address space
    (numpy, matplotlib, sympy and their libraries), and `np.ones(20_000_000)`, 153 MiB, was a
    MemoryError. Those mappings are the zygote's, shared: the limit is the cell's own on top."""
    memory = resource.RLIMIT_DATA if options['memoryRlimit'] == 'data' else resource.RLIMIT_AS
    memory_bytes = options['memoryBytes'] + inherited
    return [
        (memory, memory_bytes, memory_bytes),
        (resource.RLIMIT_CPU, options['cpuSeconds'], options['cpuSeconds'] + 1),
        (resource.RLIMIT_NPROC, options['processes'], options['processes']),
        (resource.RLIMIT_FSIZE, options['fileBytes'], options['fileBytes']),
        (resource.RLIMIT_NOFILE, 1024, 1024),
        (resource.RLIMIT_CORE, 0, 0),
    ]


# --- the pages a cell writes first ------------------------------------------------------------
#
# A forked cell's first steps write to pages it shares with the zygote (Python's reference counts
# live in every object), and each such write is a copy-on-write fault: some 20 µs on these VMs,
# 4,000 of them for a first plot. Rehearsing the steps in each cell before it says ready takes
# them off the round trip, but a rehearsal costs its whole CPU again in every cell. Instead the
# forker learns once which of its pages a probe writes, a child that runs a cell as every cell
# runs, and each cell copies just those with madvise(MADV_POPULATE_WRITE): one call per run of
# pages, no fault, about a quarter of the CPU. It reads pages too that fork() gave it no mapping
# of (the interpreter's and its libraries' code and constants, each page a fault of its own):
# those are learned the same way and mapped with MADV_POPULATE_READ, before the cell's code
# comes. See cellstart.c's cellstart_learn() and populate().

MADV_POPULATE_WRITE = 23  # Linux 5.14, as MADV_POPULATE_READ
PAGE_SIZE = mmap.PAGESIZE


# The big buffers a cell allocates (a plot's canvas, its pixels' copies, the PNG encoder's) would
# each be a mapping of its own, glibc's malloc's way with 128 KiB or more: fresh zero pages, a
# fault each on first touch, 563 of a first plot's 651 faults. With higher thresholds they come
# from the heap, and the zygote leaves a reserve at its top that it never touches: the pages of
# it the rehearsal's allocations write are learned like the others, and each cell gets them
# ahead. The reserve costs address space only; its pages a cell was given count in its memory.

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
HEAP_MMAP_THRESHOLD = 32 << 20  # glibc's largest
HEAP_TRIM_THRESHOLD = 64 << 20  # a freed reserve stays in the heap
HEAP_RESERVE = 16 << 20


def keep_big_allocations_on_heap():
    _libc.mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD)
    _libc.mallopt(M_TRIM_THRESHOLD, HEAP_TRIM_THRESHOLD)


# glibc gives each thread that allocates an arena of its own (up to 8 a core), and each arena
# reserves 64 MiB of address space, which RLIMIT_AS counts: a light cell's flusher thread alone
# took 64 MiB of its 512, and a cell that had run six threads could not allocate 400 MiB. With
# the interpreter's lock held around nearly every allocation, one arena costs threads nothing.
M_ARENA_MAX = -8


def one_malloc_arena():
    _libc.mallopt(M_ARENA_MAX, 1)


def memory_mapped(rlimit):
    """The bytes of this process's mappings as `rlimit` ('data' or 'as') counts them: VmData, or
    VmSize."""
    field = 'VmData:' if rlimit == 'data' else 'VmSize:'
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return 0


def reserve_heap():
    """Grows the heap by HEAP_RESERVE of untouched pages, free at its top."""
    _libc.free(_libc.malloc(HEAP_RESERVE))


def _populate_supported():
    """MADV_POPULATE_WRITE came with Linux 5.14; before, madvise refuses it with EINVAL."""
    page = mmap.mmap(-1, PAGE_SIZE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    view = ctypes.c_char.from_buffer(page)
    try:
        return _libc.madvise(ctypes.c_void_p(ctypes.addressof(view)), ctypes.c_size_t(PAGE_SIZE),
                             MADV_POPULATE_WRITE) == 0
    finally:
        del view  # the mapping cannot close while a ctypes object points into it
        page.close()


def give_pages(start, probes):
    """Has the forker learn, before its first fork, which of its pages each cell would write
    first and which file pages it would read, from one probe per code in `probes` (cells, as
    the device would send their code), and copy and map those in each cell's process right
    after its fork (cellstart.c): in C, before Python's after-fork work, since each line of
    Python run there writes pages of its own. Each copied page is written once too, in the
    spare (cellstart.c's populate()): a process's first touch of each copied page is a trip to
    the hypervisor of its own. In a preloading zygote's cells, whose probe drew a plot: side by
    side, a plot every 300 ms, p50 72-73 ms against 98-103, the same CPU per plot; but a cell
    that draws nothing pays for the plot's pages, some 25 ms more CPU (in its spare, at the
    spare's priority): numpy cells from 4 clients, 17 a second against 22. In the light
    zygote's cells, since its probe runs as a cell (6 December), the same CPU per cell (11.1 ms
    against 10.8-11.0) and back to back p50 13.4-17.1 ms against 14.5-18.5. Touching the read
    pages gained nothing. None where this kernel cannot populate pages: each cell then
    rehearses instead."""
    codes = [code.encode() for code in probes] if _populate_supported() else []
    start.probes = (_Code * len(codes))(*[_Code(code, len(code)) for code in codes])
    start.probe_count = len(codes)
    start.touch = 1


# --- the forker ---------------------------------------------------------------------------------

def start_forker(start, cell_main):
    """Forks the forker (cellstart.c's cellstart_forker()): the warm process every cell is
    forked from, which then writes next to nothing, where the zygote's Python loop, forking the
    cells itself, paid a copy-on-write fault for each of some 180 pages it wrote per cell. It
    first runs `start`'s probes (give_pages()). In each cell's process, and in each probe, this
    returns never: it becomes the cell. Returns (requests, exits, pid) in the zygote: the socket
    to ask for forks on and the pipe the cells' ends come on."""
    zygote_end, forker_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    exits_r, exits_w = os.pipe()
    pid = os.fork()
    if pid:
        forker_end.close()
        os.close(exits_w)
        return zygote_end, exits_r, pid
    try:
        zygote_end.close()
        requests = forker_end.detach()
        _check(_libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0), 'prctl PR_SET_PDEATHSIG')
        # Nothing of the zygote's but the two channels and stderr: not the device's commands,
        # not the control pipe (whose end the device must see when the zygote goes), not the
        # maker's pipes. Every cell forked from here starts with these alone.
        os.close(0)
        low = 3
        for fd in sorted((requests, exits_w)):
            os.closerange(low, fd)
            low = fd + 1
        os.closerange(low, 65536)
    except BaseException as e:  # noqa: BLE001 - the zygote sees its end on the pipe
        os.write(2, f'fork server: the forker could not start: {e}\n'.encode())
        os._exit(1)
    role = _forker_loop(requests, exits_w, ctypes.byref(start))
    if role < 0:
        os._exit(0)  # the zygote is gone
    become_cell(start, cell_main, probing=role == 1)


def become_cell(start, cell_main, probing):
    """In a cell's process, just forked (its first pages already copied), or in a probe: isolates
    it (a probe only closes the forker's descriptors), runs the cell and leaves, a probe with the
    report of its pages. A cell whose first pages were copied needs no rehearsal of its own."""
    try:
        enter(start)
    except BaseException as e:  # noqa: BLE001 - the device sees the cell fail to start
        try:
            os.write(2, f'the cell could not be isolated: {e}\n'.encode())
        finally:
            os._exit(125)
    cell_main(probing or start.written_count > 0)
    _cellstart.cellstart_leave(0)


# --- another runtime's forker ------------------------------------------------------------------
#
# A runtime that can fork a warm process of its own but not keep the device's protocol (Node.js:
# workers/node/forker.c) is started by a Python zygote as its forker. The zygote keeps everything
# else (the namespace maker, the cells' ends and exits); the forker runs cellstart.c's loop as
# Python's does.

FORKER_REQUESTS_FD = 3
FORKER_EXITS_FD = 4
FORKER_READY_BYTES = 4096


def spawn_forker(start, argv, env):
    """Starts `argv` as the forker, with its request socket at fd 3 and the exits pipe at fd 4,
    and sends it the cells' settings: `start` as cellstart.h lays it out (no pages to copy), the
    namespace filter and the working directory, a message each. Returns (requests, exits, pid,
    ready) once the forker is warm and forking: ready is its `ready` event."""
    zygote_end, forker_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    exits_r, exits_w = os.pipe()
    devnull = os.open(os.devnull, os.O_RDONLY)
    # Above the targets, so that no dup2 of the spawn overwrites another's source.
    ends = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (forker_end.fileno(), exits_w)]
    try:
        pid = os.posix_spawn(argv[0], argv, env, file_actions=[
            (os.POSIX_SPAWN_DUP2, devnull, 0),
            (os.POSIX_SPAWN_DUP2, ends[0], FORKER_REQUESTS_FD),
            (os.POSIX_SPAWN_DUP2, ends[1], FORKER_EXITS_FD),
        ])
    finally:
        for fd in ends + [exits_w, devnull]:
            os.close(fd)
        forker_end.close()
    zygote_end.send(bytes(start))
    zygote_end.send(namespace_filter(platform.machine()))  # the bytes start.filter points to
    zygote_end.send(start.directory)
    ready = zygote_end.recv(FORKER_READY_BYTES)
    if not ready:
        raise OSError(f'the forker ({argv[0]}) exited before it was ready')
    return zygote_end, exits_r, pid, json.loads(ready)


def serve_forker(options):
    """The zygote of another runtime's fork server: starts the namespace maker and the forker
    (`options['forker']`, its argv), then serves the device as serve() does. Never returns."""
    env = dict(os.environ)  # LD_BIND_NOW kept: the forker's symbols bound once, not in each cell
    os.environ.pop('LD_BIND_NOW', None)
    requests, replies = start_namespace_maker(options)
    start = cell_start(options)
    forker, exits, forker_pid, ready = spawn_forker(start, options['forker'], env)
    Zygote(requests, replies, forker, exits).serve(dict(ready, forker=forker_pid))
    os._exit(0)


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


# Namespaces the cell's process joins, in this order (the mount namespace last: joining it
# moves the process's root and working directory).
JOINED = (('net', CLONE_NEWNET), ('ipc', CLONE_NEWIPC), ('uts', CLONE_NEWUTS), ('mnt', CLONE_NEWNS))


def _kill(pidfd):
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass  # already gone


def _has_child(pid):
    """True if a thread of the process has a child, even a zombie; True too if that cannot be
    read (gone, or not readable): then the zygote waits for the ends as they come."""
    try:
        for thread in os.listdir(f'/proc/{pid}/task'):
            with open(f'/proc/{pid}/task/{thread}/children', 'rb') as f:
                if f.read().strip():
                    return True
    except OSError:
        return True
    return False


class Cell:
    def __init__(self, cell_id):
        self.id = cell_id
        self.pid = None  # the cell's process, our child
        self.pidfd = None
        self.init = None  # its PID namespace's init, made by the maker, as this sandbox numbers it
        self.init_pidfd = None
        self.device_ends = []
        self.status = None
        # The signal that killed it, or None: its status alone cannot say, as a process that
        # exits with 128 + N (os._exit(152)) looks as one killed by signal N (SIGXCPU) there.
        self.signal = None
        self.killed = False
        self.reported = False  # the device was told it exited


class Zygote:
    def __init__(self, maker, replies, forker, exits):
        self.maker = maker  # write end of the namespace maker's requests
        self.replies = replies
        self.forker = forker  # start_forker()'s socket and pipe
        self.exits = exits
        self.selector = selectors.DefaultSelector()
        self.cells = {}  # id → Cell
        self.forked = {}  # pid → Cell, until its process ends
        self.buffers = {0: b'', replies: b'', exits: b''}

    def serve(self, ready_event):
        os.set_blocking(0, False)
        os.set_blocking(self.replies, False)
        os.set_blocking(self.exits, False)
        self.selector.register(0, selectors.EVENT_READ, ('commands', None))
        self.selector.register(self.replies, selectors.EVENT_READ, ('namespaces', None))
        self.selector.register(self.exits, selectors.EVENT_READ, ('exits', None))
        _send(ready_event)
        while True:
            for key, _ in self.selector.select():
                what, cell = key.data
                if what == 'commands':
                    for line in self.lines(0):
                        self.command(line)
                elif what == 'namespaces':
                    for line in self.lines(self.replies):
                        self.fork(line)
                elif what == 'exits':
                    self.take_ends()
                elif what == 'init':
                    self.init_ended(cell)

    def lines(self, fd):
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return []
        if not chunk:
            self.shutdown()
        data = self.buffers[fd] + chunk
        *lines, self.buffers[fd] = data.split(b'\n')
        return [line.decode() for line in lines]

    def take_ends(self, forking=None):
        """Takes the ends of the cell processes the forker reaped: (pid, wait status), two ints
        a record. Returns the wait status of `forking`, a pid just forked and not registered
        yet, when its end is among them and no registered cell's: that cell has ended already."""
        try:
            chunk = os.read(self.exits, 65536)
        except BlockingIOError:
            return
        if not chunk:  # the forker is gone: no cell can be forked or reaped
            print('fork server: the forker ended', file=sys.stderr)
            self.shutdown()
        data = self.buffers[self.exits] + chunk
        whole = len(data) - len(data) % 8
        self.buffers[self.exits] = data[whole:]
        early = None
        for pid, status in struct.iter_unpack('=ii', data[:whole]):
            cell = self.forked.pop(pid, None)
            if cell is not None:
                self.cell_ended(cell, status)
            elif pid == forking:
                early = status
        return early

    def command(self, line):
        command, _, cell_id = line.partition(' ')
        if command == 'fork':
            self.cells[cell_id] = Cell(cell_id)
            os.write(self.maker, f'{cell_id}\n'.encode())
        elif command == 'opened':
            cell = self.cells.get(cell_id)
            for fd in cell.device_ends if cell else ():
                os.close(fd)
            if cell:
                cell.device_ends = []
                if cell.init_pidfd is None and cell.pidfd is None:  # it ended already
                    del self.cells[cell_id]
        elif command == 'kill':
            cell = self.cells.get(cell_id)
            if cell:
                self.kill(cell)
        elif command == 'interrupt':
            cell = self.cells.get(cell_id)
            if cell and cell.pidfd is not None and not cell.killed:
                self.interrupt(cell)

    @staticmethod
    def interrupt(cell):
        """SIGINT to the cell's process group, as a terminal's Ctrl-C reaches its foreground
        job: a cell waiting on a child it started (execSync('sleep 30'), subprocess.run) would
        otherwise wait out the device's grace and be killed with no stack; the child ends and
        the cell's own SIGINT handler reports where it was. The cell is the leader of a session
        and group of its own (cellstart_isolate()'s setsid), whose id is its pid, and its
        children stay in it unless they make their own. The pidfd says first that the cell has
        not ended: killpg() has no pidfd form, and while the cell is unreaped (the forker reaps
        it, and its end closes cell.pidfd here) or any process is left in its group, that id
        can be no one else's; only between the check and the signal could it be freed and
        reused, in microseconds."""
        try:
            signal.pidfd_send_signal(cell.pidfd, 0)
            os.killpg(cell.pid, signal.SIGINT)
        except (ProcessLookupError, PermissionError):
            pass  # ended meanwhile: its exit is on the way

    def fork(self, line):
        cell_id, init, *error = line.split(' ', 2)
        cell = self.cells.get(cell_id)
        if cell is None:
            return
        init = int(init)
        if not init or cell.killed:
            return self.failed(cell, error[0] if error else 'killed before it started')
        # Pipes as the cell sees them: (read, write) of stdin, stdout, stderr, events.
        pipes = [os.pipe() for _ in range(4)]
        ours = [pipes[0][1], pipes[1][0], pipes[2][0], pipes[3][0]]
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1]]
        namespaces = []
        pid_ns = None
        try:
            cell.init = init
            cell.init_pidfd = os.pidfd_open(init)
            namespaces = [os.open(f'/proc/{init}/ns/{name}', os.O_RDONLY) for name, _ in JOINED]
            pid_ns = os.open(f'/proc/{init}/ns/pid', os.O_RDONLY)
            # The forker joins the PID namespace, fills in the cell's descriptors and forks.
            socket.send_fds(self.forker, [b'f'], [pid_ns] + theirs + namespaces)
            (pid,) = struct.unpack('=i', self.forker.recv(4))
            if pid < 0:
                raise OSError(-pid, f'fork: {os.strerror(-pid)}')
        except OSError as e:
            for fd in ours + theirs + namespaces + ([pid_ns] if pid_ns is not None else []):
                os.close(fd)
            return self.failed(cell, str(e))
        for fd in theirs + namespaces + [pid_ns]:
            os.close(fd)
        # The ends the forker reaped before this fork first: this pid may be an earlier cell's
        # (a pid is free again once reaped). An end of this pid that is no earlier cell's is
        # this cell's own: it ended before it was registered (its isolation failed, say).
        early = self.take_ends(forking=pid)
        cell.pid = pid
        if early is None:
            try:
                cell.pidfd = os.pidfd_open(pid)
            except ProcessLookupError:
                pass  # ended and reaped since: its end is on the way
            self.forked[pid] = cell
        cell.device_ends = ours
        _send({'type': 'forked', 'id': cell_id, 'pid': pid, 'fds': ours})
        if early is not None:
            self.cell_ended(cell, early)

    def failed(self, cell, message):
        if cell.init_pidfd is not None:
            _kill(cell.init_pidfd)
            os.close(cell.init_pidfd)
            cell.init_pidfd = None
        del self.cells[cell.id]
        _send({'type': 'fork_failed', 'id': cell.id, 'message': message})

    def kill(self, cell):
        """Kills the cell's process, whose end kills its init (cell_ended), and with that every
        process left in its namespace. The init first would make the kernel tear the namespace
        down before the cell's process is seen to end: some 5 ms later, and never 'alone'.
        A cell that started no process is over at once (killed_alone())."""
        cell.killed = True
        if cell.pidfd is not None:
            _kill(cell.pidfd)
            if self.killed_alone(cell):
                cell.status = 128 + signal.SIGKILL
                cell.signal = signal.SIGKILL
                self.report_exit(cell)
        elif cell.init_pidfd is not None:
            _kill(cell.init_pidfd)

    def killed_alone(self, cell):
        """Just after the SIGKILL of the cell's process: True if no other process of the cell
        exists. None can come after: a fork fails once a fatal signal is pending, and the killed
        process never runs its code again; its exit, which unmaps its memory first (1-2 ms from
        the light zygote, ~10 from the full one), need not be waited for. Its children are read
        before the init's: a child moved to the init in between is seen at one or the other.
        False, to wait for the exit as before, if it has ended already (cell_ended() then
        reports its own status) or cannot be read."""
        if select.select([cell.pidfd], [], [], 0)[0]:
            return False
        return not _has_child(cell.pid) and self.init_alone(cell)

    def cell_ended(self, cell, status):
        """The cell's process ended (its wait status, from the forker): its init goes too, and
        with it whatever the cell left."""
        if cell.pidfd is not None:
            os.close(cell.pidfd)
            # A closed pidfd's number is soon another cell's: a later `kill` of this cell must
            # not signal it.
            cell.pidfd = None
        code = os.waitstatus_to_exitcode(status)
        cell.status = 128 - code if code < 0 else code
        cell.signal = -code if code < 0 else None
        if cell.init_pidfd is None:  # its init was killed first (kill() before its pidfd was open)
            return self.report_exit(cell)
        # Most cells start no process of their own. Then the cell is gone now: say so at once,
        # rather than after its init, whose namespaces the kernel takes some 10 ms to tear down.
        if self.init_alone(cell):
            self.report_exit(cell)
        _kill(cell.init_pidfd)
        self.selector.register(cell.init_pidfd, selectors.EVENT_READ, ('init', cell))

    @staticmethod
    def init_alone(cell):
        """True if no process but the init is left in the cell's PID namespace. Besides the
        init, only the cell's process came from outside it; with that one dead, every process
        left has its chain of parents end at the init (orphans go to it), so the init has a
        child, even a zombie, while any is left. Nothing can start one once none is."""
        return not _has_child(cell.init)

    def report_exit(self, cell):
        if not cell.reported:
            cell.reported = True
            _send({'type': 'exit', 'id': cell.id, 'status': cell.status, 'signal': cell.signal})

    def init_ended(self, cell):
        """An init ends only after every other process of its namespace: the cell is gone.
        Its pipes' ends for the device stay until the device says it opened them: closed
        before, their numbers could be the next cell's pipes by the time it opens
        /proc/<zygote>/fd/<n>."""
        self.selector.unregister(cell.init_pidfd)
        os.close(cell.init_pidfd)
        cell.init_pidfd = None
        if not cell.device_ends:
            del self.cells[cell.id]
        self.report_exit(cell)

    def shutdown(self):
        for cell in self.cells.values():
            for pidfd in (cell.pidfd, cell.init_pidfd):
                if pidfd is not None:
                    _kill(pidfd)
        os._exit(0)


def serve(options, ready_event, cell_main, probes=list):
    """Starts the namespace maker, preloads, then forks cells until the device closes stdin.
    `cell_main(populated)` runs each cell, with its pipes at 0-3, and returns once they are
    closed; populated is True if its first pages were copied, learnt from probes that ran the
    cells `probes()` gives once the preloads are in (give_pages()). Never returns."""
    # Set for the zygote alone (sandbox.ts): the programs its cells start bind lazily again.
    os.environ.pop('LD_BIND_NOW', None)
    keep_big_allocations_on_heap()
    one_malloc_arena()
    requests, replies = start_namespace_maker(options)
    preload(options.get('preload', ''))
    # Its cells start with the mappings this zygote has now, and with the heap reserve below.
    start = cell_start(options, memory_mapped(options['memoryRlimit']) + HEAP_RESERVE)
    # Objects that exist now are never collected in the cells: their pages stay shared.
    gc.collect()
    gc.freeze()
    reserve_heap()
    give_pages(start, probes())
    forker, exits, forker_pid = start_forker(start, cell_main)
    Zygote(requests, replies, forker, exits).serve(dict(ready_event, forker=forker_pid))
    os._exit(0)


if __name__ == '__main__':
    # The zygote of another runtime's forker: `forkserver.py --fork-server=<json>` (sandbox.ts).
    _arguments = [a for a in sys.argv[1:] if a.startswith('--fork-server=')]
    if len(_arguments) != 1:
        sys.exit('usage: forkserver.py --fork-server=<json with a forker command>')
    serve_forker(json.loads(_arguments[0].split('=', 1)[1]))
