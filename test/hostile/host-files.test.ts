// Attack: read the host's files from a cell. The project (its code, .git), the data directory
// with the SQLite databases of every cell and file, /etc/shadow, /root, /home, the host's
// /tmp, /proc/1/environ, and the /proc entries of other processes: the device, the web
// server and an unrelated host process, by their host pids, directly or through
// /proc/<pid>/root and /proc/<pid>/cwd.
// Must happen: none of it exists or can be read inside the sandbox, no secret of the host's
// processes shows anywhere in the cell's own /proc, a cell whose last statement reads such a
// file ends with that language's error as a Jupyter `error`, the next cell runs, and the
// server stays healthy.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, expectStopped, reportOf } from '../helpers/hostile';

const project = path.resolve(import.meta.dirname, '..', '..');
const SECRET = `host-secret-${process.pid}-${Date.now()}`;
let box: Cellbox;
let bystander: ChildProcess;
let hostTmp: string;

beforeAll(async () => {
  hostTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-host-file-'));
  fs.writeFileSync(path.join(hostTmp, 'secret.txt'), SECRET);
  // An unrelated host process with the secret in its arguments and environment.
  bystander = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300000)', SECRET], { env: { ...process.env, BYSTANDER_SECRET: SECRET } });
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '20', CELLBOX_HOSTILE_SECRET: SECRET });
  // Something in each database, so that a leak of either would show.
  await run(box.url, `print("${SECRET}")\nopen("kept.txt", "w").write("${SECRET}")`);
});

afterAll(async () => {
  await box?.stop();
  bystander?.kill('SIGKILL');
  fs.rmSync(hostTmp, { recursive: true, force: true });
});

/** The host paths a cell must not reach, and what each is. */
function targets(): string[] {
  const pids = [box.device.pid!, box.web.pid!, bystander.pid!, process.pid];
  return [
    project,
    path.join(project, 'package.json'),
    path.join(project, '.git', 'config'),
    path.join(project, 'store', 'db.ts'),
    box.dataDir,
    path.join(box.dataDir, 'cellbox.sqlite'),
    path.join(box.dataDir, 'cellbox.sqlite-wal'),
    path.join(box.dataDir, 'files.sqlite'),
    hostTmp,
    path.join(hostTmp, 'secret.txt'),
    '/etc/shadow',
    // /etc/passwd is the sandbox's own, naming the cell's user alone (sandbox.test.ts).
    '/etc/gshadow',
    '/etc/hostname',
    '/root',
    '/root/.bash_history',
    '/home',
    '/var/log',
    ...pids.flatMap((pid) => [
      `/proc/${pid}/environ`,
      `/proc/${pid}/cmdline`,
      `/proc/${pid}/root${box.dataDir}/cellbox.sqlite`,
      `/proc/${pid}/cwd/package.json`,
    ]),
    `/proc/1/root${box.dataDir}/cellbox.sqlite`,
    `/proc/1/root${project}/package.json`,
    `/proc/self/root${box.dataDir}/cellbox.sqlite`,
  ];
}

describe('reading host files', () => {
  it('Python finds none of the host files, and no host secret in any /proc entry it can read', async () => {
    const ms = await run(box.url, `
import errno, json, os
targets = json.loads(${JSON.stringify(JSON.stringify(targets()))})
secret = ${JSON.stringify(SECRET)}
def attempt(p):
    try:
        if os.path.isdir(p):
            os.listdir(p)
            return "listed"
        with open(p, "rb") as f:
            data = f.read()
        return "read, with the secret" if secret.encode() in data or b"SQLite format 3" in data else "read"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
found = {p: attempt(p) for p in targets}
# Every /proc entry the cell can read, its own included: none may carry the host's secret.
leaks = []
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
for pid in pids:
    for name in ("environ", "cmdline"):
        try:
            if secret.encode() in open(f"/proc/{pid}/{name}", "rb").read():
                leaks.append(f"{pid}/{name}")
        except OSError:
            pass
print(json.dumps({"found": found, "leaks": leaks, "pids": pids}))
# Last, uncaught: the cell ends with the error of reading /etc/shadow.
open("/etc/shadow").read()
`);
    const { found, leaks, pids } = reportOf(ms);
    const reached = Object.entries(found).filter(([, how]) => !['ENOENT', 'EACCES'].includes(how as string));
    expect(reached, 'host paths the cell reached').toEqual([]);
    expect(leaks).toEqual([]);
    // Its own processes only: small pids of its own PID namespace, none of the host's.
    for (const pid of [box.device.pid, box.web.pid, bystander.pid, process.pid]) expect(pids).not.toContain(pid);
    expectStopped(ms, 'FileNotFoundError', /\/etc\/shadow/);
    await expectRecovered(box, ['python']);
  });

  it('Bash finds none of the host files, and no host secret in any /proc entry it can read', async () => {
    const ms = await run(box.url, `
# The secret comes encoded: bash's own command line holds this code.
secret=$(echo ${Buffer.from(SECRET).toString('base64')} | base64 -d)
for p in ${targets().map((t) => `'${t}'`).join(' ')}; do
  if [ -d "$p" ] && ls "$p" >/dev/null 2>&1; then echo "listed $p"
  elif [ -e "$p" ] && cat "$p" >/dev/null 2>&1; then echo "read $p"
  fi
done
for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do
  if tr '\\0' '\\n' < "$f" 2>/dev/null | grep -qF -- "$secret"; then echo "leak $f"; fi
done
grep -rlF -- "$secret" /cell /tmp /dev/shm /opt /etc 2>/dev/null | sed 's/^/leak /'
echo checked
# Last, uncaught: the cell ends with cat's failure.
cat /etc/shadow
`, 'bash');
    expect(stdout(ms)).toBe('checked\n');
    expectStopped(ms, 'ExitStatus', /exit status 1/);
    await expectRecovered(box, ['bash']);
  });
});
