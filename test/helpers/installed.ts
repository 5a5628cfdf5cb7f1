// Whether a test can use a system the machine may lack (R, GAP, pandas…). As root, `npm test`'s
// set-up installs every wanted package, so there nothing may be missing and the tests run (and
// fail loudly if the set-up did not install it); as another user they are skipped where the
// program is not there.
import fs from 'node:fs';

const isRoot = process.getuid?.() === 0;

/** True when every path exists, or always as root. */
export function installed(...paths: string[]): boolean {
  return isRoot || paths.every((p) => fs.existsSync(p));
}

/** The languages of `runtimes` (language → its program's path) a test may run. */
export function runnable(runtimes: Record<string, string>): string[] {
  return Object.keys(runtimes).filter((language) => installed(runtimes[language]));
}
