// Control groups per worker: a cell's memory limit holds for all its processes together, and
// for the tmpfs pages they write (/cell, /tmp, /dev/shm), where an rlimit bounds each process
// alone (eight children of 100 MiB each would pass a 512 MiB rlimit one by one). The device
// takes one group per warm worker, moves the worker's processes in before its cell's code
// arrives (whatever they start inherits it), and gives the group back when they are gone and
// the device is done with the cell's files. A group given back empty and all but uncharged is
// kept for a later worker: making a memory group and removing it again cost some 0.6 ms of
// the machine's CPU per cell (the kernel frees a removed one in a worker of its own), and a
// removed group whose pages are still cached lingers in the kernel until they are reclaimed.
// Needs a writable cgroup tree (root, or a delegated v2 subtree); without one the device says
// so at start and each process keeps only its own rlimit.
import fs from 'node:fs';
import path from 'node:path';

export interface CellGroup {
  /** Its folder in the cgroup tree. */
  readonly dir: string;
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
      return openFolder('v1', path.join(v1, own ?? '/'));
    }
    if (fs.existsSync(path.join(root, 'cgroup.controllers'))) {
      if (!fs.readFileSync(path.join(root, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory')) {
        return { unavailable: 'the cgroup v2 tree has no memory controller' };
      }
      enableMemory(root);
      return openFolder('v2', root);
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

function openFolder(version: 'v1' | 'v2', parent: string): CellGroups {
  sweepStale(parent);
  const dir = path.join(parent, `${PREFIX}${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  if (version === 'v2') enableMemory(dir);
  const kept: KeptGroup[] = [];
  const keep = (group: KeptGroup): boolean => {
    if (kept.length >= KEPT_GROUPS) return false;
    kept.push(group);
    return true;
  };
  return {
    version,
    dir,
    take: (memoryBytes) => {
      const i = kept.findIndex((g) => g.memoryBytes === memoryBytes);
      const group = i >= 0 ? kept.splice(i, 1)[0] : makeGroup(version, path.join(dir, `group-${++groupsMade}`), memoryBytes);
      return takeGroup(version, group, keep);
    },
    close: () => {
      try {
        for (const group of kept.splice(0)) fs.rmdirSync(group.dir);
        fs.rmdirSync(dir);
      } catch {
        // Processes are still exiting; the next device start sweeps it.
      }
    },
  };
}

/** Names the groups: one count per process, which may open its folder more than once. */
let groupsMade = 0;

/** A group that is not in use: its folder and its limit. */
interface KeptGroup {
  dir: string;
  memoryBytes: number;
}

function makeGroup(version: 'v1' | 'v2', dir: string, memoryBytes: number): KeptGroup {
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
  return { dir, memoryBytes };
}

/** `group` in use by one worker until giveBack(), which offers it to `keep` or removes it. */
function takeGroup(version: 'v1' | 'v2', group: KeptGroup, keep: (group: KeptGroup) => boolean): CellGroup {
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
  const empty = () => fs.readFileSync(procs, 'utf8').trim() === '';
  return {
    dir,
    adopt(root) {
      const gone = new Set<number>();
      for (let walk = 0; walk < ADOPT_WALKS; walk++) {
        const inside = new Set(fs.readFileSync(procs, 'utf8').split('\n').filter(Boolean).map(Number));
        const outside = processTree(root).filter((pid) => !inside.has(pid) && !gone.has(pid) && !isEnding(pid));
        if (outside.length === 0) return;
        for (const pid of outside) {
          try {
            fs.writeFileSync(procs, String(pid));
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
        fs.writeFileSync(procs, String(pid));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw new Error(`process ${pid} ended before it could be moved into ${dir}`);
        throw e;
      }
    },
    oomKills: () => oomCount() - killedBefore,
    async giveBack() {
      for (let i = 0; i < REMOVE_TRIES; i++) {
        try {
          // After the cell's reply: kept (two small reads), or removed on the thread pool.
          if (empty() && charged() <= KEPT_GROUP_MAX_CHARGE && keep(group)) return;
          await fs.promises.rmdir(dir);
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

/** Lets the children of a v2 cgroup have memory limits. */
function enableMemory(dir: string): void {
  const control = path.join(dir, 'cgroup.subtree_control');
  if (!fs.readFileSync(control, 'utf8').split(/\s+/).includes('memory')) fs.writeFileSync(control, '+memory');
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
