#!/usr/bin/env node
// Builds what is stale: the device, API and backup bundles (esbuild, dist/device.mjs, dist/api.mjs, dist/backup.mjs) and the web app (next build).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function newest(paths) {
  let t = 0;
  const walk = (p) => {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p)) if (e !== 'node_modules' && !e.startsWith('.')) walk(path.join(p, e));
    } else t = Math.max(t, st.mtimeMs);
  };
  for (const p of paths) walk(path.join(root, p));
  return t;
}

function age(file) {
  try {
    return fs.statSync(path.join(root, file)).mtimeMs;
  } catch {
    return 0;
  }
}

/** esbuild's options for the bundles Node.js runs: the device and the hot API routes. */
const SERVER_BUNDLE = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  external: ['better-sqlite3'],
  // Bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __cellboxRequire } from 'node:module'; const require = __cellboxRequire(import.meta.url);" },
  logLevel: 'warning',
};

const shared = ['protocol', 'store', 'filestore', 'workers', 'package.json', 'package-lock.json'];

/** Bundles `entry` (under `dir`) as `outfile` when anything it may import is newer. */
async function serverBundle(what, dir, entry, outfile) {
  if (newest([dir, ...shared, 'scripts/build.mjs']) <= age(outfile)) return;
  console.log(`[build] ${what}…`);
  await build({ entryPoints: [path.join(root, entry)], outfile: path.join(root, outfile), ...SERVER_BUNDLE });
}

// The Python fork servers' C parts (workers/python/forkserver.py): the namespace maker, a
// program, and the cell's first steps, a library the zygote loads. Built beside their sources,
// since the sandbox sees the workers folder alone; first, since the bundles below count the
// workers folder's files as their sources.
// Both bind every symbol at load (-z now): the maker's clone for each cell (its init) called
// mount, ioctl and the rest for the first time, and each first call resolved its symbol and
// wrote the maker's GOT page, a copy-on-write fault, in every cell. Rebuilt when this script
// changes too, since the flags live here.
// The JavaScript fork server's forker (workers/node/forker.c) is a Node addon with cellstart.c
// compiled in; it declares the Node-API calls it makes, so no Node headers are needed.
const cellStart = ['workers/python/cellstart.c', 'workers/python/cellstart.h'];
for (const [what, sources, out, flags] of [
  ['namespace maker', ['workers/python/nsmaker.c'], 'workers/python/nsmaker', []],
  ['cell start', cellStart, 'workers/python/cellstart.so', ['-shared', '-fPIC']],
  ['JavaScript forker', ['workers/node/forker.c', ...cellStart], 'workers/node/forker.node', ['-shared', '-fPIC', '-Iworkers/python']],
  // Linked into every C and Fortran cell's program (workers/compiled/kernel.sh says why here).
  ['C and Fortran cells\' runtime', ['workers/compiled/runtime.c'], 'workers/compiled/runtime.o', ['-c', '-fPIE']],
]) {
  if (Math.max(...sources.map(age), age('scripts/build.mjs')) <= age(out)) continue;
  console.log(`[build] ${what}…`);
  const link = flags.includes('-c') ? [] : ['-Wl,-z,now,-z,relro'];
  const compiled = sources.filter((s) => s.endsWith('.c'));
  const r = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', ...flags, ...link, '-o', out, ...compiled], { cwd: root, stdio: 'inherit' });
  if (r.error || r.status !== 0) {
    // Without gcc the spawn fails; otherwise gcc has printed why above (a missing header: no libc6-dev).
    const cause = r.error ? `gcc could not start (${r.error.message})` : `gcc failed, as it says above`;
    console.error(`[build] could not compile ${compiled.join(' ')}: ${cause}; gcc and libc6-dev are needed: apt-get install -y gcc libc6-dev`);
    process.exit(1);
  }
}

