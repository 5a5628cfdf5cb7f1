// Control groups per worker (device/cgroup.ts), on this machine's real cgroup tree: the limit
// holds for a process and its children together, the out-of-memory killer is counted, and a
// group given back is kept for the next worker or goes away. Where the tree cannot be written (not root), the device runs without them and
// says so; these tests then have nothing to check.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { isEnding, openCellGroups, processTree, type CellGroups } from '../../device/cgroup';

const opened = openCellGroups();
const groups: CellGroups | null = 'unavailable' in opened ? null : opened;
const MiB = 1024 * 1024;
const limitFile = groups?.version === 'v1' ? 'memory.limit_in_bytes' : 'memory.max';

/**
 * Whether a process is still there and not ending: a zombie (ended, not yet reaped) or one
 * inside exit() has left its group's list already, as adopt() knows (isEnding).
 */
function running(pid: number): boolean {
  return !isEnding(pid);
}

afterAll(() => groups?.close());

/**
 * A Python that waits for a line on stdin, then has `children` children fill `mib` MiB each at
 * once and hold it for 2 s. A child writes "H" once its memory is filled, "D" once it has held
 * it to the end: the kernel may kill a child that had filled its share (the largest in the
 * group) to make room for one still filling, so the H count can exceed what the limit holds at
 * once, and it did under load (2 in CI); the children that held to the end cannot.
 */
