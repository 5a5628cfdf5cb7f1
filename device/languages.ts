// Finds each configured language's runtime on this machine and turns it into a sandbox spec.
// A language whose runtime is missing is left out with a log line saying how to install it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { languageLimits, type Config, type LanguageConfig } from '../store/config';
import type { SandboxSpec } from './sandbox';

export interface RunnableLanguage {
  config: LanguageConfig;
  spec: SandboxSpec;
  /** The version its probe found; without a probe, the first worker's `ready` says it. */
  version?: string;
}

type Probe = NonNullable<LanguageConfig['versionProbe']>;

const PROBE_TIMEOUT_MS = 15_000;
const MAX_VERSION_LENGTH = 100;

/**
 * Runs a language's version probe on the host, with the language's environment: the version,
 * `missing` when its program is not installed, or why it failed.
 */
export function probeVersion(probe: Probe, env: Record<string, string>, pathVar: string): { version: string } | { missing: string } | { error: string } {
  const exe = findExecutable(probe.command[0], pathVar);
  if (!exe) return { missing: probe.command[0] };
  const probeEnv: Record<string, string> = { PATH: pathVar, LANG: 'C.UTF-8', HOME: os.tmpdir(), ...env };
  const r = spawnSync(exe, probe.command.slice(1), {
    env: probeEnv as NodeJS.ProcessEnv,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: PROBE_TIMEOUT_MS,
    maxBuffer: 1024 * 1024,
  });
  const shown = probe.command.join(' ');
  if (r.error) return { error: `${shown} failed: ${r.error.message}` };
  if (r.status !== 0) return { error: `${shown} exited with ${r.signal ?? `status ${r.status}`}: ${(r.stderr || r.stdout).trim().slice(0, 300)}` };
  const output = r.stdout.trim() ? r.stdout : r.stderr;
  let version: string | undefined;
  if (probe.pattern) {
    const m = new RegExp(probe.pattern).exec(output);
    version = m ? (m[1] ?? m[0]) : undefined;
  } else {
    version = output.split('\n').map((l) => l.trim()).find(Boolean);
  }
  if (!version?.trim()) return { error: `${shown} said no version${probe.pattern ? ` matching /${probe.pattern}/` : ''}: ${output.trim().slice(0, 300)}` };
  return { version: version.trim().slice(0, MAX_VERSION_LENGTH) };
}

function findExecutable(name: string, pathVar: string): string | null {
  const candidates = name.includes('/') ? [name] : pathVar.split(':').filter(Boolean).map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return path.resolve(c);
    } catch {
      // try the next one
    }
  }
  return null;
}

/** The sandbox binds /usr already; a runtime installed elsewhere gets its install prefix bound too. */
function extraPathsFor(executable: string): string[] {
  const real = fs.realpathSync(executable);
  if (real.startsWith('/usr/')) return [];
  return [path.dirname(path.dirname(real))];
}

export function resolveLanguages(
  config: Config,
  workersDir: string,
  log: (level: 'info' | 'warn' | 'error', msg: string) => void,
  pathVar = process.env.PATH ?? '/usr/bin:/bin',
): RunnableLanguage[] {
  const out: RunnableLanguage[] = [];
  for (const lang of config.languages) {
    const exe = findExecutable(lang.command[0], pathVar);
    if (!exe) {
      log('warn', `language ${lang.name} left out: ${lang.command[0]} is not installed${lang.install ? ` (install it with: ${lang.install})` : ''}`);
      continue;
    }
    const missing = lang.readOnlyPaths.filter((p) => !fs.existsSync(p));
    if (missing.length) {
      log('warn', `language ${lang.name} left out: ${missing.join(', ')} not found${lang.install ? ` (install it with: ${lang.install})` : ''}`);
      continue;
    }
    let version: string | undefined;
    if (lang.versionProbe) {
      const found = probeVersion(lang.versionProbe, lang.env, pathVar);
      if ('missing' in found) {
        log('warn', `language ${lang.name} left out: ${found.missing} is not installed${lang.install ? ` (install it with: ${lang.install})` : ''}`);
        continue;
      }
      if ('error' in found) {
        log('warn', `language ${lang.name} left out: its version probe ${found.error}${lang.install ? ` (reinstall it with: ${lang.install})` : ''}`);
        continue;
      }
      version = found.version;
    }
    out.push({
      config: lang,
      spec: {
        command: [exe, ...lang.command.slice(1)],
        env: lang.env,
        readOnlyPaths: [...lang.readOnlyPaths, ...extraPathsFor(exe)],
        memoryRlimit: lang.memoryRlimit,
        limits: languageLimits(config, lang.name),
        workersDir,
      },
      version,
    });
  }
  return out;
}