// Maxima's share packages that are Lisp (draw, descriptive, lapack …), compiled ahead: Maxima
// compiles one the first time it is loaded, into its user folder, which is new and empty for
// every cell (workers/maxima/kernel.sh), so a cell's load(draw) took some 30 s, past the wall
// time. Compiled here once, into the workers folder the sandbox sees, and copied into each
// worker's folder as it starts: load(draw) then takes about a second. Again when Maxima's
// version or this list changes; left out where Maxima is not installed. Not lapack or minpack,
// Fortran turned into Lisp: lapack alone was still compiling after four minutes on a loaded
// 2-core VM, a cost every first build would pay for a package few cells load.
const MAXIMA_PACKAGES = ['draw', 'descriptive', 'distrib', 'to_poly_solve', 'mnewton', 'interpol', 'orthopoly', 'simplex', 'stats', 'implicit_plot', 'contrib_ode', 'fourie', 'diag', 'lsquares', 'graphs', 'stringproc', 'ezunits', 'drawdf', 'linearalgebra', 'vect', 'romberg', 'quadpack'];
const maximaVersion = spawnSync('maxima-sage', ['--version'], { encoding: 'utf8' });
if (!maximaVersion.error && maximaVersion.status === 0) {
  const compiledDir = path.join(root, 'workers/maxima/compiled');
  const stampFile = path.join(compiledDir, '.stamp');
  const stamp = JSON.stringify({ version: maximaVersion.stdout.trim(), packages: MAXIMA_PACKAGES });
  if (!fs.existsSync(stampFile) || fs.readFileSync(stampFile, 'utf8') !== stamp) {
    console.log('[build] Maxima share packages (once, a minute or two)…');
    const userdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-maxima-'));
    const loads = MAXIMA_PACKAGES.map((p) => `load(${p})$`).join(' ') + ' quit()$\n';
    const r = spawnSync('maxima-sage', ['--very-quiet', `--userdir=${userdir}`], { input: loads, encoding: 'utf8', cwd: userdir, timeout: 30 * 60_000 });
    const binary = path.join(userdir, 'binary');
    if (r.status !== 0 || !fs.existsSync(binary)) {
      // Not fatal: a cell still loads a package, compiling it as it goes.
      console.error(`[build] could not compile Maxima's share packages (${r.error?.message ?? `status ${r.status}`}); a cell's load(draw) will compile it, slowly: ${(r.stderr || r.stdout || '').trim().slice(-500)}`);
    } else {
      fs.rmSync(compiledDir, { recursive: true, force: true });
      fs.mkdirSync(compiledDir, { recursive: true });
      fs.cpSync(binary, path.join(compiledDir, 'binary'), { recursive: true });
      fs.writeFileSync(stampFile, stamp);
    }
    fs.rmSync(userdir, { recursive: true, force: true });
  }
}

await serverBundle('device', 'device', 'device/main.ts', 'dist/device.mjs');
// The hot API routes, for scripts/web.mjs to answer without Next.js (app/_lib/router.ts).
await serverBundle('API routes', 'app', 'app/_lib/router.ts', 'dist/api.mjs');
// The online backup of the data directory, for scripts/backup.mjs (store/backup.ts).
await serverBundle('backup', 'store', 'store/backup.ts', 'dist/backup.mjs');

// The embed script, for any page on any site: one file, no imports, ES2022 syntax (every browser
// since 2022). /embed.js follows the newest version; /embed/v1.js stays v1.
const embedFiles = ['public/embed.js', 'public/embed/v1.js'];
if (newest(['embed', 'protocol', 'package-lock.json', 'scripts/build.mjs']) > Math.min(...embedFiles.map(age))) {
  console.log('[build] embed script…');
  for (const file of embedFiles) {
    await build({
      entryPoints: [path.join(root, 'embed/main.ts')],
      outfile: path.join(root, file),
      bundle: true,
      minify: true,
      format: 'iife',
      platform: 'browser',
      target: ['es2022'],
      sourcemap: 'linked',
      legalComments: 'linked',
      logLevel: 'warning',
    });
  }
}

// MathJax and its font are served by Cellbox itself (no CDN): copied from node_modules.
const mathjaxDir = path.join(root, 'public/mathjax');
const mathjaxVersion = JSON.parse(fs.readFileSync(path.join(root, 'node_modules/mathjax/package.json'), 'utf8')).version;
const stamp = path.join(mathjaxDir, '.version');
if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== mathjaxVersion) {
  console.log('[build] MathJax…');
  fs.rmSync(mathjaxDir, { recursive: true, force: true });
  fs.cpSync(path.join(root, 'node_modules/mathjax'), mathjaxDir, { recursive: true });
  fs.cpSync(path.join(root, 'node_modules/@mathjax/mathjax-newcm-font'), path.join(mathjaxDir, 'fonts/mathjax-newcm-font'), {
    recursive: true,
    filter: (src) => !/\/(svg|cjs|mjs|examples|def|tsconfig)$/.test(src) && !src.endsWith('.ts'),
  });
  fs.writeFileSync(stamp, mathjaxVersion);
}

