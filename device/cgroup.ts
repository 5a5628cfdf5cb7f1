// Control groups per worker: a cell's memory limit holds for all its processes together, and
// for the tmpfs pages they write (/cell, /tmp, /dev/shm), where an rlimit bounds each process
// alone (eight children of 100 MiB each would pass a 512 MiB rlimit one by one). The device
// takes one group per warm worker, moves the worker's processes in before its cell's code
// arrives (whatever they start inherits it), and gives the group back when they are gone and
// the device is done with the cell's files. A group given back empty and all but uncharged is
// kept for a later worker: making a memory group and removing it again cost some 0.6 ms of
// the machine's CPU per cell (the kernel frees a removed one in a worker of its own), and a
// removed group whose pages are still cached lingers in the kernel until they are reclaimed.
// The same group (on v1, a group of the same name in the `cpu` hierarchy) gives each cell an
// equal share of the CPU, whatever its processes and sessions: outside a group of its own, each
// session a cell made (setsid) was an autogroup of the kernel's, scheduled as a peer of every
// other cell, so a cell of 60 busy sessions took 60 shares, and cells beside it waited for it
// to be stopped. All cells are under one folder of the device's, which has one share beside the
// machine's other sessions, split equally among its cells (the default cpu.shares, cpu.weight).
// Needs a writable cgroup tree (root, or a delegated v2 subtree); without one the device says
// so at start and each process keeps only its own rlimit. Without a writable cpu hierarchy (or
// v2 cpu controller) the memory groups are made alone, and the device says so at start.
import fs from 'node:fs';
import path from 'node:path';

export interface CellGroup {
  /** Its folder in the cgroup tree. */
  readonly dir: string;
  /** Its CPU group's folder: `dir` on v2, one in the `cpu` hierarchy on v1; null without CPU groups. */
  readonly cpuDir: string | null;
  /**
   * Moves the process `root` and every process below it into the group; whatever they start
   * from then on is born there. Walks the tree again until a walk finds every process inside:
   * one started meanwhile by a process not yet moved was born outside.
   */
  adopt(root: number): void;
  /**
   * Moves `pid`, known to have started no process (a forked cell before its code: only the fork
   * server's start-up has run in it), into the group with its threads, without walking its
   * process tree. The walk's reads of /proc/<pid>/task made dentries whose invalidation, when
   * the forker reaped the cell, cost more than the walk itself (docs/performance.md).
   */
  adoptAlone(pid: number): void;
  /**
   * Moves `pid`, a spare being made (alone, as for adoptAlone), into the device's group of
   * spares, whose CPU share is that of a process at nice 19 beside one cell: the spare's work
   * never slows a running cell. Its own session would otherwise make it an autogroup of the
   * kernel's, at a full share beside all cells together. adoptAlone() or hurry() moves it out.
   */
  holdSpare(pid: number): void;
  /** Moves `pid`, held as a spare, into this group's CPU group: a cell took it or waits for it. */
  hurry(pid: number): void;
  /** How many processes of the group the kernel's out-of-memory killer stopped since it was taken. */
  oomKills(): number;
  /**
   * Once its processes are gone (tried again while they finish exiting), keeps the group for a
   * later take() if nothing of its worker is still charged to it, or removes it.
   */
  giveBack(): Promise<void>;
}

export interface CellGroups {
  readonly version: 'v1' | 'v2';
  /** The folder holding this device's groups. */
  readonly dir: string;
  /** Why cells get no CPU group of their own (only a memory one), or null when they do. */
  readonly cpuUnavailable: string | null;
  /** A group limited to `memoryBytes`: one given back earlier with that limit, or a new one. */
  take(memoryBytes: number): CellGroup;
  /** Removes the groups kept for reuse, then the device's folder (the others must be gone). */
  close(): void;
}

/**
 * A worker's control group holds its processes to the memory limit plus this: one process
 * meets its own limit first (RLIMIT_AS, V8's heap) and fails with a clear MemoryError, where at
 * the group's limit the kernel would reclaim at the cell's CPU cost before it stops a process.
 * The group is also charged for the runtime's own binary and libraries as they are read in
 * (Node's are some 100 MiB): with 64 MiB, a JavaScript memory bomb on a loaded machine still
 * ended in TimeoutError now and then. The group is the bound on all of them together.
 */
export const GROUP_HEADROOM_MIB = 128;

