// The copy of the workers folder a device running as root binds into its sandboxes, and the
// removal of the copies devices that are gone left behind.
//
// As root the sandbox runs as nobody, which may not traverse the project's folders (say, under
// /root): the device copies them to a fresh world-readable folder under the system temp dir and
// removes it as it stops. A device that crashed, or was killed, left its copy behind, one per
// crash, for good. So each copy's name says whose it is: the device's PID namespace, its pid,
// and its start time (a pid is soon another process's; pid and start time are one process's
// alone). Each start removes the copies of its own PID namespace whose owner is gone. Several
// devices may share the temp dir: a copy whose owner lives is never touched, nor one whose
// owner cannot be told (another PID namespace's, whose pids this one does not see, or a name of
// another form, such as an older version's `cellbox-workers-XXXXXX`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PREFIX = 'cellbox-workers-';
/** `cellbox-workers-<PID namespace inode>-<pid>-<start time>-<random>`. */
const OWNED = /^cellbox-workers-(\d+)-(\d+)-(\d+)-[A-Za-z0-9]{6}$/;

const isRoot = process.getuid?.() === 0;

export interface WorkersCopy {
  /** The folder to bind into the sandboxes. */
  dir: string;
  /** Removes the copy (nothing when the source is used as it is). */
  dispose: () => void;
  /** The stale copies this start removed, and those it could not, with why. */
  removed: string[];
  failed: string[];
}

/** This process's PID namespace, as the inode /proc/self/ns/pid names ("pid:[4026531836]"). */
function pidNamespace(): string {
  return /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
}

/** A process's start time (clock ticks since boot, /proc/<pid>/stat's 22nd field), or undefined if it is gone. */
function startTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // After the command name, which may hold spaces and parentheses: state is the 3rd field.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
}

/**
 * Removes the copies under `tmp` left by devices of this PID namespace that are gone. Returns
 * the paths removed and, for those that could not be, the path and why.
 */
export function removeStaleCopies(tmp: string = os.tmpdir()): { removed: string[]; failed: string[] } {
  const namespace = pidNamespace();
  const removed: string[] = [];
  const failed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(tmp).filter((n) => n.startsWith(PREFIX));
  } catch {
    return { removed, failed };
  }
  for (const name of names) {
    const m = OWNED.exec(name);
    if (!m || m[1] !== namespace) continue;
    const [, , pid, started] = m;
    if (startTime(Number(pid)) === started) continue; // its device is alive
    const dir = path.join(tmp, name);
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch (e) {
      failed.push(`${dir}: ${(e as Error).message}`);
    }
  }
  return { removed, failed };
}

/**
 * Makes the worker programs readable by the unprivileged sandbox user: as root, a copy of
 * `source` under the temp dir, named for this process (removing the stale copies first);
 * otherwise `source` itself.
 */
export function prepareWorkersDir(source: string, tmp: string = os.tmpdir()): WorkersCopy {
  if (!isRoot) return { dir: source, dispose: () => {}, removed: [], failed: [] };
  const { removed, failed } = removeStaleCopies(tmp);
  const own = `${PREFIX}${pidNamespace()}-${process.pid}-${startTime(process.pid) ?? 0}-`;
  const dir = fs.mkdtempSync(path.join(tmp, own));
  fs.cpSync(source, dir, { recursive: true, filter: (src) => !src.endsWith('.ts') });
  chmodTree(dir);
  return { dir, dispose: () => fs.rmSync(dir, { recursive: true, force: true }), removed, failed };
}

function chmodTree(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chmodTree(p);
    // Programs stay programs (the fork servers' namespace maker); the rest is only read.
    else fs.chmodSync(p, fs.statSync(p).mode & 0o100 ? 0o755 : 0o644);
  }
}