// The viewer of Sage's 3D graphics (embed/viewer3d.ts): a frame document and its script, with
// three.js beside them, served by Cellbox itself (no CDN) from node_modules. Sage's page is
// written for three.js r122 (sage/ext_data/threejs/threejs-version.txt), which npm's three
// 0.122.0 is; its OrbitControls are the examples' global-script build. The folder's name is
// VIEWER3D_PATH's in embed/viewer3d.ts: a new three.js or frame takes a new one, since the
// folder is served as never changing (app/_lib/assets.ts).
const VIEWER3D_DIR = 'public/viewer3d/r122-2';
const threePackage = path.join(root, 'node_modules/three/package.json');
const threeVersion = fs.existsSync(threePackage) ? JSON.parse(fs.readFileSync(threePackage, 'utf8')).version : null;
if (threeVersion !== '0.122.0') {
  console.error(`[build] three.js 0.122.0 (r122, what Sage's 3D viewer is written for) is needed in node_modules, found ${threeVersion ?? 'none'}: run npm install`);
  process.exit(1);
}
const viewerSources = ['embed/viewer3d-frame.ts', 'embed/viewer3d-messages.ts', 'embed/viewer3d-theme.ts', 'embed/viewer3d-frame.html', 'package-lock.json', 'scripts/build.mjs'];
if (Math.max(...viewerSources.map(age)) > age(`${VIEWER3D_DIR}/frame.js`)) {
  console.log('[build] 3D viewer…');
  const dir = path.join(root, VIEWER3D_DIR);
  fs.rmSync(path.join(root, 'public/viewer3d'), { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(root, 'node_modules/three/build/three.min.js'), path.join(dir, 'three.min.js'));
  fs.copyFileSync(path.join(root, 'node_modules/three/examples/js/controls/OrbitControls.js'), path.join(dir, 'OrbitControls.js'));
  fs.copyFileSync(path.join(root, 'node_modules/three/LICENSE'), path.join(dir, 'LICENSE.three.txt'));
  fs.copyFileSync(path.join(root, 'embed/viewer3d-frame.html'), path.join(dir, 'frame.html'));
  await build({
    entryPoints: [path.join(root, 'embed/viewer3d-frame.ts')],
    outfile: path.join(dir, 'frame.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    logLevel: 'warning',
  });
}

// The static files the web server sends, compressed once here (a .br and a .gz beside each
// file, which app/_lib/assets.ts serves) rather than by the web server for every page that
// loads them. The embed script and Cellbox's pages' scripts (~1.3 MB), which every page with a
// cell loads, get brotli's best (~1.3 s a megabyte); MathJax's ~30 MB brotli 9 (its best would
// take a minute). In the thread pool, side by side.
const COMPRESSIBLE = /\.(js|mjs|cjs|json|map|css|txt)$/;
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);
async function precompress(file, quality) {
  const source = fs.statSync(file).mtimeMs;
  if (age(path.relative(root, `${file}.br`)) > source && age(path.relative(root, `${file}.gz`)) > source) return 0;
  const data = fs.readFileSync(file);
  const params = { [zlib.constants.BROTLI_PARAM_QUALITY]: quality, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length };
  const [br, gz] = await Promise.all([brotli(data, { params }), gzip(data, { level: 9 })]);
  fs.writeFileSync(`${file}.br`, br);
  fs.writeFileSync(`${file}.gz`, gz);
  return 1;
}
/** Compresses what is stale of the compressible files under `dir`, those `best` says at brotli's best. */
async function compressForServing(dir, best) {
  const files = fs.existsSync(path.join(root, dir)) ? fs.readdirSync(path.join(root, dir), { recursive: true }).map((f) => path.join(root, dir, f)) : [];
  const wanted = files.filter((f) => COMPRESSIBLE.test(f)).map((f) => [f, best(f) ? 11 : 9]);
  const n = (await Promise.all(wanted.map(([f, q]) => precompress(f, q)))).reduce((a, b) => a + b, 0);
  if (n) console.log(`[build] compressed ${n} files under ${dir} for serving`);
}
await compressForServing('public', (f) => embedFiles.some((e) => f === path.join(root, e)));

if (newest(['app', 'embed', 'public', 'proxy.ts', 'next.config.ts', 'tsconfig.json', ...shared]) > age('.next/BUILD_ID')) {
  console.log('[build] web app (next build)…');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/next/dist/bin/next'), 'build'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
// Cellbox's own pages' scripts and styles (served from .next/static by app/_lib/assets.ts).
await compressForServing('.next/static', () => true);