const CGROUP_ROOT = '/sys/fs/cgroup';
/** The device's folder is named after its pid, so a restarted device can tell stale ones. */
const PREFIX = 'cellbox-';
/** Walks of a worker's process tree before adopt() gives up on one that keeps forking. */
const ADOPT_WALKS = 20;
const REMOVE_TRIES = 40;
const REMOVE_WAIT_MS = 50;
/** Groups kept for reuse, at most: a pool's spares and running cells need no more at a time. */
const KEPT_GROUPS = 16;
/**
 * A group given back with more than this still charged is removed instead of kept: what a
 * worker leaves charged is cached pages of the files it read first, and the tmpfs pages of its
 * cell while something still holds that tmpfs. A later worker starts its limit with whatever
 * the group holds.
 */
const KEPT_GROUP_MAX_CHARGE = 4 * 1024 * 1024;

/**
 * The device's own folder of groups: under its own memory cgroup on v1, so a container's limit
 * still covers the cells; under the root on v2, whose other cgroups may not hold both processes
 * and children with controllers. Returns why not, when groups cannot be made here.
 */
export function openCellGroups(root = CGROUP_ROOT): CellGroups | { unavailable: string } {
  try {
    const v1 = path.join(root, 'memory');
    if (fs.existsSync(path.join(v1, 'memory.limit_in_bytes'))) {
      const own = ownCgroup('memory');
      // The cpu hierarchy: mounted alone, or with cpuacct (`cpu` then often a link to it).
      const cpu = ['cpu', 'cpu,cpuacct', 'cpuacct,cpu'].map((name) => path.join(root, name)).find((dir) => fs.existsSync(path.join(dir, 'cpu.shares')));
      const cpuParent = cpu ? path.join(cpu, ownCgroup('cpu') ?? '/') : { unavailable: `no cgroup v1 cpu hierarchy under ${root}` };
      return openFolder('v1', path.join(v1, own ?? '/'), cpuParent);
    }
    if (fs.existsSync(path.join(root, 'cgroup.controllers'))) {
      const controllers = fs.readFileSync(path.join(root, 'cgroup.controllers'), 'utf8').split(/\s+/);
      if (!controllers.includes('memory')) {
        return { unavailable: 'the cgroup v2 tree has no memory controller' };
      }
      enable(root, 'memory');
      let cpu: string | { unavailable: string } = root;
      try {
        if (!controllers.includes('cpu')) throw new Error('the cgroup v2 tree has no cpu controller');
        enable(root, 'cpu');
      } catch (e) {
        cpu = { unavailable: (e as Error).message };
      }
      return openFolder('v2', root, cpu);
    }
    return { unavailable: `no cgroup tree at ${root}` };
  } catch (e) {
    return { unavailable: (e as Error).message };
  }
}

/** Removes the folders that devices which are no longer running left behind. */
function sweepStale(parent: string): void {
  for (const name of fs.readdirSync(parent)) {
    const pid = name.startsWith(PREFIX) ? Number(name.slice(PREFIX.length)) : NaN;
    if (!Number.isInteger(pid) || pid === process.pid || fs.existsSync(`/proc/${pid}`)) continue;
    const dir = path.join(parent, name);
    try {
      for (const child of fs.readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) fs.rmdirSync(path.join(dir, child.name));
      fs.rmdirSync(dir);
    } catch {
      // Still in use (processes of a dead device's cells, exiting): a later start takes it.
    }
  }
}

/**
 * The device's folder under `parent`, and its folder under `cpuParent` (v1: in the cpu
 * hierarchy; v2: the same folder as `parent`), when CPU groups can be made there.
 */
