// Attack: fill the disk, or the memory behind the cell's file systems. One huge file; files
// until the working directory is full; 100,000 small files (each costs an inode and a page)
// and 100,000 empty ones (an inode each, no bytes at all); and every other place a cell might
// store bytes: /tmp, /dev/shm, /dev itself, and a tmpfs of its own mounted in a nested user
// namespace.
// Must happen: a file stops at 10 MiB (EFBIG, or SIGXFSZ for a program that does not catch
// it); the working directory stops at its size (ENOSPC); /tmp and /dev/shm at theirs; nothing
// else takes bytes at all. The cell keeps at most 50 files and 20 MiB, names on stderr what it
// did not keep, and the data directory grows by no more than that; a cell whose last
// statement hits a limit ends with that language's error; the next cell runs; the server
// stays healthy.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, run, startCellbox, stderr, stdout, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, expectStopped, ok } from '../helpers/hostile';

const MiB = 1024 * 1024;
/** The defaults of the brief: 10 MiB per file, 50 files and 20 MiB kept per cell. */
const FILE_BYTES = 10 * MiB;
const KEPT_FILES = 50;
const KEPT_BYTES = 20 * MiB;
/** The working directory's size (device/sandbox.ts: twice the files kept) and /tmp's. */
const CELL_DIR_BYTES = 2 * KEPT_BYTES;
const TMP_BYTES = 64 * MiB;
/**
 * Most the data directory may grow by for one cell's files: their bytes in the database and,
 * until the next checkpoint, their copy in its write-ahead log, plus a little for the rows.
 */
const STORED_BYTES = 2 * KEPT_BYTES + 4 * MiB;
let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '30' });
});

afterAll(async () => {
  await box?.stop();
});

function dataDirBytes(): number {
  return fs.readdirSync(box.dataDir).reduce((sum, name) => sum + fs.statSync(path.join(box.dataDir, name)).size, 0);
}

/** The files the server kept for a cell, as GET /api/v1/cells/:id lists them. */
async function keptFiles(id: string): Promise<{ name: string; size: number }[]> {
  return (await get(`${box.url}/api/v1/cells/${id}`)).body.files;
}

async function runAndId(code: string, language: 'python' | 'bash'): Promise<{ id: string; ms: Awaited<ReturnType<typeof run>> }> {
  const r = await post(`${box.url}/api/v1/execute`, { code, language });
  expect(r.status).toBe(200);
  return { id: r.body.id, ms: r.body.messages };
}

function expectKeptWithinLimits(files: { name: string; size: number }[]): void {
  expect(files.length).toBeLessThanOrEqual(KEPT_FILES);
  expect(files.reduce((sum, f) => sum + f.size, 0)).toBeLessThanOrEqual(KEPT_BYTES);
  for (const f of files) expect(f.size).toBeLessThanOrEqual(FILE_BYTES);
}

