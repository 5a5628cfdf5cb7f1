// Attack: ptrace (and its cousins process_vm_readv and /proc/<pid>/mem) to read or take over a
// process outside the cell: the device, the web server, the Python fork server that every
// later Python cell is forked from, a process of another running cell (all by their host
// pids, given by the test), and, for a forked Python cell, the init of its own PID namespace,
// which still holds the fork server's capabilities.
// Must happen: every attach, read and open fails (the pids do not exist in the cell's PID
// namespace; its init is more privileged than it), while tracing its own child works (so the
// attempts were real); a cell whose last statement is such an attach ends with that
// language's error; the next cell runs; the server stays healthy.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startCellbox, stderr, stdout, type Cellbox } from '../helpers/cellbox';
import { appears, expectRecovered, expectStopped, marker, reportOf } from '../helpers/hostile';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '20' });
});

afterAll(async () => {
  await box?.stop();
});

/** The host pids of every process under `root`. */
function descendants(root: number): number[] {
  const out: number[] = [];
  const walk = (pid: number) => {
    let children: string[] = [];
    try {
      children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      return;
    }
    for (const c of children) {
      out.push(Number(c));
      walk(Number(c));
    }
  };
  walk(root);
  return out;
}

/** Host pids worth taking over: the device, the web server, the fork servers, and a peer cell's process. */
async function targets(peerTag: string): Promise<Record<string, number>> {
  const zygotes = descendants(box.device.pid!).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--fork-server=');
    } catch {
      return false;
    }
  });
  const peer = (await appears(peerTag))[0].pid;
  return { device: box.device.pid!, web: box.web.pid!, ...Object.fromEntries(zygotes.map((pid, i) => [`fork server ${i}`, pid])), peer };
}

/** A running cell with a process named `tag`, the peer the attackers go after; it must end untouched. */
function peer(tag: string) {
  return run(box.url, `bash -c "exec -a ${tag} sleep 4" && echo peer done`, 'bash');
}

async function expectPeerUntouched(victim: ReturnType<typeof peer>): Promise<void> {
  const ms = await victim;
  expect(ms.find((m) => m.header.msg_type === 'error')).toBeUndefined();
  expect(stdout(ms)).toBe('peer done\n');
}

describe('ptrace', () => {
  it('Python cannot attach to, read or open the memory of anything outside its cell, nor its own init', async () => {
    const tag = marker('ptp');
    const victim = peer(tag);
    victim.catch(() => {});
    const pids = await targets(tag);
    const ms = await run(box.url, `
import ctypes, errno, json, os, time
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
def err():
    return errno.errorcode.get(ctypes.get_errno(), "?")
def attach(pid):
    if libc.ptrace(PTRACE_ATTACH, pid, 0, 0) == 0:
        libc.ptrace(PTRACE_DETACH, pid, 0, 0)
        return "attached"
    return err()
def read_memory(pid):
    buf = ctypes.create_string_buffer(16)
    local = iovec(ctypes.cast(buf, ctypes.c_void_p), 16)
    remote = iovec(0x400000, 16)
    return "read" if libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) >= 0 else err()
def open_mem(pid):
    try:
        os.close(os.open(f"/proc/{pid}/mem", os.O_RDONLY))
        return "opened"
    except OSError as e:
        return errno.errorcode[e.errno]
targets = {**json.loads(${JSON.stringify(JSON.stringify(pids))}), "own init": 1}
result = {name: [attach(pid), read_memory(pid), open_mem(pid)] for name, pid in targets.items()}
# The control: its own child can be traced, so the attempts above were real ones.
child = os.fork()
if child == 0:
    time.sleep(5)
    os._exit(0)
result["own child"] = attach(child)
print(json.dumps(result))
# Last, uncaught: attaching to the device ends the cell with the error.
if libc.ptrace(PTRACE_ATTACH, ${box.device.pid}, 0, 0) != 0:
    raise OSError(ctypes.get_errno(), "ptrace(PTRACE_ATTACH, device)")
`);
    const result = reportOf(ms);
    expect(result['own child']).toBe('attached');
    delete result['own child'];
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['device', 'web', 'fork server 0', 'peer', 'own init']));
    for (const [name, outcomes] of Object.entries(result)) {
      for (const how of outcomes as string[]) expect(['ESRCH', 'EPERM', 'ENOENT', 'EACCES'], `${name}: ${how}`).toContain(how);
    }
    expectStopped(ms, 'ProcessLookupError', /ptrace/);
    await expectPeerUntouched(victim);
    await expectRecovered(box, ['python']);
  });

  it('Bash cannot trace (strace, gdb) or read the memory of anything outside its cell', async () => {
    const tag = marker('ptb');
    const victim = peer(tag);
    victim.catch(() => {});
    const pids = await targets(tag);
    const ms = await run(box.url, `
for pid in ${Object.values(pids).join(' ')}; do
  timeout 3 strace -p $pid -o /dev/null 2>/dev/null && echo "strace attached $pid"
  timeout 5 gdb -batch -p $pid -ex 'info registers' 2>/dev/null | grep -q '^rip' && echo "gdb attached $pid"
  head -c 16 /proc/$pid/mem >/dev/null 2>&1 && echo "read mem $pid"
done
# The control: its own child can be traced.
strace -f -o /dev/null true && echo "traced own child"
# Last: strace on the device fails the cell.
strace -p ${box.device.pid} -o /dev/null
`, 'bash');
    expect(stdout(ms)).toBe('traced own child\n');
    expect(stderr(ms)).toMatch(/No such process/);
    expectStopped(ms, 'ExitStatus');
    await expectPeerUntouched(victim);
    await expectRecovered(box, ['bash']);
  });
});