function openFolder(version: 'v1' | 'v2', parent: string, cpuParent: string | { unavailable: string }): CellGroups {
  sweepStale(parent);
  const dir = path.join(parent, `${PREFIX}${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  if (version === 'v2') enable(dir, 'memory');
  let cpuDir: string | null = null;
  let cpuUnavailable: string | null = null;
  let sparesProcs: string | null = null;
  if (typeof cpuParent !== 'string') cpuUnavailable = cpuParent.unavailable;
  else {
    try {
      if (version === 'v2') {
        enable(dir, 'cpu');
        cpuDir = dir;
      } else {
        sweepStale(cpuParent);
        cpuDir = path.join(cpuParent, `${PREFIX}${process.pid}`);
        fs.mkdirSync(cpuDir, { recursive: true });
      }
      sparesProcs = makeSpares(version, cpuDir);
    } catch (e) {
      cpuUnavailable = (e as Error).message;
      cpuDir = null;
    }
  }
  const kept: KeptGroup[] = [];
  const keep = (group: KeptGroup): boolean => {
    if (kept.length >= KEPT_GROUPS) return false;
    kept.push(group);
    return true;
  };
  return {
    version,
    dir,
    cpuUnavailable,
    take: (memoryBytes) => {
      const i = kept.findIndex((g) => g.memoryBytes === memoryBytes);
      if (i >= 0) return takeGroup(version, kept.splice(i, 1)[0], keep, sparesProcs);
      const name = `group-${++groupsMade}`;
      const cpu = cpuDir === null ? null : version === 'v2' ? 'same' : path.join(cpuDir, name);
      return takeGroup(version, makeGroup(version, path.join(dir, name), cpu, memoryBytes), keep, sparesProcs);
    },
    close: () => {
      try {
        for (const group of kept.splice(0)) {
          if (group.cpuDir !== group.dir && group.cpuDir) fs.rmdirSync(group.cpuDir);
          fs.rmdirSync(group.dir);
        }
        // Gone already when a second opening of this folder (a test's) was closed first.
        if (sparesProcs && fs.existsSync(sparesProcs)) fs.rmdirSync(path.dirname(sparesProcs));
        if (version === 'v1' && cpuDir) fs.rmdirSync(cpuDir);
        fs.rmdirSync(dir);
      } catch {
        // Processes are still exiting; the next device start sweeps it.
      }
    },
  };
}

/**
 * The CPU share of the group of spares: that of a process at nice 19 beside one at nice 0 in
 * the same group (15 of 1024, the kernel's sched_prio_to_weight); v2's cpu.weight maps 1024 to
 * 100, and 1 is its least.
 */
const SPARE_SHARES = { v1: ['cpu.shares', '15'], v2: ['cpu.weight', '1'] } as const;

/** Makes (or finds, for a second opening) the group of spares under `cpuDir`; its cgroup.procs. */
function makeSpares(version: 'v1' | 'v2', cpuDir: string): string {
  const spares = path.join(cpuDir, 'spares');
  fs.mkdirSync(spares, { recursive: true });
  const [file, value] = SPARE_SHARES[version];
  fs.writeFileSync(path.join(spares, file), value);
  return path.join(spares, 'cgroup.procs');
}

/** Names the groups: one count per process, which may open its folder more than once. */
let groupsMade = 0;

/** A group that is not in use: its folder, its CPU group's, and its limit. */
interface KeptGroup {
  dir: string;
  /** `dir` on v2; its own folder in the cpu hierarchy on v1; null without CPU groups. */
  cpuDir: string | null;
  memoryBytes: number;
}

/**
 * `cpu`: its CPU group's folder on v1, 'same' on v2 (the controller is enabled on its parent),
 * null for none. Its share is the default (cpu.shares 1024, cpu.weight 100), the same for
 * every cell: nothing to write.
 */
function makeGroup(version: 'v1' | 'v2', dir: string, cpu: string | 'same' | null, memoryBytes: number): KeptGroup {
  const cpuDir = cpu === 'same' ? dir : cpu;
  if (cpuDir && cpuDir !== dir) fs.mkdirSync(cpuDir);
  fs.mkdirSync(dir);
  const write = (file: string, value: string) => fs.writeFileSync(path.join(dir, file), value);
  if (version === 'v1') {
    write('memory.limit_in_bytes', String(memoryBytes));
    // With swap accounting, the same bound on memory and swap together: no escape into swap.
    if (fs.existsSync(path.join(dir, 'memory.memsw.limit_in_bytes'))) write('memory.memsw.limit_in_bytes', String(memoryBytes));
  } else {
    write('memory.max', String(memoryBytes));
    if (fs.existsSync(path.join(dir, 'memory.swap.max'))) write('memory.swap.max', '0');
  }
  return { dir, cpuDir, memoryBytes };
}

/** `group` in use by one worker until giveBack(), which offers it to `keep` or removes it. */
function takeGroup(version: 'v1' | 'v2', group: KeptGroup, keep: (group: KeptGroup) => boolean, sparesProcs: string | null): CellGroup {
  const { dir } = group;
  const events = version === 'v1' ? 'memory.oom_control' : 'memory.events';
  // The kernel's count covers the group's whole life: a kept group's earlier kills are not this worker's.
  const oomCount = () => {
    try {
      return Number(/^oom_kill (\d+)$/m.exec(fs.readFileSync(path.join(dir, events), 'utf8'))?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
  const killedBefore = oomCount();
  const charged = () => Number(fs.readFileSync(path.join(dir, version === 'v1' ? 'memory.usage_in_bytes' : 'memory.current'), 'utf8'));
  const procs = path.join(dir, 'cgroup.procs');
  // On v1 a process joins its CPU group first: one it starts after it joined the memory group
  // was born in both, and one started before is outside the memory group, so a walk finds it.
  const cpuProcs = group.cpuDir && group.cpuDir !== dir ? path.join(group.cpuDir, 'cgroup.procs') : null;
  const move = (pid: number) => {
    if (cpuProcs) fs.writeFileSync(cpuProcs, String(pid));
    fs.writeFileSync(procs, String(pid));
  };
  const empty = () => fs.readFileSync(procs, 'utf8').trim() === '' && (!cpuProcs || fs.readFileSync(cpuProcs, 'utf8').trim() === '');
  /** Removes the CPU group (on v1), then the memory group; either may be gone already. */
  const remove = async () => {
    for (const folder of cpuProcs ? [group.cpuDir!, dir] : [dir]) {
      try {
        await fs.promises.rmdir(folder);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  };
  return {
    dir,
    cpuDir: group.cpuDir,
    adopt(root) {
      const gone = new Set<number>();
      for (let walk = 0; walk < ADOPT_WALKS; walk++) {
        const inside = new Set(fs.readFileSync(procs, 'utf8').split('\n').filter(Boolean).map(Number));
        const outside = processTree(root).filter((pid) => !inside.has(pid) && !gone.has(pid) && !isEnding(pid));
        if (outside.length === 0) return;
        for (const pid of outside) {
          try {
            move(pid);
          } catch (e) {
            // Gone since the walk: nothing of it is left to hold.
            if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
            gone.add(pid);
          }
        }
      }
      throw new Error(`the processes under ${root} kept starting new ones outside ${dir} while they were moved in`);
    },
    adoptAlone(pid) {
      try {
        move(pid);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw new Error(`process ${pid} ended before it could be moved into ${dir}`);
        throw e;
      }
    },
    holdSpare(pid) {
      if (!sparesProcs) return;
      try {
        fs.writeFileSync(sparesProcs, String(pid));
      } catch (e) {
        // Ended already: its worker fails at `ready` or before.
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    },
    hurry(pid) {
      if (!group.cpuDir) return;
      try {
        fs.writeFileSync(path.join(group.cpuDir, 'cgroup.procs'), String(pid));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    },
    oomKills: () => oomCount() - killedBefore,
    async giveBack() {
      for (let i = 0; i < REMOVE_TRIES; i++) {
        try {
          // After the cell's reply: kept (two small reads), or removed on the thread pool.
          if (empty() && charged() <= KEPT_GROUP_MAX_CHARGE && keep(group)) return;
          await remove();
          return;
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return;
          if (code !== 'EBUSY') throw e;
        }
        await new Promise((r) => setTimeout(r, REMOVE_WAIT_MS));
      }
      throw new Error(`the control group ${dir} still holds processes`);
    },
  };
}

/** This process's cgroup path in a v1 hierarchy that has `controller`, from /proc/self/cgroup. */
function ownCgroup(controller: string): string | null {
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, controllers, where] = line.split(':');
    if (controllers?.split(',').includes(controller)) return where;
  }
  return null;
}

/** Lets the children of a v2 cgroup have the `controller` (memory limits, CPU shares). */
function enable(dir: string, controller: 'memory' | 'cpu'): void {
  const control = path.join(dir, 'cgroup.subtree_control');
  if (!fs.readFileSync(control, 'utf8').split(/\s+/).includes(controller)) fs.writeFileSync(control, `+${controller}`);
}

/** The kernel's flag of a process inside exit() (include/linux/sched.h), in /proc/<pid>/stat. */
const PF_EXITING = 0x4;

/**
 * Whether `pid` is ending: inside exit(), or exited and waiting for its parent to reap it (or
 * gone). It starts nothing more, and a control group no longer lists it (it leaves its group
 * early in exit(), before it is a zombie; moving it then does nothing), so it is no process
 * to move. On a loaded machine a process can sit in that stretch of exit() for milliseconds,
 * and every walk of adopt() found it outside again.
 */
export function isEnding(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command's closing parenthesis: state, ppid, pgrp, session, tty, tpgid, flags.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return /^[ZX]/.test(fields[0]) || (Number(fields[6]) & PF_EXITING) !== 0;
  } catch {
    return true;
  }
}

/** `pid` and every process below it, parents first. */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    let tasks: string[];
    try {
      tasks = fs.readdirSync(`/proc/${tree[i]}/task`);
    } catch {
      continue; // gone meanwhile
    }
    for (const task of tasks) {
      try {
        const children = fs.readFileSync(`/proc/${tree[i]}/task/${task}/children`, 'utf8').trim();
        if (children) tree.push(...children.split(/\s+/).map(Number));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return tree;
}

/** Why this process cannot make control groups, or null when it can; leaves nothing behind. */
export function cellGroupsUnavailable(): string | null {
  const groups = openCellGroups();
  if ('unavailable' in groups) return groups.unavailable;
  groups.close();
  return null;
}
