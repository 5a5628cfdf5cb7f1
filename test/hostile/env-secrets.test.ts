// Attack: read the server's secrets from its environment. Cellbox is started with secrets in
// its environment (a CELLBOX_ token, cloud keys, a database URL, npm's token); a cell dumps
// its own environment, every /proc/<pid>/environ and cmdline it can read, and searches the
// files it can see for the secret's value.
// Must happen: the cell's environment is the minimal one (PATH, HOME, LANG, TMPDIR, TZ, what its
// language needs, and what its own shell adds), no secret's name or value appears anywhere it
// can read; a cell whose last statement reads a secret ends with that language's error; the
// next cell runs; the server stays healthy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, expectStopped, reportOf } from '../helpers/hostile';

const VALUE = `do-not-leak-${process.pid}-${Date.now()}`;
const SECRETS: Record<string, string> = {
  CELLBOX_SECRET_TOKEN: VALUE,
  AWS_SECRET_ACCESS_KEY: `aws-${VALUE}`,
  DATABASE_URL: `postgres://admin:${VALUE}@db/prod`,
  npm_config__authToken: `npm-${VALUE}`,
  GITHUB_TOKEN: `ghp-${VALUE}`,
};
let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '20', ...SECRETS });
});

afterAll(async () => {
  await box?.stop();
});

/** The names a cell's environment may hold: the sandbox's, each language's own, and what shells add. */
const ALLOWED = new Set([
  'PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ',
  'MPLBACKEND', 'MPLCONFIGDIR', 'PYTHONDONTWRITEBYTECODE', 'PYTHONUNBUFFERED', 'PYTHONPATH', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'XDG_CACHE_HOME', 'TERM',
  'PWD', 'OLDPWD', 'SHLVL', '_',
]);

/** The secret's value, encoded, so that the cell's own code (in bash, its command line) does not hold it. */
const ENCODED = Buffer.from(VALUE).toString('base64');

function expectMinimal(env: Record<string, string>): void {
  expect(Object.keys(env).filter((k) => !ALLOWED.has(k))).toEqual([]);
  expect(env).toMatchObject({ PATH: expect.any(String), HOME: '/cell', LANG: 'C.UTF-8' });
}

describe('environment secrets of the server', () => {
  it('the server itself has them (so that a leak would show)', () => {
    for (const [k, v] of Object.entries(SECRETS)) expect(box.env[k]).toBe(v);
  });

  it('Python: a minimal environment, and the secret nowhere it can read', async () => {
    const ms = await run(box.url, `
import base64, json, os
secret = base64.b64decode("${ENCODED}")
hits = []
for pid in (p for p in os.listdir("/proc") if p.isdigit()):
    for name in ("environ", "cmdline"):
        try:
            if secret in open(f"/proc/{pid}/{name}", "rb").read():
                hits.append(f"/proc/{pid}/{name}")
        except OSError:
            pass
for top in ("/cell", "/tmp", "/dev/shm", "/opt", "/etc"):
    for d, _, files in os.walk(top):
        for f in files:
            try:
                if secret in open(os.path.join(d, f), "rb").read():
                    hits.append(os.path.join(d, f))
            except OSError:
                pass
print(json.dumps({"env": dict(os.environ), "hits": hits}))
# Last, uncaught: the secret by name.
os.environ["CELLBOX_SECRET_TOKEN"]
`);
    const { env, hits } = reportOf(ms);
    expectMinimal(env);
    expect(hits).toEqual([]);
    expectStopped(ms, 'KeyError', /CELLBOX_SECRET_TOKEN/);
    await expectRecovered(box, ['python']);
  });

  it('Bash: a minimal environment, and the secret nowhere it can read', async () => {
    const ms = await run(box.url, `
secret=$(echo ${ENCODED} | base64 -d)
env -0 | while IFS= read -r -d '' kv; do echo "env \${kv%%=*}"; done
for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do
  tr '\\0' '\\n' < "$f" 2>/dev/null | grep -qF -- "$secret" && echo "hit $f"
done
grep -rlF -- "$secret" /cell /tmp /dev/shm /opt /etc 2>/dev/null | sed 's/^/hit /'
# Last: the secret by name.
: "\${CELLBOX_SECRET_TOKEN:?is not set}"
`, 'bash');
    const lines = stdout(ms).trim().split('\n');
    expect(lines.filter((l) => l.startsWith('hit '))).toEqual([]);
    const names = lines.filter((l) => l.startsWith('env ')).map((l) => l.slice(4));
    expectMinimal(Object.fromEntries(names.map((n) => [n, n === 'HOME' ? '/cell' : n === 'LANG' ? 'C.UTF-8' : 'x'])));
    expectStopped(ms, 'ExitStatus', /exit status 1/);
    await expectRecovered(box, ['bash']);
  });

  it('JavaScript: a minimal environment, and the secret nowhere it can read', async () => {
    const ms = await run(box.url, `
const fs = require('node:fs');
const secret = Buffer.from('${ENCODED}', 'base64');
const hits = [];
for (const pid of fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p))) {
  for (const name of ['environ', 'cmdline']) {
    try { if (fs.readFileSync('/proc/' + pid + '/' + name).includes(secret)) hits.push(pid + '/' + name); } catch {}
  }
}
console.log(JSON.stringify({ env: process.env, hits }));
process.env.CELLBOX_SECRET_TOKEN.length;
`, 'javascript');
    const { env, hits } = reportOf(ms);
    expectMinimal(env);
    expect(hits).toEqual([]);
    expectStopped(ms, 'TypeError', /undefined/);
    await expectRecovered(box, ['javascript']);
  });
});
