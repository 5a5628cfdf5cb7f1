#!/usr/bin/env node
// Installs what this machine lacks for Cellbox: npm packages, and the Debian packages the
// sandbox needs (as root), or stops with the exact command to run. `--for-tests` adds what
// the test suites need, `--for-bench` Jupyter Server for the bench to compare with.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--for-tests');
const forBench = process.argv.includes('--for-bench');

function say(msg) {
  console.log(`[setup] ${msg}`);
}

function fail(msg) {
  console.error(`[setup] ${msg}`);
  process.exit(1);
}

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) fail(`Cellbox needs Node.js 20 or newer; this is ${process.version}.`);

// 1. npm packages: install when node_modules is missing or older than the lock file.
const lock = path.join(root, 'package-lock.json');
const installed = path.join(root, 'node_modules', '.package-lock.json');
if (!fs.existsSync(installed) || (fs.existsSync(lock) && fs.statSync(lock).mtimeMs > fs.statSync(installed).mtimeMs)) {
  say('installing npm packages…');
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail('npm could not install the packages (see above).');
}

// 2. Debian packages, each with the file that proves it is there. Required ones stop the
// set-up when they cannot be installed; wanted ones (Python's scientific stack, the runtimes of
// the languages the config enables, the test browser) are installed when we can and reported
// when we cannot.

/** The Debian packages of each language's runtime, by the language's name in the registry. */
const LANGUAGE_PACKAGES = {
  sage: [{ pkg: 'sagemath', file: '/usr/lib/python3/dist-packages/sage' }],
  // ggplot2, what most R courses draw with; 27 packages without recommends.
  r: [{ pkg: 'r-base-core', file: '/usr/bin/R' }, { pkg: 'r-cran-ggplot2', file: '/usr/lib/R/site-library/ggplot2' }],
  // Octave draws its figures through gnuplot, off screen, and cannot make axes without its
  // default font (a Recommends of octave, which the install without recommends leaves out).
  octave: [
    { pkg: 'octave', file: '/usr/bin/octave-cli' },
    { pkg: 'gnuplot-nox', file: '/usr/bin/gnuplot' },
    { pkg: 'fonts-freefont-otf', file: '/usr/share/fonts/opentype/freefont/FreeSans.otf' },
  ],
  gp: [{ pkg: 'pari-gp', file: '/usr/bin/gp' }],
  // GAP's library is a package of its own; the small groups library (SmallGroup) is the one of
  // GAP's packages that cells use most.
  gap: [
    { pkg: 'gap-core', file: '/usr/bin/gap' },
    { pkg: 'gap-libs', file: '/usr/share/gap/lib/init.g' },
    { pkg: 'gap-smallgrp', file: '/usr/share/gap/pkg/SmallGrp' },
  ],
  // Maxima's share packages (load(draw), load(distrib)) are a package of their own; its plots
  // (plot2d, draw2d) are drawn by gnuplot, as PNG.
  maxima: [
    { pkg: 'maxima-sage', file: '/usr/bin/maxima-sage' },
    { pkg: 'maxima-sage-share', file: '/usr/share/maxima-sage' },
    { pkg: 'gnuplot-nox', file: '/usr/bin/gnuplot' },
  ],
  // Singular's libraries (LIB "primdec.lib"), standard.lib among them, are a package of their own.
  singular: [{ pkg: 'singular-ui', file: '/usr/bin/Singular' }, { pkg: 'singular-data', file: '/usr/share/singular/LIB/standard.lib' }],
  // Without recommends, gcc comes without the C library's headers.
  c: [{ pkg: 'gcc', file: '/usr/bin/gcc' }, { pkg: 'libc6-dev', file: '/usr/include/stdio.h' }],
  fortran: [{ pkg: 'gfortran', file: '/usr/bin/gfortran' }, { pkg: 'libc6-dev', file: '/usr/include/stdio.h' }],
};

/**
 * The names of the languages this machine should run: those the config enables (store/config.ts
 * read as the servers read it, bundled on the fly since it is TypeScript); for the tests, every
 * language of the default registry as well, since the suites run each one.
 */
