// Attack: write outside the working directory. Into the system (/usr, /etc, /, /bin, /var),
// the worker programs every later cell runs (/opt/cellbox/workers), the project and the data
// directory by their host paths, /root and /home, /proc and /dev; and into the scratch places
// a cell may use (/tmp, /dev/shm), hoping a later cell finds what it left there.
// Must happen: every write outside /cell, /tmp and /dev/shm is refused; what a cell writes
// into those three is its own and gone when it ends (the next cell, of the same language or
// another, finds nothing); the host's project and data directory get no new file; a cell
// whose last statement is such a write ends with that language's error; the next cell runs;
// the server stays healthy.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, expectStopped, ok, reportOf } from '../helpers/hostile';

const project = path.resolve(import.meta.dirname, '..', '..');
let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '20' });
});

afterAll(async () => {
  await box?.stop();
});

const NAME = 'cellbox-hostile-write';

/** Directories a cell must not write into. */
function forbidden(): string[] {
  return [
    '/', '/usr', '/usr/bin', '/usr/lib', '/bin', '/etc', '/var', '/opt', '/opt/cellbox/workers',
    '/opt/cellbox/workers/python', '/opt/cellbox/workers/bash', '/dev', '/proc', '/proc/self',
    '/root', '/home', project, box.dataDir,
  ];
}

/** Worker programs a cell would love to rewrite for every later cell. */
const WORKER_FILES = ['/opt/cellbox/workers/python/kernel.py', '/opt/cellbox/workers/bash/kernel.sh', '/opt/cellbox/workers/node/kernel.cjs'];

/** Scratch places a cell may write to: each must be its own. */
const SCRATCH = ['/cell', '/tmp', '/dev/shm'];

/** The host's project and data directory as they are now, to see that nothing new appears. */
function hostListing(): string[] {
  return [...fs.readdirSync(project).map((n) => `project/${n}`), ...fs.readdirSync(box.dataDir).map((n) => `data/${n}`)];
}

/** What a later cell finds in the scratch places and where the forbidden writes would have gone. */
async function leftovers(language: 'python' | 'bash'): Promise<string[]> {
  const places = [...forbidden(), ...SCRATCH].map((d) => `${d}/${NAME}`);
  if (language === 'python') {
    const out = await ok(box, `import os, json\nprint(json.dumps([p for p in ${JSON.stringify(places)} if os.path.lexists(p)] + os.listdir("/cell") + os.listdir("/tmp") + os.listdir("/dev/shm")))`);
    return JSON.parse(out);
  }
  const out = await ok(box, `for p in ${places.join(' ')}; do [ -e "$p" ] && echo "$p"; done; ls -A /cell /tmp /dev/shm | grep -v ':$' | grep -v '^$'; true`, 'bash');
  return out.split('\n').filter(Boolean);
}

describe('writing outside the working directory', () => {
  it('Python: every write outside /cell, /tmp and /dev/shm is refused', async () => {
    const before = hostListing();
    const ms = await run(box.url, `
import errno, json, os
def attempt(f):
    try:
        f()
        return "written"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
def write(path, mode="w"):
    with open(path, mode) as f:
        f.write("planted by a cell\\n")
found = {d: attempt(lambda: write(f"{d}/${NAME}")) for d in ${JSON.stringify(forbidden())}}
found.update({f: attempt(lambda: write(f, "a")) for f in ${JSON.stringify(WORKER_FILES)}})
found["rename kernel.py"] = attempt(lambda: os.rename("/opt/cellbox/workers/python/kernel.py", "/opt/cellbox/workers/python/k"))
found["chmod /usr/bin/env"] = attempt(lambda: os.chmod("/usr/bin/env", 0o777))
found["mkdir /cellbox"] = attempt(lambda: os.mkdir("/cellbox-hostile"))
scratch = {d: attempt(lambda: write(f"{d}/${NAME}")) for d in ${JSON.stringify(SCRATCH)}}
print(json.dumps({"found": found, "scratch": scratch}))
# Last, uncaught: a write into /usr ends the cell with its error.
write("/usr/${NAME}")
`);
    const { found, scratch } = reportOf(ms);
    expect(Object.entries(found).filter(([, how]) => !['EROFS', 'EACCES', 'EPERM', 'ENOENT'].includes(how as string)), 'writes that were not refused').toEqual([]);
    expect(scratch).toEqual({ '/cell': 'written', '/tmp': 'written', '/dev/shm': 'written' });
    expectStopped(ms, 'OSError', /Read-only file system/);
    expect(hostListing()).toEqual(before);
    await expectRecovered(box, ['python']);
  });

  it('Bash: every write outside /cell, /tmp and /dev/shm is refused', async () => {
    const before = hostListing();
    const ms = await run(box.url, `
for d in ${forbidden().map((d) => `'${d}'`).join(' ')}; do
  if (echo planted > "$d/${NAME}") 2>/dev/null; then echo "written $d"; fi
done
for f in ${WORKER_FILES.join(' ')}; do
  if (echo planted >> "$f") 2>/dev/null; then echo "written $f"; fi
done
mv /opt/cellbox/workers/bash/kernel.sh /opt/cellbox/workers/bash/k 2>/dev/null && echo "renamed kernel.sh"
chmod 777 /usr/bin/env 2>/dev/null && echo "chmod /usr/bin/env"
for d in ${SCRATCH.join(' ')}; do
  if (echo planted > "$d/${NAME}") 2>/dev/null; then echo "scratch $d"; fi
done
# Last, uncaught: a write into /usr ends the cell with its error.
echo planted > /usr/${NAME}
`, 'bash');
    expect(stdout(ms)).toBe('scratch /cell\nscratch /tmp\nscratch /dev/shm\n');
    expectStopped(ms, 'ExitStatus', /exit status 1/);
    expect(hostListing()).toEqual(before);
    await expectRecovered(box, ['bash']);
  });

  it('whatever a cell managed to write, anywhere, no later cell of either language finds', async () => {
    // Each attacker writes wherever it can; what it wrote is then looked for by later cells.
    const places = [...forbidden(), ...SCRATCH].map((d) => `${d}/${NAME}`);
    await ok(box, `for p in ${JSON.stringify(places)}:\n    try:\n        open(p, "w").write("left by python")\n    except OSError:\n        pass`);
    await ok(box, `for p in ${places.join(' ')}; do (echo left by bash > "$p") 2>/dev/null; done; true`, 'bash');
    expect(await leftovers('python')).toEqual([]);
    expect(await leftovers('bash')).toEqual([]);
    await expectRecovered(box, ['python', 'bash']);
  });
});
