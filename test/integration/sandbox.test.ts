// The plain facts of the brief's "Sandbox" section, each run as a real cell through the real
// server and device, so what is checked is what a cell meets. What a cell trying to break out
// meets (network, host files, writes, bombs, limits, descriptors, other cells) is in
// test/hostile/, one file per attack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, run, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '8' });
});

afterAll(async () => {
  await box?.stop();
});

/** Runs Python and returns its stdout, failing the test if the cell itself failed. */
async function py(code: string): Promise<string> {
  const ms = await run(box.url, code);
  const e = errorOf(ms);
  if (e) throw new Error(`cell failed: ${e.ename}: ${e.evalue}\n${e.traceback.join('\n')}`);
  return stdout(ms);
}

describe('namespaces', () => {
  it('runs in its own PID namespace: it sees only its own processes', async () => {
    const out = await py('import os\nprint(sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))');
    const pids = JSON.parse(out);
    expect(pids.length).toBeLessThanOrEqual(4);
    expect(Math.min(...pids)).toBe(1);
  });

  it('runs as a non-root user', async () => {
    expect((await py('import os\nprint(os.getuid(), os.geteuid(), os.getgid())')).trim()).toBe('1000 1000 1000');
  });

  it("has a name for its user, and sees none of the host's users", async () => {
    // Without one, `whoami` and getpass.getuser() (which libraries call) failed.
    const out = await py('import getpass, grp, pwd, subprocess\nprint(getpass.getuser(), pwd.getpwuid(1000).pw_dir, grp.getgrgid(1000).gr_name, subprocess.run(["whoami"], capture_output=True, text=True).stdout.strip())\nprint(sorted(p.pw_name for p in pwd.getpwall()))');
    expect(out).toBe("cell /cell cell cell\n['cell', 'nobody']\n");
  });
});

describe('the file system', () => {
  it('works in a fresh private directory that is its cwd and HOME, and is gone afterwards', async () => {
    const first = await py('import os\nprint(os.getcwd(), os.environ["HOME"], os.listdir("."))\nopen("left.txt", "w").write("x")');
    expect(first.trim()).toBe('/cell /cell []');
    expect((await py('import os\nprint(os.listdir("."))')).trim()).toBe('[]');
  });
});

describe('limits', () => {
  it('sets the rlimits: processes, CPU, file size, no core dumps, and 512 MiB of address space on top of what the cell starts with', async () => {
    const out = await py([
      'import resource as r',
      'size = int(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmSize"))) * 1024',
      'print([r.getrlimit(x)[0] for x in (r.RLIMIT_NPROC, r.RLIMIT_CPU, r.RLIMIT_FSIZE, r.RLIMIT_CORE)], r.getrlimit(r.RLIMIT_AS)[0] - size)',
    ].join('\n'));
    const [limits, room] = out.trim().split('] ');
    expect(JSON.parse(`${limits}]`)).toEqual([64, 30, 10 * 1024 * 1024, 0]);
    // A forked cell's limit is its zygote's address space at the fork plus 512 MiB: what is left
    // is 512 MiB less what the cell mapped since, some 64 MiB here (its output thread's stack
    // and malloc arena, reserved, not used). Counted from 0, a light cell had 395 MiB left.
    expect(Number(room)).toBeLessThanOrEqual(512 * 1024 * 1024);
    expect(Number(room)).toBeGreaterThan(416 * 1024 * 1024);
  });
});

describe('the environment', () => {
  // A course's scripts colour their output with tput, which without a TERM failed with "No
  // value for $TERM and no -T specified"; the page shows the colours it writes.
  it("gives a Bash cell a TERM that tput knows, inside the sandbox", async () => {
    const ms = await run(box.url, 'echo "$TERM"\ntput setaf 1; echo red; tput sgr0\ntput cols', 'bash');
    expect(errorOf(ms)).toBeUndefined();
    expect(stdout(ms)).toBe('xterm-256color\n\x1b[31mred\n\x1b(B\x1b[m80\n');
  });
});
