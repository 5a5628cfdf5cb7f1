# The device's spawner: starts every sandbox (one bwrap per cell for the languages that have no
# fork server, one per fork server for the others), so that the device itself never forks. A
# fork copies the forking process's page tables: for the device, a Node process of 100 MB or
# more, that blocked its event loop some 10 ms per sandbox on a VM, just when a running cell's
# output was coming in. This process is small, and spawns with posix_spawn (vfork and exec, no
# copy at all).
#
# It holds the sandbox's pipes; the device opens its ends through /proc/<spawner>/fd/<n>, as it
# does a fork server's cells' (device/spawner.ts). Protocol with the device:
#   stdin (device → spawner), one command per line:
#     spawn <id> <json argv>   start a sandbox: fds 0-2, 3 (events) and 4 (bwrap's info) are pipes
#     opened <id>              the device has opened its ends of the pipes: drop our copies
#     kill <id>                SIGKILL the sandbox's first process (bwrap: the rest dies with it)
#     interrupt <id>           SIGINT to the sandbox's processes, as Ctrl-C to a terminal's
#                              foreground jobs (the reader stopped the cell: interrupt())
#   fd 3 (spawner → device), JSON lines:
#     {"type":"ready"}
#     {"type":"forked","id":…,"pid":…,"fds":[in,out,err,events,info]}   the fds are ours
#     {"type":"exit","id":…,"status":…}   it ended (128+N: killed by signal N)
#     {"type":"fork_failed","id":…,"message":…}
#   End of stdin: the device is gone; the spawner kills its sandboxes and exits.
#
# It is the subreaper of its sandboxes. bwrap's first process clones the sandbox's init, which
# waits on an eventfd for bwrap to set up its user namespace, before it asks to die with its
# parent: a bwrap killed in that window (a spare killed as it starts, a pool stopping) leaves
# the init blocked for ever, holding a PID, user and mount namespace. As subreaper the spawner
# gets such orphans as children when their bwrap ends, and kills and reaps them.
import ctypes
import json
import os
import selectors
import signal
import sys
import time

CONTROL_FD = 3
PR_SET_CHILD_SUBREAPER = 36
# How many descriptors a sandbox gets: stdin, stdout, stderr, events, bwrap's info.
CHILD_FDS = 5
PR_SET_PDEATHSIG = 1
# How long a stop waits for the orphans it killed to be reaped (they die in milliseconds).
SHUTDOWN_REAP_SECONDS = 1

# Python ignores these; an ignored signal stays ignored across exec, so the sandbox gets them
# back to their defaults (a cell writing to a closed pipe dies of SIGPIPE, as under a shell).
RESET_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ)


def send(event):
    data = (json.dumps(event, separators=(',', ':')) + '\n').encode()
    while data:
        data = data[os.write(CONTROL_FD, data):]


def interrupt(sandbox):
    """SIGINT to every process of the sandbox's process group, as a terminal's Ctrl-C reaches its
    foreground jobs: bwrap's --new-session makes the sandbox's init (bwrap's child, pid 1
    inside) the leader of a session and group of its own, and the worker and whatever it starts
    are in it, unless they made their own. The init itself takes no signal it has no handler
    for. Its pid is the group's id, read from bwrap's children (bwrap is ours and not reaped:
    sandbox.exited is set first); killpg() has no pidfd form, but between the read and the
    signal the init could only have ended and its number gone to a new group's leader, in
    microseconds."""
    try:
        with open(f'/proc/{sandbox.pid}/task/{sandbox.pid}/children') as f:
            children = f.read().split()
    except OSError:
        return  # bwrap is ending: its exit is on the way
    if len(children) != 1:
        return  # not started yet, or ending
    try:
        os.killpg(int(children[0]), signal.SIGINT)
    except (ProcessLookupError, PermissionError):
        pass  # ended meanwhile


def kill(pidfd):
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass  # already gone


