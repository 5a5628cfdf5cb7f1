// The sandbox spawner (device/spawner.py), spoken to directly over its protocol: it starts
// programs with the five pipes, reports their end, and keeps its ends of a program's pipes
// until the device says it opened them, even after the program ended: closed sooner, their
// numbers could already be the next program's pipes when the device opens /proc/<spawner>/fd/<n>.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readLines } from '../../device/handoff';
import { SPAWNER_SCRIPT } from '../../device/spawner';
import { stdioWith } from '../helpers/cellbox';

let spawner: ChildProcess | null = null;

afterEach(() => {
  spawner?.kill('SIGKILL');
  spawner = null;
});

type Reply = { type: string; id?: string; pid?: number; fds?: number[]; status?: number; message?: string };

/**
 * Starts the spawner; `inherited` maps its descriptor numbers to descriptors of ours it
 * inherits. With `standIn`, its parent is a process of its own that stands for the device
 * (`spawner` is then that process, and `fd` reads the stand-in's descriptors).
 */
function start(inherited: Record<number, number> = {}, standIn = false) {
  const stdio = stdioWith(inherited, ['pipe', 'ignore', 'inherit', 'pipe']);
  const argv = ['-I', SPAWNER_SCRIPT];
  spawner = standIn
    ? spawn('/usr/bin/python3', ['-c', 'import subprocess, sys; subprocess.run(sys.argv[1:], pass_fds=(3,))', '/usr/bin/python3', ...argv], { stdio })
    : spawn('/usr/bin/python3', argv, { stdio });
  const replies: Reply[] = [];
  const waiters: Array<() => void> = [];
  readLines(spawner.stdio[3] as NodeJS.ReadableStream, (line) => {
    replies.push(JSON.parse(line));
    for (const w of waiters.splice(0)) w();
  });
  const next = async (type: string, id?: string): Promise<Reply> => {
    for (;;) {
      const i = replies.findIndex((r) => r.type === type && (id === undefined || r.id === id));
      if (i >= 0) return replies.splice(i, 1)[0];
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const send = (line: string) => spawner!.stdin!.write(`${line}\n`);
  const pid = spawner.pid!;
  /** What the spawner's descriptor n is now: a pipe's identity, or null if closed. */
  const fd = (n: number) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${n}`);
    } catch {
      return null;
    }
  };
  return { next, send, fd };
}

describe('the sandbox spawner', () => {
  it('starts a program with the five pipes and reports its exit status, 128 + N for a signal', async () => {
    const s = start();
    await s.next('ready');
    s.send(`spawn 1 ${JSON.stringify(['sh', '-c', 'echo out; echo err >&2; echo events >&3; echo info >&4; read line; exit 7'])}`);
    const forked = await s.next('forked', '1');
    expect(forked.fds).toHaveLength(5);
    const [input, ...outputs] = forked.fds!.map((n, i) => fs.openSync(`/proc/${spawner!.pid}/fd/${n}`, i === 0 ? 'w' : 'r'));
    s.send('opened 1');
    fs.writeSync(input, 'go\n');
    fs.closeSync(input);
    expect((await s.next('exit', '1')).status).toBe(7);
    expect(outputs.map((f) => fs.readFileSync(f, 'utf8'))).toEqual(['out\n', 'err\n', 'events\n', 'info\n']);

    s.send(`spawn 2 ${JSON.stringify(['sleep', '30'])}`);
    await s.next('forked', '2');
    s.send('opened 2');
    s.send('kill 2');
    expect((await s.next('exit', '2')).status).toBe(128 + 9);

    s.send(`spawn 3 ${JSON.stringify(['/nonexistent/program'])}`);
    expect((await s.next('fork_failed', '3')).message).toMatch(/No such file/);
  });

  it('keeps a program\'s pipes after it ended until the device opened them, so the next program never gets their numbers', async () => {
    const s = start();
    await s.next('ready');
    s.send(`spawn 1 ${JSON.stringify(['true'])}`);
    const first = await s.next('forked', '1');
    await s.next('exit', '1');
    const held = first.fds!.map(s.fd);
    expect(held.every((p) => p !== null && p.startsWith('pipe:'))).toBe(true);

    s.send(`spawn 2 ${JSON.stringify(['sleep', '30'])}`);
    const second = await s.next('forked', '2');
    expect(second.fds!.filter((n) => first.fds!.includes(n))).toEqual([]);
    expect(first.fds!.map(s.fd)).toEqual(held);

    s.send('opened 1');
    s.send('kill 2');
    await s.next('exit', '2');
    expect(first.fds!.map(s.fd)).toEqual([null, null, null, null, null]);
  });

  it('passes a program none of the descriptors it inherited itself: only the five pipes', async () => {
    // Whoever starts the device may leave descriptors open without close-on-exec; bwrap would
    // pass them on to the worker in the sandbox.
    const file = fs.openSync(SPAWNER_SCRIPT, 'r');
    const s = start({ 5: file, 40: file });
    await s.next('ready');
    // cat, once it echoed a line, is past its loader's opening of libraries: what it holds then
    // is what it was given.
    s.send(`spawn 1 ${JSON.stringify(['cat'])}`);
    const forked = await s.next('forked', '1');
    const [input, output] = forked.fds!.slice(0, 2).map((n, i) => fs.openSync(`/proc/${spawner!.pid}/fd/${n}`, i === 0 ? 'w' : 'r'));
    s.send('opened 1');
    fs.writeSync(input, 'x\n');
    expect(fs.readSync(output, Buffer.alloc(2))).toBe(2);
    const held = fs.readdirSync(`/proc/${forked.pid}/fd`).map(Number).sort((a, b) => a - b);
    fs.closeSync(input);
    expect((await s.next('exit', '1')).status).toBe(0);
    fs.closeSync(output);
    expect(held).toEqual([0, 1, 2, 3, 4]);
    // And the spawner itself let them go (it may have reused the numbers for its own).
    expect([5, 40].map(s.fd)).not.toContain(SPAWNER_SCRIPT);
    fs.closeSync(file);
  });

  /** bwrap running `sleep <marker>`: every process of such a sandbox has the marker in its command line. */
  const sandboxed = (marker: string) => ['bwrap', '--unshare-all', '--die-with-parent', '--new-session', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/bin', '/bin', '--proc', '/proc', '--dev', '/dev', 'sleep', marker];

  /** A marker of this test process's own: a number of seconds no other sandbox sleeps. */
  let markers = 0;
  const newMarker = () => `${1000 + ++markers}.${process.pid}`;

  /** Starts sandbox `id` running `sleep <marker>`, as the device does: spawned, then its pipes opened. */
  async function startSandbox(s: ReturnType<typeof start>, id: number, marker: string): Promise<void> {
    s.send(`spawn ${id} ${JSON.stringify(sandboxed(marker))}`);
    await s.next('forked', String(id));
    s.send(`opened ${id}`);
  }

  /**
   * Host processes whose command line holds `marker`, each with its state, parent and where it
   * waits, once none has been seen for two looks in a row or 3 s passed. Two looks: a process
   * in the middle of an exec reads an empty command line, and one look once missed it.
   */
  async function leftBehind(marker: string): Promise<string[]> {
    const find = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(marker);
      } catch {
        return false;
      }
    });
    let empty = 0;
    for (let until = Date.now() + 3000; empty < 2 && Date.now() < until;) {
      empty = find().length ? 0 : empty + 1;
      await new Promise((r) => setTimeout(r, 50));
    }
    return find().flatMap((p) => {
      try {
        const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const nspid = fs.readFileSync(`/proc/${p}/status`, 'utf8').match(/^NSpid:\s*(.*)$/m)?.[1];
        return [`${p} state ${state} parent ${ppid} pids ${nspid} waits in ${fs.readFileSync(`/proc/${p}/wchan`, 'utf8')}`];
      } catch {
        return []; // ended while looked at
      }
    });
  }

  it('kills what a bwrap killed during its start-up leaves behind: no sandbox init is left blocked', async () => {
    // A bwrap killed between cloning the sandbox's init and setting up its user namespace
    // leaves the init waiting for ever (bubblewrap 0.8). Killing at many points of the start-up
    // hit that window for a few of every hundred here.
    const marker = newMarker();
    const s = start();
    await s.next('ready');
    for (let i = 0; i < 80; i++) {
      await startSandbox(s, i, marker);
      await new Promise((r) => setTimeout(r, (i % 10) * 0.7));
      s.send(`kill ${i}`);
      await s.next('exit', String(i));
    }
    expect(await leftBehind(marker)).toEqual([]);
  });

  it('kills its sandboxes, and what they leave behind, when the device goes', async () => {
    const marker = newMarker();
    const s = start();
    await s.next('ready');
    for (let i = 0; i < 20; i++) await startSandbox(s, i, marker);
    const exited = new Promise((r) => spawner!.once('exit', r));
    spawner!.stdin!.end();
    await exited;
    expect(await leftBehind(marker)).toEqual([]);
  });

  it('ends its sandboxes, and what they leave behind, when the device is killed outright', async () => {
    // The spawner's parent here is a stand-in for the device, killed with SIGKILL: the spawner's
    // stdin stays open (we hold it), so only its parent-death signal tells it.
    const marker = newMarker();
    const s = start({}, true);
    await s.next('ready');
    for (let i = 0; i < 20; i++) await startSandbox(s, i, marker);
    spawner!.kill('SIGKILL');
    expect(await leftBehind(marker)).toEqual([]);
  });
});
