// Attack: a cell reaches into another cell that runs at the same time. Two victims (Python and
// Bash) hold a secret in files (/cell, /tmp, /dev/shm, /dev), a process with a known name, and
// (Python) an abstract Unix socket, a TCP port on its loopback, a SysV shared memory segment
// and a terminal. Attackers in Python and Bash, told the victims' host pids and names by the
// test, look for them in /proc, look for the files, try /proc/<pid>/root, connect to the
// sockets, open the segment, and signal the victims' processes by pid, then every process they
// can (`kill -1`).
// Must happen: the attackers find and reach nothing of the victims, and the victims end
// normally with everything intact and never contacted. An attacker that kills every process
// it can signal kills only its own cell, which ends with an `error`; the next cell runs; the
// server stays healthy. So does one that signals its process group.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';
import { appears, expectRecovered, expectStopped, marker } from '../helpers/hostile';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '30', CELLBOX_CONCURRENCY: '6' });
});

afterAll(async () => {
  await box?.stop();
});

const SECRET = `peer-secret-${Date.now()}`;
const PLACES = ['/cell', '/tmp', '/dev/shm', '/dev'];
const SHM_KEY = 0x4242;
const PORT = 4242;

/** The Python victim: plants its secret everywhere it can, waits, then checks all is intact. */
const pythonVictim = (tag: string) => `
import ctypes, os, socket, subprocess, time
secret = "${SECRET}"
planted = []
for d in ${JSON.stringify(PLACES)}:
    try:
        with open(f"{d}/peer-secret", "w") as f:
            f.write(secret)
        planted.append(d)
    except OSError:
        pass
sleeper = subprocess.Popen(["bash", "-c", "exec -a ${tag} sleep 60"])
unix = socket.socket(socket.AF_UNIX)
unix.bind("\\0cellbox-peer-${tag}")
unix.listen()
tcp = socket.socket()
tcp.bind(("127.0.0.1", ${PORT}))
tcp.listen()
libc = ctypes.CDLL(None, use_errno=True)
shm = libc.shmget(${SHM_KEY}, 4096, 0o1666)
master, slave = os.openpty()
time.sleep(6)  # the attackers run now
intact = all(open(f"{d}/peer-secret").read() == secret for d in planted) and sleeper.poll() is None
contacted = []
for name, s in (("unix", unix), ("tcp", tcp)):
    s.setblocking(False)
    try:
        s.accept()
        contacted.append(name)
    except BlockingIOError:
        pass
print("intact", intact, "shm", shm >= 0, "contacted", contacted)
`;

const bashVictim = (tag: string) => `
secret=${SECRET}
for d in ${PLACES.join(' ')}; do (echo "$secret" > "$d/peer-secret") 2>/dev/null; done
bash -c "exec -a ${tag} sleep 60" &
sleeper=$!
sleep 6  # the attackers run now
intact=yes
for d in ${PLACES.join(' ')}; do
  if [ -e "$d/peer-secret" ] && [ "$(cat "$d/peer-secret")" != "$secret" ]; then intact=no; fi
done
kill -0 $sleeper || intact=no
echo "intact $intact"
`;

interface Target { tags: string[]; hostPids: number[] }

/** The Python attacker. Names come base64-encoded so that its own memory is all that holds them. */
const pythonAttacker = (t: Target) => `
import base64, ctypes, errno, json, os, signal, socket
tags = json.loads(base64.b64decode("${Buffer.from(JSON.stringify(t.tags)).toString('base64')}"))
secret = base64.b64decode("${Buffer.from(SECRET).toString('base64')}").decode()
def outcome(f):
    try:
        f()
        return "reached"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
def cmdline(p):
    try:
        return open(f"/proc/{p}/cmdline").read()
    except OSError:
        return ""
found = {}
found["processes"] = [p for p in os.listdir("/proc") if p.isdigit() and any(t in cmdline(p) for t in tags)]
found["files"] = []
for d in ${JSON.stringify([...PLACES, '/dev/pts'])}:
    for name in os.listdir(d):
        try:
            # Regular files only: /dev/zero would never end.
            if os.path.isfile(f"{d}/{name}") and secret in open(f"{d}/{name}").read():
                found["files"].append(f"{d}/{name}")
        except OSError:
            pass
def type_into(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    os.write(fd, b"echo typed by another cell\\n")
    os.close(fd)
found["terminals"] = {n: outcome(lambda: type_into(f"/dev/pts/{n}")) for n in os.listdir("/dev/pts") if n != "ptmx"}
found["proc_root"] = {pid: outcome(lambda: os.listdir(f"/proc/{pid}/root/cell")) for pid in ${JSON.stringify(t.hostPids)}}
found["kill"] = {pid: outcome(lambda: os.kill(pid, signal.SIGKILL)) for pid in ${JSON.stringify(t.hostPids)}}
def unix(tag):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect("\\0cellbox-peer-" + tag)
found["unix"] = [outcome(lambda: unix(tag)) for tag in tags]
def tcp():
    with socket.socket() as s:
        s.settimeout(2)
        s.connect(("127.0.0.1", ${PORT}))
found["tcp"] = outcome(tcp)
libc = ctypes.CDLL(None, use_errno=True)
found["shm"] = "reached" if libc.shmget(${SHM_KEY}, 0, 0) >= 0 else errno.errorcode[ctypes.get_errno()]
print(json.dumps(found), flush=True)
# Last: every process this cell may signal. Its PID namespace holds only itself and its init,
# which kill(-1) leaves out: the cell ends with "No such process".
os.kill(-1, signal.SIGKILL)
`;

