// The one configuration table of both server processes (web app and device): defaults,
// then cellbox.config.json, then CELLBOX_* environment variables. Parsed once at start;
// an invalid value stops the process with a message naming it. Mirrored in docs/config.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const Limits = z.strictObject({
  wallSeconds: z.number().positive().max(3600),
  cpuSeconds: z.number().int().positive().max(3600),
  memoryMiB: z.number().int().min(32).max(65536),
  processes: z.number().int().min(4).max(4096),
  outputBytes: z.number().int().min(1024),
  files: z.number().int().min(0).max(10000),
  fileBytes: z.number().int().min(0),
  filesTotalBytes: z.number().int().min(0),
});
export type Limits = z.infer<typeof Limits>;

/** A regular expression given as text in the config: checked when the config is read. */
const RegExpText = z.string().refine((p) => {
  try {
    new RegExp(p);
    return true;
  } catch {
    return false;
  }
}, 'is not a valid regular expression');

/**
 * The version probe: a command run on the host (with the language's `env`) when the device
 * starts, for a worker that cannot say its runtime's version itself (C's and Fortran's workers
 * are Bash scripts). Its first line, or `pattern`'s first group (else its whole match) in the
 * output, is the version listed. Its program must be installed too, so it also tells whether
 * the runtime is.
 */
const VersionProbe = z.strictObject({
  command: z.array(z.string()).min(1),
  pattern: RegExpText.optional(),
});

const Language = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/),
  display_name: z.string().min(1),
  /** argv of the worker inside the sandbox; argv[0] absolute, or a name looked up on the device's PATH. */
  command: z.array(z.string()).min(1),
  /** Extra environment for the worker inside the sandbox. */
  env: z.record(z.string(), z.string()).default({}),
  /** Extra host paths the runtime needs, bound read-only at the same place. */
  readOnlyPaths: z.array(z.string()).default([]),
  /** Which rlimit caps memory: `as` (address space) suits most runtimes; V8 reserves huge address ranges, so Node needs `data`. */
  memoryRlimit: z.enum(['as', 'data']).default('as'),
  file_extension: z.string(),
  codemirror_mode: z.string(),
  /**
   * Start the worker once per sandbox as a fork server that forks an isolated process per cell
   * (the worker must support it: Python's does), importing `preload` once ahead of every cell.
   * `light`: a second fork server with nothing preloaded, and a pool of the same size, takes the
   * cells whose code imports only the standard library: a small process forks and ends in a
   * fraction of the time of one holding the preloads (docs/performance.md).
   * `forker`: the worker, started with `--forker`, is the forker of a Python zygote
   * (workers/python/forkserver.py), which keeps the device's side: a runtime that can fork itself
   * warm but not run a zygote (JavaScript's, workers/node/forker.c).
   */
  forkServer: z
    .strictObject({ preload: z.array(z.string()).default([]), light: z.boolean().default(false), forker: z.boolean().default(false) })
    .optional(),
  /** Warm workers kept ready for this language. */
  pool: z.number().int().min(0).max(64).default(1),
  /** This language's own limits: any of the keys of `limits`, over the global ones. */
  limits: Limits.partial().optional(),
  /** Where the listed version comes from when the worker's `ready` cannot say it. */
  versionProbe: VersionProbe.optional(),
  /** The install line printed when the runtime is missing. */
  install: z.string().default(''),
});
export type LanguageConfig = z.infer<typeof Language>;

const Config = z.strictObject({
  port: z.number().int().min(0).max(65535),
  /**
   * The address the web server listens on; absent: every address of the machine. Behind a
   * reverse proxy on the same machine, 127.0.0.1, so that nothing reaches Cellbox around it.
   */
  host: z.string().min(1).optional(),
  dataDir: z.string().min(1),
  allowedOrigins: z.array(z.string()).min(1),
  queueLimit: z.number().int().min(1),
  concurrency: z.number().int().min(1).max(1024),
  retentionHours: z.number().positive(),
  watchIntervalMs: z.number().int().min(1).max(1000),
  /** Believe X-Forwarded-For's last entry (set by one reverse proxy in front) as the client. */
  trustProxy: z.boolean(),
  /** Cells (and snippets) a client address may submit per minute, on average; 0: no limit. */
  cellsPerMinute: z.number().min(0),
  /** How many of those it may submit at once before the rate applies. */
  cellsBurst: z.number().int().min(1),
  /** Long-polls one client address may hold open at once. */
  longPollsPerClient: z.number().int().min(1),
  /**
   * How long a running cell its reader stopped has to end on the interrupt (SIGINT, for a worker
   * that takes one: every built-in one's but C's and Fortran's) before it is killed. 0: killed at once, without the
   * traceback of where it was.
   */
  interruptGraceSeconds: z.number().min(0).max(60),
  limits: Limits,
  languages: z.array(Language).min(1),
  /** Names of the configured languages to offer; absent: all of them. */
  enabledLanguages: z.array(z.string()).min(1).optional(),
});
export type Config = z.infer<typeof Config>;

