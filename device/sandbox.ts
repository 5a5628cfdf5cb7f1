// The only place that builds bubblewrap's argv; the spawner (spawner.ts) starts every sandbox
// from it, a fork server's too. Every cell's worker runs in a fresh one:
// new user, PID, IPC, UTS, mount, network and cgroup namespaces, a read-only system, a private
// tmpfs as working directory, rlimits set inside, nothing else of the host.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Limits } from '../store/config';
import { CELL_DIR, WORKERS_MOUNT } from '../workers/protocol';

export interface SandboxSpec {
  /** argv of the worker inside the sandbox, argv[0] absolute. */
  command: string[];
  env: Record<string, string>;
  readOnlyPaths: string[];
  memoryRlimit: 'as' | 'data';
  limits: Limits;
  /** Host folder holding the worker programs, bound read-only at WORKERS_MOUNT. */
  workersDir: string;
}

/** What a fork server's zygote is told beyond the sandbox spec (see workers/python/forkserver.py). */
export interface ForkServerOptions {
  preload: string[];
  /** The worker's command is a forker under the Python zygote, not a zygote itself (config.ts). */
  forker?: boolean;
}

/** The zygote of a language whose worker is a forker: Python's, run as a program. */
const FORKER_ZYGOTE = ['/usr/bin/python3', '-I', `${WORKERS_MOUNT}/python/forkserver.py`];

/** System paths a runtime may need, bound read-only when they exist. /etc is never bound whole. */
const SYSTEM_PATHS = [
  '/usr',
  '/etc/alternatives', // numpy reaches BLAS through it
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/fonts', // matplotlib and fontconfig
  '/etc/localtime',
  '/etc/mime.types',
  '/etc/matplotlibrc',
  '/etc/python3',
  '/etc/R', // R's own settings (Renviron): R cells, and Sage's r(), which failed without them
];

/**
 * The host's time zone by name, for the cell's TZ: the device's own TZ, else the zone
 * /etc/localtime links to, else /etc/timezone's. Inside, /etc/localtime is a bound copy of
 * the zone's file, no longer a link that names it, and nothing else says the name: R's
 * Sys.timezone() asked timedatectl (no systemd: two lines on stderr and a warning), then
 * compared the copy with every file of /usr/share/zoneinfo, some 15 seconds, and warned that
 * the system is "mis-configured". Undefined when the host does not say.
 */