const bashAttacker = (t: Target) => `
tags=$(echo ${Buffer.from(t.tags.join(' ')).toString('base64')} | base64 -d)
secret=$(echo ${Buffer.from(SECRET).toString('base64')} | base64 -d)
for p in /proc/[0-9]*; do
  for tag in $tags; do tr '\\0' ' ' < $p/cmdline 2>/dev/null | grep -q "$tag" && echo "process $p"; done
done
# Regular files only, by stat: readdir calls bwrap's /dev/zero a regular file, and it never ends.
for f in ${[...PLACES, '/dev/pts'].map((d) => `${d}/*`).join(' ')}; do
  [ -f "$f" ] && grep -qF -- "$secret" "$f" 2>/dev/null && echo "file $f"
done
for t in /dev/pts/[0-9]*; do [ -e "$t" ] && (echo typed by another cell > "$t") 2>/dev/null && echo "terminal $t"; done
for pid in ${t.hostPids.join(' ')}; do
  ls /proc/$pid/root/cell >/dev/null 2>&1 && echo "proc root $pid"
  kill -KILL $pid 2>/dev/null && echo "killed $pid"
done
(exec 9<>/dev/tcp/127.0.0.1/${PORT}) 2>/dev/null && echo "tcp reached"
echo "searched"
# Last: every process this cell may signal, its own worker included.
kill -KILL -1
echo "still here"
`;

describe('one cell against another running cell', () => {
  it('Python and Bash attackers find, reach and kill nothing of running Python and Bash victims', async () => {
    const tags = [marker('pyv'), marker('shv')];
    const victims = Promise.all([run(box.url, pythonVictim(tags[0])), run(box.url, bashVictim(tags[1]), 'bash')]);
    victims.catch(() => {}); // awaited below; a failure before that must not go unhandled
    // Both victims are set up: their named processes are on the host.
    const hostPids = [(await appears(tags[0]))[0].pid, (await appears(tags[1]))[0].pid];
    const target = { tags, hostPids };
    const [py, sh] = await Promise.all([run(box.url, pythonAttacker(target)), run(box.url, bashAttacker(target), 'bash')]);

    const found = JSON.parse(stdout(py));
    const reached = Object.entries(found).flatMap(([what, how]) => {
      if (Array.isArray(how)) return how.filter((x) => x === 'reached').map(() => what);
      if (typeof how === 'object') return Object.entries(how as object).filter(([, x]) => x === 'reached').map(([k]) => `${what} ${k}`);
      return how === 'reached' ? [what] : [];
    });
    expect({ processes: found.processes, files: found.files, reached }).toEqual({ processes: [], files: [], reached: [] });
    expectStopped(py, 'ProcessLookupError', /No such process/);
    // Bash found nothing either; its kill -1 killed its own worker, and its cell says so.
    expect(stdout(sh)).toMatch(/^searched\n(still here\n)?$/);
    expectStopped(sh, 'WorkerCrashed', /killed by SIGKILL/);

    const [pyVictim, shVictim] = await victims;
    expect(stdout(pyVictim)).toBe('intact True shm True contacted []\n');
    expect(stdout(shVictim)).toBe('intact yes\n');
    await expectRecovered(box, ['python', 'bash']);
  });

  it('Python and JavaScript attackers that signal their process group kill only their own cell, not cells forked beside them', async () => {
    // kill(0) signals the caller's process group, whatever PID namespace its members are in: a
    // forked cell in its fork server's group would take the forker, the zygote and every cell
    // forked from them. (Node itself does this in `child.kill()` after a failed spawn.)
    const victims = Promise.all([
      run(box.url, 'import time\ntime.sleep(3)\nprint("alive")'),
      run(box.url, "setTimeout(() => console.log('alive'), 3000);", 'javascript'),
    ]);
    victims.catch(() => {});
    await new Promise((r) => setTimeout(r, 1000)); // both victims are running
    const [py, js] = await Promise.all([
      run(box.url, 'import os, signal\nos.killpg(0, signal.SIGKILL)\nprint("still here")'),
      run(box.url, "process.kill(0, 'SIGKILL');\nconsole.log('still here');", 'javascript'),
    ]);
    expectStopped(py, 'WorkerCrashed', /killed by SIGKILL/);
    expectStopped(js, 'WorkerCrashed', /killed by SIGKILL/);
    const [pyVictim, jsVictim] = await victims;
    expect(stdout(pyVictim)).toBe('alive\n');
    expect(stdout(jsVictim)).toBe('alive\n');
    await expectRecovered(box, ['python', 'javascript']);
  });
});