const PYTHON_ENV = {
  MPLBACKEND: 'Agg',
  MPLCONFIGDIR: '/tmp/matplotlib',
  PYTHONDONTWRITEBYTECODE: '1',
  PYTHONUNBUFFERED: '1',
  OPENBLAS_NUM_THREADS: '1',
  XDG_CACHE_HOME: '/tmp/cache',
};

/**
 * The environment of the languages that run other programs (R, Octave, Bash, C, Fortran): one
 * BLAS thread, fontconfig's cache out of the cell's directory. OpenBLAS (R's and Octave's
 * matrices, numpy in a `python3` a Bash cell starts) would start a thread per core: each counts
 * against the process limit and reserves memory under the address-space limit (numpy's python3
 * mapped 223 MiB of a Bash cell's 512 on 2 cores, 84 with one thread).
 */
const BLAS_ENV = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', XDG_CACHE_HOME: '/tmp/cache' };

export const DEFAULTS: Config = {
  port: 3000,
  dataDir: './data',
  allowedOrigins: ['*'],
  queueLimit: 1000,
  concurrency: Math.max(2, os.availableParallelism() * 2),
  retentionHours: 24,
  watchIntervalMs: 5,
  trustProxy: false,
  // Generous: a classroom behind one address shares it.
  cellsPerMinute: 600,
  cellsBurst: 100,
  longPollsPerClient: 100,
  interruptGraceSeconds: 1,
  limits: {
    wallSeconds: 30,
    cpuSeconds: 30,
    memoryMiB: 512,
    processes: 64,
    outputBytes: 1024 * 1024,
    files: 50,
    fileBytes: 10 * 1024 * 1024,
    filesTotalBytes: 20 * 1024 * 1024,
  },
  languages: [
    {
      name: 'python', display_name: 'Python 3', command: ['/usr/bin/python3', '-I', '/opt/cellbox/workers/python/kernel.py'],
      env: PYTHON_ENV, readOnlyPaths: [], memoryRlimit: 'as', file_extension: '.py', codemirror_mode: 'python', pool: 2,
      forkServer: { preload: ['numpy', 'matplotlib.pyplot', 'sympy', 'pandas'], light: true, forker: false },
      install: 'apt-get install -y python3',
    },
    {
      // Sage through the Python worker's Sage dialect (workers/python/sage.py). Sage maps far more
      // address space than it uses, so its memory limit caps data, not address space.
      name: 'sage', display_name: 'SageMath', command: ['/usr/bin/python3', '-I', '/opt/cellbox/workers/python/kernel.py'],
      env: { ...PYTHON_ENV, CELLBOX_DIALECT: 'sage', DOT_SAGE: '/tmp/dot_sage' },
      readOnlyPaths: ['/usr/lib/python3/dist-packages/sage'], memoryRlimit: 'data', file_extension: '.sage', codemirror_mode: 'python', pool: 1,
      forkServer: { preload: ['sage.all'], light: false, forker: false },
      install: 'apt-get install -y sagemath',
    },
    {
      // V8's own heap limit, under the memory limit: a cell that allocates without end fails with
      // V8's "heap out of memory" at once. Without it V8 (sized for the host's memory) thrashed
      // its collector against RLIMIT_DATA until the CPU-time limit ended the cell instead.
      // One V8 helper thread, not Node's four: each started costs every cell's Node start, and
      // a cell has a core at most. Side by side, back to back: 155 ms of machine CPU per cell
      // against 157-176, p50 73-78 ms against 78-87.
      // Each cell is forked from a warm Node (workers/node/forker.c), whose V8 then must not hand
      // work to helper threads: a forked process has only the thread that forked.
      name: 'javascript', display_name: 'JavaScript (Node.js)',
      command: ['node', '--max-old-space-size={heapMiB}', '--v8-pool-size=1', '--single-threaded', '/opt/cellbox/workers/node/kernel.cjs'],
      env: {}, readOnlyPaths: [], memoryRlimit: 'data', file_extension: '.js', codemirror_mode: 'javascript', pool: 2,
      forkServer: { preload: [], light: false, forker: true },
      install: 'apt-get install -y nodejs',
    },
    {
      name: 'bash', display_name: 'Bash', command: ['/usr/bin/bash', '/opt/cellbox/workers/bash/kernel.sh'],
      // TERM: a course's scripts colour their output with tput (`tput setaf 1`), which without
      // one failed with "No value for $TERM and no -T specified"; the page shows ANSI colours.
      // Programs that colour only on a terminal still see a pipe.
      env: { ...BLAS_ENV, TERM: 'xterm-256color' }, readOnlyPaths: [], memoryRlimit: 'as', file_extension: '.sh', codemirror_mode: 'shell', pool: 2,
      install: 'apt-get install -y bash',
    },
    // R, Octave, C and Fortran start through small Bash launchers (workers/<lang>/kernel.sh), so
    // the version probe is what finds their runtime. R reads its configuration from /etc/R.
    {
      name: 'r', display_name: 'R', command: ['/usr/bin/bash', '/opt/cellbox/workers/r/kernel.sh'],
      env: BLAS_ENV, readOnlyPaths: ['/etc/R'], memoryRlimit: 'as', file_extension: '.r', codemirror_mode: 'r', pool: 1,
      versionProbe: { command: ['R', '--version'], pattern: 'R version (\\S+)' },
      install: 'apt-get install -y r-base-core',
    },
    {
      // Figures through gnuplot (gnuplot-nox), off screen.
      name: 'octave', display_name: 'Octave', command: ['/usr/bin/bash', '/opt/cellbox/workers/octave/kernel.sh'],
      env: BLAS_ENV, readOnlyPaths: [], memoryRlimit: 'as', file_extension: '.m', codemirror_mode: 'octave', pool: 1,
      versionProbe: { command: ['octave-cli', '--version'], pattern: 'version (\\S+)' },
      install: 'apt-get install -y octave gnuplot-nox',
    },
    {
      // SageMathCell's html mode: the cell's code shown as HTML, its $…$ math typeset. A worker
      // in a sandbox like any other's (workers/html/kernel.py says why).
      name: 'html', display_name: 'HTML', command: ['/usr/bin/python3', '-I', '-S', '/opt/cellbox/workers/html/kernel.py'],
      env: {}, readOnlyPaths: [], memoryRlimit: 'as', file_extension: '.html', codemirror_mode: 'html', pool: 1,
      install: 'apt-get install -y python3',
    },
    // PARI/GP, GAP, Singular and Maxima, the systems SageMathCell offers beside Sage, each its
    // own interpreter through a Bash launcher (workers/<lang>/kernel.sh) that starts it before
    // `ready` and turns its own error messages into the cell's error.
    {
      // The launcher's argument is GP's largest stack (parisizemax), under the memory limit.
      name: 'gp', display_name: 'PARI/GP', command: ['/usr/bin/bash', '/opt/cellbox/workers/gp/kernel.sh', '{heapMiB}'],
      env: {}, readOnlyPaths: [], memoryRlimit: 'as', file_extension: '.gp', codemirror_mode: 'gp', pool: 1,
      versionProbe: { command: ['gp', '--version-short'] },
      install: 'apt-get install -y pari-gp',
    },
    {
      // GAP takes over a second to start: the launcher starts it before `ready`, and the pool
      // keeps one ready. The launcher's argument is the memory limit, half of which GAP's
      // workspace may take (-o) before GAP stops the cell with its own error.
      name: 'gap', display_name: 'GAP', command: ['/usr/bin/bash', '/opt/cellbox/workers/gap/kernel.sh', '{memoryMiB}'],
      env: {}, readOnlyPaths: [], memoryRlimit: 'as', file_extension: '.g', codemirror_mode: 'gap', pool: 1,
      // `gap --version` crashes (GAP 4.12.1 as Debian builds it); its help names the version.
      versionProbe: { command: ['gap', '-h'], pattern: 'Version (\\S+)' },
      install: 'apt-get install -y gap-core gap-libs gap-smallgrp',
    },
    {
      // Maxima as Sage builds it (maxima-sage, on ECL): half a second to start, made ahead in the pool.
      name: 'maxima', display_name: 'Maxima', command: ['/usr/bin/bash', '/opt/cellbox/workers/maxima/kernel.sh'],
      env: {}, readOnlyPaths: [], memoryRlimit: 'as', file_extension: '.mac', codemirror_mode: 'maxima', pool: 1,
      versionProbe: { command: ['maxima-sage', '--version'], pattern: 'Maxima (\\S+)' },
      install: 'apt-get install -y maxima-sage maxima-sage-share gnuplot-nox',
    },
    {
      name: 'singular', display_name: 'Singular', command: ['/usr/bin/bash', '/opt/cellbox/workers/singular/kernel.sh'],
      env: {}, readOnlyPaths: [], memoryRlimit: 'as', file_extension: '.sing', codemirror_mode: 'singular', pool: 1,
      versionProbe: { command: ['Singular', '--dump-versiontuple'] },
      install: 'apt-get install -y singular-ui singular-data',
    },
    {
      name: 'c', display_name: 'C (GCC)', command: ['/usr/bin/bash', '/opt/cellbox/workers/compiled/kernel.sh', 'c'],
      env: { ...BLAS_ENV, CFLAGS: '-O2', LDLIBS: '-lm' }, readOnlyPaths: [], memoryRlimit: 'as', file_extension: '.c', codemirror_mode: 'c', pool: 1,
      versionProbe: { command: ['gcc', '-dumpfullversion'] },
      install: 'apt-get install -y gcc libc6-dev',
    },
    {
      name: 'fortran', display_name: 'Fortran (GFortran)', command: ['/usr/bin/bash', '/opt/cellbox/workers/compiled/kernel.sh', 'fortran'],
      env: { ...BLAS_ENV, FFLAGS: '-O2 -fcheck=bounds -fno-backtrace' }, readOnlyPaths: [], memoryRlimit: 'as', file_extension: '.f90', codemirror_mode: 'fortran', pool: 1,
      versionProbe: { command: ['gfortran', '-dumpfullversion'] },
      install: 'apt-get install -y gfortran',
    },
  ],
};