class Sandbox:
    def __init__(self, sandbox_id, pid, pidfd, ends):
        self.id = sandbox_id
        self.pid = pid
        self.pidfd = pidfd
        # Our ends of its pipes, until the device says it opened them: held even after the
        # sandbox ended, or their numbers could be another sandbox's pipes by the time the
        # device opens /proc/<spawner>/fd/<n>.
        self.ends = ends
        self.exited = False


class Spawner:
    def __init__(self):
        self.selector = selectors.DefaultSelector()
        self.sandboxes = {}
        self.buffer = b''
        # Children that are not sandboxes: what an ended bwrap left behind, killed, not yet reaped.
        self.orphans = set()
        self.stopping = False
        # SIGCHLD wakes the loop through this pipe, so that orphans are reaped as they die.
        self.wakeup, wakeup_w = os.pipe()
        os.set_blocking(self.wakeup, False)
        os.set_blocking(wakeup_w, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(wakeup_w, warn_on_full_buffer=False)

    def serve(self):
        os.set_blocking(0, False)
        self.selector.register(0, selectors.EVENT_READ, 'commands')
        self.selector.register(self.wakeup, selectors.EVENT_READ, 'sigchld')
        send({'type': 'ready'})
        while True:
            for key, _ in self.selector.select():
                if key.data == 'commands':
                    self.commands()
                elif key.data == 'sigchld':
                    while True:
                        try:
                            os.read(self.wakeup, 4096)
                        except BlockingIOError:
                            break
                    self.collect_orphans()
                else:
                    self.ended(key.data)

    def commands(self):
        try:
            chunk = os.read(0, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            self.shutdown()
        *lines, self.buffer = (self.buffer + chunk).split(b'\n')
        for line in lines:
            command, _, rest = line.decode().partition(' ')
            sandbox_id, _, argument = rest.partition(' ')
            if command == 'spawn':
                self.spawn(sandbox_id, json.loads(argument))
            elif command == 'opened':
                sandbox = self.sandboxes.get(sandbox_id)
                if sandbox:
                    self.drop_ends(sandbox)
                    if sandbox.exited:
                        del self.sandboxes[sandbox.id]
            elif command == 'kill':
                sandbox = self.sandboxes.get(sandbox_id)
                if sandbox and not sandbox.exited:
                    kill(sandbox.pidfd)
            elif command == 'interrupt':
                sandbox = self.sandboxes.get(sandbox_id)
                if sandbox and not sandbox.exited:
                    interrupt(sandbox)

    def spawn(self, sandbox_id, argv):
        # (read, write) of each; the sandbox reads stdin and writes the others.
        pipes = [os.pipe() for _ in range(CHILD_FDS)]
        theirs = [pipes[0][0]] + [w for _, w in pipes[1:]]
        ours = [pipes[0][1]] + [r for r, _ in pipes[1:]]
        try:
            # Every descriptor of ours is close-on-exec (Python's default): the sandbox gets
            # these five and nothing else.
            pid = os.posix_spawnp(argv[0], argv, {},
                                  file_actions=[(os.POSIX_SPAWN_DUP2, fd, n) for n, fd in enumerate(theirs)],
                                  setsigdef=RESET_SIGNALS, setsigmask=())
            pidfd = os.pidfd_open(pid)
        except OSError as e:
            for fd in ours:
                os.close(fd)
            send({'type': 'fork_failed', 'id': sandbox_id, 'message': str(e)})
            return
        finally:
            for fd in theirs:
                os.close(fd)
        sandbox = Sandbox(sandbox_id, pid, pidfd, ours)
        self.sandboxes[sandbox_id] = sandbox
        self.selector.register(pidfd, selectors.EVENT_READ, sandbox)
        send({'type': 'forked', 'id': sandbox_id, 'pid': pid, 'fds': ours})

    @staticmethod
    def drop_ends(sandbox):
        for fd in sandbox.ends:
            os.close(fd)
        sandbox.ends = []

    def ended(self, sandbox):
        # Marked first: a stop (SIGTERM's handler) that interrupts this must not kill through a
        # closed pidfd, whose number may be another's by then. It reaps the bwrap as an orphan.
        sandbox.exited = True
        self.selector.unregister(sandbox.pidfd)
        os.close(sandbox.pidfd)
        _, status = os.waitpid(sandbox.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if not sandbox.ends:  # the device has them open: nothing more comes for this one
            del self.sandboxes[sandbox.id]
        send({'type': 'exit', 'id': sandbox.id, 'status': 128 - code if code < 0 else code})
        # Its orphans were made our children before its end could be seen.
        self.collect_orphans()

    def collect_orphans(self):
        # A child is ours alone until we reap it: its pid cannot be another process's meanwhile.
        with open(f'/proc/self/task/{os.getpid()}/children') as f:
            children = {int(pid) for pid in f.read().split()}
        running = {sandbox.pid for sandbox in self.sandboxes.values() if not sandbox.exited}
        for pid in children - running - self.orphans:
            os.kill(pid, signal.SIGKILL)
            self.orphans.add(pid)
        for pid in list(self.orphans):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done == pid:
                self.orphans.discard(pid)

    def shutdown(self):
        # Once: the end of stdin and the parent's death (SIGTERM) may both call it.
        if self.stopping:
            return
        self.stopping = True
        running = [sandbox for sandbox in self.sandboxes.values() if not sandbox.exited]
        for sandbox in running:
            kill(sandbox.pidfd)
        # Each bwrap's orphans become ours only once it has ended: wait for that, then kill them.
        # A killed bwrap ends at once; what its sandbox leaves dies on its own after we are gone.
        for sandbox in running:
            try:
                os.waitpid(sandbox.pid, 0)
            except ChildProcessError:
                pass  # reaped already, by ended()
            sandbox.exited = True
        # Until none is left: a killed orphan's own children become ours only once it is gone,
        # and leaving with one still running would hand it to the host's reaper, never killed.
        deadline = time.monotonic() + SHUTDOWN_REAP_SECONDS
        while True:
            self.collect_orphans()
            if not self.orphans or time.monotonic() > deadline:
                break
            time.sleep(0.005)
        os._exit(0)


def close_inherited():
    # A descriptor this process inherited without close-on-exec would be passed by posix_spawn
    # to bwrap, and by bwrap to the worker in the sandbox. The device closes its own at start,
    # but it may run inside another program (the tests create it in theirs). Ours are all
    # close-on-exec (Python's default).
    for name in os.listdir('/proc/self/fd'):
        fd = int(name)
        try:
            if fd > CONTROL_FD and os.get_inheritable(fd):
                os.close(fd)
        except OSError:
            pass  # listdir's own descriptor, closed by now


def main():
    close_inherited()
    # Hold descriptor 4, so that no pipe of ours is numbered 0-4: a sandbox's descriptors are
    # made by dup2 onto 0-4, and a pipe end already there would be overwritten before it was copied.
    null = os.open(os.devnull, os.O_RDONLY)
    while null < CHILD_FDS - 1:
        null = os.dup(null)
    spawner = Spawner()
    # Die with the device, its sandboxes with us. By SIGTERM, caught: a device killed outright
    # (SIGKILL, a crash) then still gets its sandboxes ended the way a stop does, and what a
    # bwrap killed in its start-up left behind killed too (shutdown). Its stdin's end comes too,
    # but a SIGKILL sent with the parent's death would have come first.
    signal.signal(signal.SIGTERM, lambda *_: spawner.shutdown())
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(0)  # the device died before the line above
    spawner.serve()


if __name__ == '__main__':
    try:
        main()
    except BaseException:  # noqa: BLE001 - the device sees this process end, with the reason on stderr
        import traceback
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