function hoarder(children: number, mib: number) {
  const code = `
import os, sys, time
sys.stdin.readline()
for _ in range(${children}):
    if os.fork() == 0:
        held = b"\\1" * (${mib} << 20)
        os.write(1, b"H")
        time.sleep(2)
        os.write(1, b"D")
        os._exit(0)
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
`;
  return spawn('/usr/bin/python3', ['-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
}

async function outcome(proc: ReturnType<typeof hoarder>): Promise<{ held: number; code: number | null }> {
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = await once(proc, 'exit');
  return { held: out.split('').filter((c) => c === 'D').length, code };
}

describe.skipIf(!groups)('control groups per worker', () => {
  // adoptAlone as for a forked cell at `ready`: the hoarder's children come only after the move.
  it.each(['adopt', 'adoptAlone'] as const)('hold a process and all its children to one limit together, and count what the kernel killed (%s)', async (take) => {
    const group = groups!.take(160 * MiB);
    const proc = hoarder(4, 100);
    group[take](proc.pid!);
    proc.stdin!.end('go\n');
    const { held } = await outcome(proc);
    // Four children of 100 MiB would be 400 MiB: at most one fits in 160 MiB.
    expect(held).toBeLessThanOrEqual(1);
    expect(group.oomKills()).toBeGreaterThanOrEqual(3);
    await group.giveBack();
  });

  it('leave a process within its limit alone', async () => {
    const group = groups!.take(256 * MiB);
    const proc = hoarder(2, 50);
    group.adopt(proc.pid!);
    proc.stdin!.end('go\n');
    expect(await outcome(proc)).toEqual({ held: 2, code: 0 });
    expect(group.oomKills()).toBe(0);
    await group.giveBack();
  });

  it('take in a whole tree that keeps starting processes, and what it starts later', async () => {
    const group = groups!.take(64 * MiB);
    // A shell that starts a short-lived process after another, beside a long-lived child.
    const proc = spawn('/bin/sh', ['-c', 'sleep 30 & while :; do /bin/true; done'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 100));
    group.adopt(proc.pid!);
    const inside = () => new Set(fs.readFileSync(`${group.dir}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number));
    const tree = processTree(proc.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(2);
    const now = inside();
    // A process that ended since the walk is left out, and so is one ending (a /bin/true inside
    // exit(), or exited and not yet reaped): no group lists those.
    expect(tree.filter((pid) => !now.has(pid) && running(pid))).toEqual([]);
    for (const pid of tree.reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await group.giveBack();
  });

  /** The cgroup of `pid` in the hierarchy with `controller`, from /proc/<pid>/cgroup (v2: the one line). */
  const cgroupOf = (pid: number, controller: string) =>
    fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller) || (groups!.version === 'v2' && l.startsWith('0::')))?.split(':')[2];

  it.skipIf(groups?.cpuUnavailable !== null)('give each worker a CPU group, joined with its memory group, kept and taken again with it', async () => {
    const group = groups!.take(80 * MiB);
    expect(group.cpuDir).not.toBeNull();
    // The default share, the same for every cell.
    const share = groups!.version === 'v1' ? 'cpu.shares' : 'cpu.weight';
    expect(fs.readFileSync(`${group.cpuDir}/${share}`, 'utf8').trim()).toBe(groups!.version === 'v1' ? '1024' : '100');
    for (const take of ['adopt', 'adoptAlone'] as const) {
      const proc = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
      group[take](proc.pid!);
      expect(fs.readFileSync(`${group.cpuDir}/cgroup.procs`, 'utf8').split('\n')).toContain(String(proc.pid));
      expect(group.cpuDir!.endsWith(cgroupOf(proc.pid!, 'cpu')!)).toBe(true);
      proc.kill('SIGKILL');
      await once(proc, 'exit');
    }
    await group.giveBack();
    expect(fs.existsSync(group.cpuDir!)).toBe(true);
    const again = groups!.take(80 * MiB);
    expect(again.cpuDir).toBe(group.cpuDir);
    await again.giveBack();
  });

  it.skipIf(groups?.cpuUnavailable !== null)('hold a spare in the group of spares, at the least share, until it is hurried into its own', async () => {
    const group = groups!.take(80 * MiB);
    const spares = `${groups!.version === 'v1' ? group.cpuDir!.replace(/\/[^/]+$/, '') : groups!.dir}/spares`;
    expect(fs.readFileSync(`${spares}/${groups!.version === 'v1' ? 'cpu.shares' : 'cpu.weight'}`, 'utf8').trim()).toBe(groups!.version === 'v1' ? '15' : '1');
    const proc = spawn('/bin/sleep', ['30'], { stdio: 'ignore' });
    group.holdSpare(proc.pid!);
    expect(fs.readFileSync(`${spares}/cgroup.procs`, 'utf8').split('\n')).toContain(String(proc.pid));
    group.hurry(proc.pid!);
    expect(fs.readFileSync(`${spares}/cgroup.procs`, 'utf8').split('\n')).not.toContain(String(proc.pid));
    expect(fs.readFileSync(`${group.cpuDir}/cgroup.procs`, 'utf8').split('\n')).toContain(String(proc.pid));
    proc.kill('SIGKILL');
    await once(proc, 'exit');
    await group.giveBack();
  });

  it('take in a process alone with its threads', async () => {
    const group = groups!.take(64 * MiB);
    // As a forked cell at `ready`: one process with a second thread (its output flusher).
    const threaded = spawn('/usr/bin/python3', ['-c', 'import threading, time\nthreading.Thread(target=time.sleep, args=(30,), daemon=True).start()\nprint("up", flush=True)\ntime.sleep(30)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(threaded.stdout!, 'data');
    const tasks = fs.readdirSync(`/proc/${threaded.pid}/task`).map(Number);
    expect(tasks).toHaveLength(2);
    group.adoptAlone(threaded.pid!);
    expect(fs.readFileSync(`${group.dir}/cgroup.procs`, 'utf8').trim()).toBe(String(threaded.pid));
    // Its threads moved with it (v1 lists them in `tasks`, v2 in `cgroup.threads`).
    const threadsFile = fs.existsSync(`${group.dir}/tasks`) ? 'tasks' : 'cgroup.threads';
    const threads = fs.readFileSync(`${group.dir}/${threadsFile}`, 'utf8').split('\n').filter(Boolean).map(Number);
    for (const t of tasks) expect(threads).toContain(t);
    threaded.kill('SIGKILL');
    await once(threaded, 'exit');
    await group.giveBack();
  });

  it('say so when a process to take in alone has ended', async () => {
    const group = groups!.take(64 * MiB);
    const proc = spawn('/bin/true');
    await once(proc, 'exit');
    expect(() => group.adoptAlone(proc.pid!)).toThrow(/ended before it could be moved/);
    await group.giveBack();
  });

  it('take in a tree that holds a zombie (a child not yet reaped), which no group ever lists', async () => {
    const group = groups!.take(64 * MiB);
    // Python starts a child that exits at once and is never waited for, then sleeps.
    const proc = spawn('/usr/bin/python3', ['-c', 'import os, time\nif os.fork() == 0:\n    os._exit(0)\ntime.sleep(30)'], { stdio: 'ignore' });
    // Wait until the child has ended, not only been born: on a loaded machine it can still be
    // running when first seen, and a running child is rightly moved in and listed.
    let tree: number[] = [];
    for (let i = 0; i < 250 && !(tree.length === 2 && isEnding(tree[1])); i++) {
      await new Promise((r) => setTimeout(r, 20));
      tree = processTree(proc.pid!);
    }
    expect(tree).toHaveLength(2);
    expect(isEnding(tree[1])).toBe(true);
    group.adopt(proc.pid!);
    expect(fs.readFileSync(`${group.dir}/cgroup.procs`, 'utf8').trim()).toBe(String(proc.pid));
    proc.kill('SIGKILL');
    await once(proc, 'exit');
    await group.giveBack();
  });

  it('are kept when given back empty, and taken again with the same limit, earlier kills not counted', async () => {
    const group = groups!.take(112 * MiB);
    const proc = hoarder(3, 80);
    group.adopt(proc.pid!);
    proc.stdin!.end('go\n');
    await outcome(proc);
    expect(group.oomKills()).toBeGreaterThanOrEqual(1);
    await group.giveBack();
    expect(fs.existsSync(group.dir)).toBe(true);
    // Another limit makes a group of its own; the same limit takes the kept one.
    const other = groups!.take(144 * MiB);
    expect(other.dir).not.toBe(group.dir);
    const again = groups!.take(112 * MiB);
    expect(again.dir).toBe(group.dir);
    expect(fs.readFileSync(`${again.dir}/${limitFile}`, 'utf8').trim()).toBe(String(112 * MiB));
    expect(again.oomKills()).toBe(0);
    // It still holds a new worker to its limit, and counts that worker's kills.
    const next = hoarder(3, 80);
    again.adopt(next.pid!);
    next.stdin!.end('go\n');
    expect((await outcome(next)).held).toBeLessThanOrEqual(1);
    expect(again.oomKills()).toBeGreaterThanOrEqual(1);
    await Promise.all([again.giveBack(), other.giveBack()]);
  });

  it('are removed when given back with memory still charged to them', async () => {
    const group = groups!.take(128 * MiB);
    // A file on a tmpfs outlives the process that wrote it, and its pages stay the group's.
    const file = `/dev/shm/cellbox-cgroup-test-${process.pid}`;
    const proc = spawn('/usr/bin/python3', ['-c', `import sys\nsys.stdin.readline()\nopen(${JSON.stringify(file)}, 'wb').write(b'x' * (16 << 20))`], { stdio: ['pipe', 'ignore', 'inherit'] });
    group.adopt(proc.pid!);
    proc.stdin!.end('go\n');
    await once(proc, 'exit');
    try {
      await group.giveBack();
      expect(fs.existsSync(group.dir)).toBe(false);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('kept for reuse are removed when the device closes its folder', async () => {
    // A second opening of this process's folder, beside `groups`, which holds groups yet.
    const mine = openCellGroups();
    if ('unavailable' in mine) throw new Error(mine.unavailable);
    const group = mine.take(96 * MiB);
    await group.giveBack();
    expect(fs.existsSync(group.dir)).toBe(true);
    mine.close();
    expect(fs.existsSync(group.dir)).toBe(false);
    if (group.cpuDir) expect(fs.existsSync(group.cpuDir)).toBe(false);
  });

  it('are kept apart by device: each device has its folder, named by its pid', () => {
    expect(groups!.dir).toMatch(new RegExp(`/cellbox-${process.pid}$`));
  });
});

describe('processTree', () => {
  it('lists a process and those below it, parents first', async () => {
    const proc = spawn('/bin/sh', ['-c', 'sleep 5 & sleep 5 & wait'], { stdio: 'ignore' });
    let tree: number[] = [];
    for (let i = 0; i < 50 && tree.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      tree = processTree(proc.pid!);
    }
    proc.kill('SIGKILL');
    for (const pid of tree.slice(1)) process.kill(pid, 'SIGKILL');
    expect(tree[0]).toBe(proc.pid);
    expect(tree).toHaveLength(3);
  });
});