describe('filling the disk', () => {
  it('Python: one huge file stops at 10 MiB, then the working directory fills, and only the limits are kept', async () => {
    const before = dataDirBytes();
    const { id, ms } = await runAndId(`
import errno
def fill(name, limit):
    written = 0
    try:
        with open(name, "wb") as f:
            while written < limit:
                f.write(b"x" * (1 << 20))
                f.flush()
                written += 1 << 20
    except OSError as e:
        return written, errno.errorcode[e.errno]
    return written, "ok"
print("huge", *fill("huge", 1 << 40))
n = 0
while True:
    n += 1
    written, how = fill(f"fill{n}", 8 << 20)
    if how != "ok":
        print("full after", n, how)
        break
# Last, uncaught: one more write into the full directory.
open("more", "wb").write(b"x" * (1 << 20))
`, 'python');
    const lines = stdout(ms).trim().split('\n');
    expect(lines[0]).toBe(`huge ${FILE_BYTES} EFBIG`);
    expect(lines[1]).toMatch(/^full after \d+ ENOSPC$/);
    expectStopped(ms, 'OSError', /No space left on device/);
    expect(stderr(ms)).toMatch(/files? not kept: .*over the limit of 20971520 bytes in all/);
    expectKeptWithinLimits(await keptFiles(id));
    expect(dataDirBytes() - before).toBeLessThanOrEqual(STORED_BYTES);
    await expectRecovered(box, ['python']);
  });

  it('Bash: one huge file stops at 10 MiB (SIGXFSZ), then the working directory fills, and only the limits are kept', async () => {
    const before = dataDirBytes();
    const { id, ms } = await runAndId(`
head -c 1G /dev/zero > huge
echo "huge $? $(stat -c %s huge)"
n=0
while n=$((n + 1)); head -c 8M /dev/zero > fill$n; do :; done 2>/dev/null
echo "full after $n"
# Last, uncaught: one more write into the full directory.
head -c 1M /dev/zero > more
`, 'bash');
    const lines = stdout(ms).trim().split('\n');
    expect(lines[0]).toBe(`huge ${128 + 25} ${FILE_BYTES}`); // head killed by SIGXFSZ
    expect(lines[1]).toMatch(/^full after \d+$/);
    expect(stderr(ms)).toMatch(/No space left on device/);
    expectStopped(ms, 'ExitStatus', /exit status 1/);
    expectKeptWithinLimits(await keptFiles(id));
    expect(dataDirBytes() - before).toBeLessThanOrEqual(STORED_BYTES);
    await expectRecovered(box, ['bash']);
  });

  it('Python and Bash: 100,000 small files and 100,000 empty ones; 50 are kept and the rest named as not kept', async () => {
    const cells = await Promise.all([
      runAndId(`
import errno
made = 0
try:
    for i in range(100_000):
        with open(f"s{i}", "w") as f:
            f.write("x")
        made += 1
except OSError as e:
    print("small stopped", errno.errorcode[e.errno])
print("small", made)
`, 'python'),
      runAndId('for i in $(seq 100000); do : > "e$i"; done; ls | wc -l', 'bash'),
      runAndId('for i in $(seq 100000); do echo x > "s$i" || break; done 2>/dev/null; echo "small $(ls | wc -l)"', 'bash'),
      runAndId('for i in range(100_000):\n    open(f"e{i}", "w").close()\nimport os\nprint(len(os.listdir(".")))', 'python'),
    ]);
    for (const { id, ms } of cells) {
      expect(stdout(ms)).toMatch(/\d/);
      const files = await keptFiles(id);
      expect(files).toHaveLength(KEPT_FILES);
      expectKeptWithinLimits(files);
      expect(stderr(ms)).toMatch(/files not kept: .*over the limit of 50 files.*, and \d+ more\n$/);
    }
    // Small files fill the directory's pages long before 100,000; empty ones all fit.
    expect(stdout(cells[0].ms)).toMatch(/small stopped ENOSPC\nsmall \d+\n/);
    expect(stdout(cells[1].ms)).toBe('100000\n');
    expect(Number(/small (\d+)/.exec(stdout(cells[2].ms))![1])).toBeLessThan(100_000);
    expect(stdout(cells[3].ms)).toBe('100000\n');
    // The next cells start in an empty directory.
    expect(await ok(box, 'import os\nprint(os.listdir("."))')).toBe('[]\n');
    expect(await ok(box, 'ls -A | wc -l', 'bash')).toBe('0\n');
    await expectRecovered(box, ['python', 'bash']);
  });

  /** Python writes up to `limit` bytes under each place (8 MiB files) and prints how much went in. */
  const FILL_PLACES_PY = (limit: number) => `
import ctypes, json, os
def fill(directory, limit=${limit}):
    written = 0
    try:
        os.makedirs(directory, exist_ok=True)
        for i in range(limit // (8 << 20)):
            with open(f"{directory}/fill{i}", "wb") as f:
                f.write(b"x" * (8 << 20))
            written += 8 << 20
    except OSError:
        pass
    return written
result = {d: fill(d + "/cellbox-fill") for d in ("/cell", "/tmp", "/dev/shm", "/dev")}
# A tmpfs of its own, in a user namespace of its own: tmpfs mounts are allowed there.
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000
pid = os.fork()
if pid == 0:
    written = 0
    uid, gid = os.getuid(), os.getgid()
    try:
        if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0:
            for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
                with open(f"/proc/self/{name}", "w") as f:
                    f.write(text)
            if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0:
                written = fill("/tmp/own")
    except OSError:
        pass
    os.write(1, json.dumps({"own tmpfs": written}).encode() + b"\\n")
    os._exit(0)
os.waitpid(pid, 0)
print(json.dumps(result))
`;

  it('Python and Bash: no other place takes more than its size: /tmp, /dev/shm, /dev, a tmpfs of its own', async () => {
    const limit = 80 * MiB; // more than any scratch place may hold
    const [py, sh] = await Promise.all([
      ok(box, FILL_PLACES_PY(limit)),
      ok(box, `
fill() { local n=0; mkdir -p "$1" 2>/dev/null; while (( n * 8 < ${limit / MiB} )) && head -c 8M /dev/zero > "$1/fill$n" 2>/dev/null; do n=$((n+1)); done; echo "$2 $((n * 8))"; }
fill /cell/cellbox-fill /cell
fill /tmp/cellbox-fill /tmp
fill /dev/shm/cellbox-fill /dev/shm
fill /dev/cellbox-fill /dev
# Where unshare itself is refused (no user namespace may be made), nothing was stored.
unshare -rm bash -c "$(declare -f fill); mount -t tmpfs none /tmp 2>/dev/null && fill /tmp/own 'own tmpfs' || echo 'own tmpfs 0'" 2>/dev/null || echo 'own tmpfs 0'
true
`, 'bash'),
    ]);
    const [own, places] = py.trim().split('\n').map((l) => JSON.parse(l));
    const pyMiB = Object.fromEntries(Object.entries({ ...places, ...own }).map(([k, v]) => [k, (v as number) / MiB]));
    const shMiB = Object.fromEntries(sh.trim().split('\n').map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
    // The most each place may take, in MiB: nothing at all but the three scratch places.
    const bound: Record<string, number> = { '/cell': CELL_DIR_BYTES / MiB, '/tmp': TMP_BYTES / MiB, '/dev/shm': TMP_BYTES / MiB, '/dev': 0, 'own tmpfs': 0 };
    const over: string[] = [];
    for (const [language, got] of [['python', pyMiB], ['bash', shMiB]] as const) {
      expect(Object.keys(got).sort()).toEqual(Object.keys(bound).sort());
      for (const [place, most] of Object.entries(bound)) {
        if (got[place] > most) over.push(`${language} stored ${got[place]} MiB in ${place} (at most ${most})`);
      }
    }
    expect(over).toEqual([]);
    await expectRecovered(box, ['python', 'bash']);
  });
});