/** The limits of one language's cells: the global ones, with the language's own over them. */
export function languageLimits(config: Pick<Config, 'limits' | 'languages'>, name: string): Limits {
  const own = config.languages.find((l) => l.name === name)?.limits;
  return { ...config.limits, ...own };
}

/** Environment variables and the config key each sets; numbers and lists are parsed from text. */
const ENV_KEYS: Record<string, { key: string; kind: 'int' | 'float' | 'string' | 'list' | 'bool'; limit?: true }> = {
  PORT: { key: 'port', kind: 'int' },
  CELLBOX_HOST: { key: 'host', kind: 'string' },
  CELLBOX_DATA_DIR: { key: 'dataDir', kind: 'string' },
  CELLBOX_ALLOWED_ORIGINS: { key: 'allowedOrigins', kind: 'list' },
  CELLBOX_QUEUE_LIMIT: { key: 'queueLimit', kind: 'int' },
  CELLBOX_CONCURRENCY: { key: 'concurrency', kind: 'int' },
  CELLBOX_RETENTION_HOURS: { key: 'retentionHours', kind: 'float' },
  CELLBOX_WATCH_INTERVAL_MS: { key: 'watchIntervalMs', kind: 'int' },
  CELLBOX_TRUST_PROXY: { key: 'trustProxy', kind: 'bool' },
  CELLBOX_CELLS_PER_MINUTE: { key: 'cellsPerMinute', kind: 'float' },
  CELLBOX_CELLS_BURST: { key: 'cellsBurst', kind: 'int' },
  CELLBOX_LONG_POLLS_PER_CLIENT: { key: 'longPollsPerClient', kind: 'int' },
  CELLBOX_LANGUAGES: { key: 'enabledLanguages', kind: 'list' },
  CELLBOX_INTERRUPT_GRACE_SECONDS: { key: 'interruptGraceSeconds', kind: 'float' },
  CELLBOX_WALL_SECONDS: { key: 'wallSeconds', kind: 'float', limit: true },
  CELLBOX_CPU_SECONDS: { key: 'cpuSeconds', kind: 'int', limit: true },
  CELLBOX_MEMORY_MIB: { key: 'memoryMiB', kind: 'int', limit: true },
  CELLBOX_PROCESSES: { key: 'processes', kind: 'int', limit: true },
  CELLBOX_OUTPUT_BYTES: { key: 'outputBytes', kind: 'int', limit: true },
  CELLBOX_FILES: { key: 'files', kind: 'int', limit: true },
  CELLBOX_FILE_BYTES: { key: 'fileBytes', kind: 'int', limit: true },
  CELLBOX_FILES_TOTAL_BYTES: { key: 'filesTotalBytes', kind: 'int', limit: true },
};