async function enabledLanguages() {
  const { build } = await import('esbuild');
  const bundle = await build({ entryPoints: [path.join(root, 'store/config.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', write: false, logLevel: 'silent' });
  const { loadConfig, DEFAULTS } = await import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString('base64')}`);
  let names;
  try {
    names = loadConfig(process.env, process.cwd()).languages.map((l) => l.name);
  } catch (e) {
    say(`the configuration does not load (${e.message}); installing the runtimes of the default languages`);
    names = DEFAULTS.languages.map((l) => l.name);
  }
  if (forTests) names.push(...DEFAULTS.languages.map((l) => l.name));
  return [...new Set(names)];
}

const languages = await enabledLanguages();
const required = [
  { pkg: 'bubblewrap', file: '/usr/bin/bwrap' },
  { pkg: 'python3', file: '/usr/bin/python3' },
  { pkg: 'util-linux', file: '/usr/bin/prlimit' },
  { pkg: 'util-linux', file: '/usr/bin/setpriv' },
  // The Python fork servers' namespace maker and cells' first steps are C (workers/python/*.c),
  // built by build.mjs.
  { pkg: 'gcc', file: '/usr/bin/gcc' },
  { pkg: 'libc6-dev', file: '/usr/include/stdio.h' },
];
const wanted = [
  { pkg: 'python3-numpy', file: '/usr/lib/python3/dist-packages/numpy' },
  { pkg: 'python3-matplotlib', file: '/usr/lib/python3/dist-packages/matplotlib' },
  { pkg: 'python3-sympy', file: '/usr/lib/python3/dist-packages/sympy' },
  // Data frames (shown as Jupyter's tables) and SciPy, which a course's cells import beside numpy.
  { pkg: 'python3-pandas', file: '/usr/lib/python3/dist-packages/pandas' },
  { pkg: 'python3-scipy', file: '/usr/lib/python3/dist-packages/scipy' },
  // pandas' Styler (`df.style`) makes its HTML with Jinja; only a Recommends of python3-pandas.
  { pkg: 'python3-jinja2', file: '/usr/lib/python3/dist-packages/jinja2' },
  // Progress bars, which course notes' long loops wrap in tqdm (drawn on stderr, \r by \r).
  { pkg: 'python3-tqdm', file: '/usr/lib/python3/dist-packages/tqdm' },
  // IPython.display (HTML, Markdown, Math, Image, …), which cells written for Jupyter import.
  { pkg: 'python3-ipython', file: '/usr/lib/python3/dist-packages/IPython' },
  ...languages.flatMap((name) => LANGUAGE_PACKAGES[name] ?? []),
  ...(forTests ? [{ pkg: 'chromium', file: '/usr/bin/chromium' }] : []),
  // The bench runs the same cells against Jupyter Server for comparison.
  ...(forBench ? [{ pkg: 'python3-jupyter-server', file: '/usr/lib/python3/dist-packages/jupyter_server' }, { pkg: 'python3-ipykernel', file: '/usr/lib/python3/dist-packages/ipykernel' }] : []),
];
const missingOf = (list) => [...new Set(list.filter((n) => !fs.existsSync(n.file)).map((n) => n.pkg))];
const missingRequired = missingOf(required);
const missingWanted = missingOf(wanted);
const missing = [...missingRequired, ...missingWanted];
if (missing.length) {
  const line = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    if (missingRequired.length) fail(`Cellbox needs Debian packages that are missing. Run:\n\n  sudo sh -c '${line}'\n`);
    say(`optional Debian packages are missing (${missingWanted.join(', ')}); install them with: sudo sh -c '${line}'`);
  } else {
    say(`installing ${missing.join(', ')}…`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const aptGet = (...args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
    const install = ['install', '-y', '-qq', '--no-install-recommends'];
    if (!aptGet('update', '-qq')) say(`apt-get update failed; trying to install from the package lists this machine has`);
    if (!aptGet(...install, ...missing)) {
      if (missingOf(required).length) fail(`apt-get install failed; run it by hand: ${line}`);
      // One runtime this release lacks must not keep the others out: one package at a time.
      const failed = missingOf(wanted).filter((pkg) => !aptGet(...install, pkg));
      if (failed.length) say(`could not install ${failed.join(', ')}; the languages that need them are left out (${line})`);
    }
  }
}

// 3. The sandbox must work here: user namespaces allowed for this user.
try {
  execFileSync('bwrap', ['--unshare-all', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/bin', '/bin', '--', '/usr/bin/true'], { stdio: 'pipe' });
} catch (e) {
  const detail = e.stderr?.toString().trim() ?? String(e);
  fail(`bubblewrap cannot create a sandbox here (${detail}).\nUser namespaces may be disabled; as root run: sysctl -w kernel.unprivileged_userns_clone=1 (and on Ubuntu: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0).`);
}

if (forTests) say('ready for tests');
if (forBench) say('ready for the bench');