export function hostTimeZone(): string | undefined {
  if (process.env.TZ) return process.env.TZ;
  try {
    const zone = /\/zoneinfo\/(.+)$/.exec(fs.readlinkSync('/etc/localtime'))?.[1];
    if (zone) return zone;
  } catch {
    // not a link, or none
  }
  try {
    return fs.readFileSync('/etc/timezone', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
const HOST_TIME_ZONE = hostTimeZone();

/** The top-level links of a merged-/usr system (/bin → usr/bin …) or real folders. */
const TOP_LEVEL = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** A scratch /tmp of its own, so runtimes' caches never land in the cell's files. */
const TMP_BYTES = 64 * 1024 * 1024;

function rootFsArgs(): string[] {
  const args: string[] = [];
  for (const p of TOP_LEVEL) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', fs.readlinkSync(p), p);
    else args.push('--ro-bind', p, p);
  }
  for (const p of SYSTEM_PATHS) args.push('--ro-bind-try', p, p);
  return args;
}

const isRoot = process.getuid?.() === 0;

/**
 * The CPU priority (nice) a fork server's spare is made at, until a cell takes it or waits for
 * it (Worker.hurry()): making it then never slows a running cell. Only a device running as root
 * can raise a process's priority again, so otherwise spares are made at the normal one.
 */
export const SPARE_NICE = isRoot ? 19 : 0;

/** The unprivileged host user the sandbox maps to when the device runs as root. */
const NOBODY = 65534;

/** The sandbox cannot be made on this machine: the device's start stops with this, in one line. */
export class SandboxError extends Error {}

/** Where `name` is on `PATH`, as the spawner's posix_spawnp finds it; null if nowhere. */
function onPath(name: string, envPath = process.env.PATH ?? ''): string | null {
  for (const dir of envPath.split(':')) {
    const file = path.join(dir || '.', name);
    try {
      if (fs.statSync(file).isFile()) {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      }
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Checks, once at the device's start, that a sandbox can be made here: bwrap (and as root
 * setpriv) on PATH, and one empty sandbox as the cells' are made (same user, a user namespace
 * with --disable-userns, which bwrap before 0.8 lacks). Without this, a host that started the
 * device without `npm start`'s set-up saw each cell fail on its own, a WorkerCrashed each.
 * Throws a SandboxError naming what to install or change.
 */
export function checkSandbox(): void {
  const envPath = process.env.PATH ?? '';
  if (!onPath('bwrap', envPath)) {
    throw new SandboxError(`bubblewrap is not installed (no bwrap on the PATH ${envPath || '(empty)'}); every cell runs in its sandbox: install it with apt-get install bubblewrap`);
  }
  if (isRoot && !onPath('setpriv', envPath)) {
    throw new SandboxError(`setpriv is not installed (not on the PATH ${envPath || '(empty)'}); run as root, the device needs it to start sandboxes as an unprivileged user: install it with apt-get install util-linux`);
  }
  const bwrap = ['bwrap', '--unshare-all', '--unshare-user', '--disable-userns', '--die-with-parent', ...rootFsArgs(), '--', '/usr/bin/true'];
  const argv = isRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', ...bwrap] : bwrap;
  const trial = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
  if (trial.status === 0) return;
  const why = (trial.stderr?.toString().trim() || trial.error?.message || `status ${trial.status ?? trial.signal}`).replace(/\s*\n\s*/g, '; ');
  throw new SandboxError(`bubblewrap cannot make a sandbox here (${why}); it needs version 0.8 or later and user namespaces for ${isRoot ? `the unprivileged user ${NOBODY}` : 'this user'}: as root, sysctl -w kernel.unprivileged_userns_clone=1 (on Ubuntu also kernel.apparmor_restrict_unprivileged_userns=0)`);
}

/** The cell's directory holds what it may keep plus room to work; past it, writes fail with ENOSPC. */
function cellDirBytes(limits: Limits): number {
  return Math.max(16 * 1024 * 1024, limits.filesTotalBytes * 2);
}

export function buildArgv(spec: SandboxSpec, infoFd: number, forkServer?: ForkServerOptions): string[] {
  const { limits } = spec;
  const command = spec.command.map((a) => expand(a, limits));
  const bwrap = [
    'bwrap',
    '--unshare-all',
    // --unshare-all only tries a user namespace; --disable-userns below needs one for sure.
    '--unshare-user',
    '--die-with-parent',
    '--new-session',
    '--uid', '1000', '--gid', '1000',
    '--hostname', 'cellbox',
    ...rootFsArgs(),
    ...spec.readOnlyPaths.flatMap((p) => ['--ro-bind', p, p]),
    '--ro-bind', spec.workersDir, WORKERS_MOUNT,
    // The cell's user by name, the host's users not at all: without an entry for uid 1000,
    // `whoami`, Python's getpass.getuser() and whatever asks for the user's name failed.
    '--ro-bind-try', `${spec.workersDir}/lib/etc/passwd`, '/etc/passwd',
    '--ro-bind-try', `${spec.workersDir}/lib/etc/group`, '/etc/group',
    '--proc', '/proc',
    '--dev', '/dev',
    '--size', String(TMP_BYTES), '--tmpfs', '/tmp',
    // bwrap's /dev/shm is a folder on its /dev tmpfs, which has no size: give it its own.
    '--size', String(TMP_BYTES), '--tmpfs', '/dev/shm',
    '--size', String(cellDirBytes(limits)), '--tmpfs', CELL_DIR,
    // The root itself is a tmpfs bwrap built; seal it so nothing new can appear in /, /etc …
    '--remount-ro', '/',
    // … and /dev, a tmpfs without a size limit that a fork server's cells would share. Its
    // device nodes stay writable (the kernel checks a read-only mount for files only).
    '--remount-ro', '/dev',
    '--chdir', CELL_DIR,
    '--clearenv',
    '--setenv', 'PATH', '/usr/local/bin:/usr/bin:/bin',
    '--setenv', 'HOME', CELL_DIR,
    '--setenv', 'LANG', 'C.UTF-8',
    '--setenv', 'TMPDIR', '/tmp',
    ...(HOST_TIME_ZONE ? ['--setenv', 'TZ', HOST_TIME_ZONE] : []),
    ...Object.entries(spec.env).flatMap(([k, v]) => ['--setenv', k, v]),
    // A zygote binds every symbol of its libraries as it loads them, once: bound lazily, the
    // first call of each in every forked cell (thread start, exit, pipes) was a symbol lookup
    // and a write to a shared page, a copy-on-write fault. The zygote drops it from its
    // environment, so that the cells' own programs start as usual (forkserver.py).
    ...(forkServer ? ['--setenv', 'LD_BIND_NOW', '1'] : []),
    '--info-fd', String(infoFd),
    // A zygote keeps the capabilities of this sandbox's user namespace (over it alone) to make
    // each cell's namespaces; it sets each cell's limits itself, and a seccomp filter that
    // keeps the cell from making namespaces of its own (forkserver.py). A cell in a sandbox of
    // its own may not make a user namespace either: inside one it could mount a tmpfs that no
    // limit bounds, and fill the host's memory.
    ...(forkServer ? ['--cap-add', 'ALL'] : ['--disable-userns']),
    '--',
    ...(forkServer ? zygoteCommand(spec, command, forkServer) : withLimits(spec, command)),
  ];
  // As root, drop to an unprivileged host user first: then even an escape from the
  // namespaces would find itself powerless.
  return isRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', ...bwrap] : bwrap;
}

/**
 * Limits are set inside the sandbox so that RLIMIT_NPROC counts only this sandbox's processes
 * (per user namespace), not every cell's.
 */
function withLimits(spec: SandboxSpec, command: string[]): string[] {
  const { limits } = spec;
  return [
    '/usr/bin/prlimit',
    `--${spec.memoryRlimit}=${limits.memoryMiB * 1024 * 1024}`,
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `--nproc=${limits.processes}`,
    `--fsize=${limits.fileBytes}`,
    '--nofile=1024',
    '--core=0',
    '--',
    ...command,
  ];
}

/** The worker as its language's zygote, or as the forker the Python zygote starts. */
function zygoteCommand(spec: SandboxSpec, command: string[], options: ForkServerOptions): string[] {
  if (!options.forker) return [...command, forkServerArgument(spec, options)];
  return [...FORKER_ZYGOTE, forkServerArgument(spec, options, [...command, '--forker'])];
}

/** The zygote's last argument: what it preloads, the limits it sets on every cell, its forker's argv. */
function forkServerArgument(spec: SandboxSpec, options: ForkServerOptions, forker?: string[]): string {
  const { limits } = spec;
  const cell = {
    ...(forker ? { forker } : {}),
    preload: options.preload.join(','),
    memoryRlimit: spec.memoryRlimit,
    memoryBytes: limits.memoryMiB * 1024 * 1024,
    cpuSeconds: limits.cpuSeconds,
    processes: limits.processes,
    fileBytes: limits.fileBytes,
    cellDirBytes: cellDirBytes(limits),
    tmpBytes: TMP_BYTES,
    spareNice: SPARE_NICE,
  };
  return `--fork-server=${JSON.stringify(cell)}`;
}

/** `{memoryMiB}` and `{heapMiB}` (three quarters of it) in a worker's argv follow the limits. */
function expand(arg: string, limits: Limits): string {
  return arg.replaceAll('{memoryMiB}', String(limits.memoryMiB)).replaceAll('{heapMiB}', String(Math.floor(limits.memoryMiB * 0.75)));
}

/** The descriptor bwrap writes its info JSON to (the sandbox's first pid); it stays outside. */
export const SANDBOX_INFO_FD = 4;

const EXITED_BEFORE_START = 'the sandbox exited before it started';

/** The host pid of the sandbox's first process, from bwrap's --info-fd JSON; rejects if `info` ends first. */
export function sandboxChildPid(info: NodeJS.ReadableStream): Promise<number> {
  const pid = new Promise<number>((resolve, reject) => {
    let text = '';
    info.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const m = /"child-pid":\s*(\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    info.on('error', () => {});
    info.on('end', () => reject(new Error(EXITED_BEFORE_START)));
  });
  pid.catch(() => {});
  return pid;
}