export class ConfigError extends Error {}

/** Environment variables Cellbox reads that are not settings of the table. */
const OTHER_ENV = ['CELLBOX_CONFIG', 'CELLBOX_WORKERS_DIR'];

/** Levenshtein distance, for telling a typo of a setting's name. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/**
 * The `CELLBOX_*` variables that are no setting, each with the setting it is a typo of (a
 * distance of 2 at most), if any. A typo'd name was ignored without a word, and the server
 * ran with the default the host meant to change.
 */
export function unknownEnvNames(env: Record<string, string | undefined>): { name: string; meant?: string }[] {
  const known = [...Object.keys(ENV_KEYS), ...OTHER_ENV];
  return Object.keys(env)
    .filter((name) => name.startsWith('CELLBOX_') && !known.includes(name))
    .map((name) => ({ name, meant: known.find((k) => distance(name, k) <= 2) }));
}

function parseEnvValue(name: string, raw: string, kind: string): unknown {
  if (kind === 'string') return raw;
  if (kind === 'list') return raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (kind === 'bool') {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not true or false`);
  }
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not ${kind === 'int' ? 'a whole number' : 'a number'}`);
  }
  return n;
}

/** Loads the config: defaults < cellbox.config.json (or CELLBOX_CONFIG) < environment. Throws ConfigError naming the bad value. */
export function loadConfig(env: Record<string, string | undefined> = process.env, cwd: string = process.cwd()): Config {
  const file = env.CELLBOX_CONFIG ?? path.join(cwd, 'cellbox.config.json');
  let fromFile: Record<string, unknown> = {};
  if (fs.existsSync(/* turbopackIgnore: true */ file)) {
    try {
      fromFile = JSON.parse(fs.readFileSync(/* turbopackIgnore: true */ file, 'utf8'));
    } catch (e) {
      throw new ConfigError(`${file} is not valid JSON: ${(e as Error).message}`);
    }
  } else if (env.CELLBOX_CONFIG) {
    throw new ConfigError(`CELLBOX_CONFIG names ${file}, which does not exist`);
  }
  for (const { name, meant } of unknownEnvNames(env)) {
    if (meant) throw new ConfigError(`${name} is not a setting; did you mean ${meant}? (the settings are in docs/config.md)`);
  }
  const merged: Record<string, unknown> = { ...DEFAULTS, ...fromFile };
  merged.limits = { ...DEFAULTS.limits, ...((fromFile.limits as object) ?? {}) };
  for (const [name, spec] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined) continue;
    const value = parseEnvValue(name, raw, spec.kind);
    if (spec.limit) (merged.limits as Record<string, unknown>)[spec.key] = value;
    else merged[spec.key] = value;
  }
  const parsed = Config.safeParse(merged);
  if (!parsed.success) {
    // Named as the host set it: the environment variable, when the value came from one.
    const setBy = (key: string) => {
      const e = Object.entries(ENV_KEYS).find(([name, spec]) => env[name] !== undefined && (spec.limit ? `limits.${spec.key}` : spec.key) === key);
      return e ? ` (${e[0]}=${env[e[0]]})` : '';
    };
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}${setBy(i.path.join('.'))}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${where}`);
  }
  const config = parsed.data;
  config.dataDir = path.resolve(cwd, config.dataDir);
  if (config.enabledLanguages) {
    const names = new Set(config.languages.map((l) => l.name));
    const unknown = config.enabledLanguages.filter((n) => !names.has(n));
    if (unknown.length) throw new ConfigError(`enabledLanguages names languages that are not configured: ${unknown.join(', ')} (configured: ${[...names].join(', ')})`);
    config.languages = config.languages.filter((l) => config.enabledLanguages!.includes(l.name));
  }
  return config;
}

export function databasePath(config: Config): string {
  return path.join(config.dataDir, 'cellbox.sqlite');
}

export function filestorePath(config: Config): string {
  return path.join(config.dataDir, 'files.sqlite');
}
