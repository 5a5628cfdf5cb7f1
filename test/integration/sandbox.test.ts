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
});

describe('the file system', () => {
  it('works in a fresh private directory that is its cwd and HOME, and is gone afterwards', async () => {
    const first = await py('import os\nprint(os.getcwd(), os.environ["HOME"], os.listdir("."))\nopen("left.txt", "w").write("x")');
    expect(first.trim()).toBe('/cell /cell []');
    expect((await py('import os\nprint(os.listdir("."))')).trim()).toBe('[]');
  });
});

describe('limits', () => {
  it('sets the rlimits: processes, CPU, file size, no core dumps', async () => {
    const out = await py('import resource as r\nprint([r.getrlimit(x)[0] for x in (r.RLIMIT_NPROC, r.RLIMIT_CPU, r.RLIMIT_FSIZE, r.RLIMIT_CORE, r.RLIMIT_AS)])');
    expect(JSON.parse(out)).toEqual([64, 30, 10 * 1024 * 1024, 0, 512 * 1024 * 1024]);
  });
});
