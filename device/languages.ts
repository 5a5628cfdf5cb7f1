// Finds each configured language's runtime on this machine and turns it into a sandbox spec.
// A language whose runtime is missing is left out with a log line saying how to install it.
import fs from 'node:fs';
import path from 'node:path';
import type { Config, LanguageConfig } from '../store/config';
import type { SandboxSpec } from './sandbox';

export interface RunnableLanguage {
  config: LanguageConfig;
  spec: SandboxSpec;
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
    out.push({
      config: lang,
      spec: {
        command: [exe, ...lang.command.slice(1)],
        env: lang.env,
        readOnlyPaths: [...lang.readOnlyPaths, ...extraPathsFor(exe)],
        memoryRlimit: lang.memoryRlimit,
        limits: config.limits,
        workersDir,
      },
    });
  }
  return out;
}
