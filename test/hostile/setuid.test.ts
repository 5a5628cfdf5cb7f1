// Attack: gain privilege through the setuid and setgid programs the sandbox's /usr carries
// (su, mount, passwd, newgrp, ssh-keysign, polkit's helper…), or through capabilities left to
// the cell (a forked Python cell descends from a fork server that holds every capability of
// its sandbox).
// Must happen: each setuid or setgid program the host has under /usr runs, inside the sandbox,
// with the cell's own uid and gid (1000), as seen in its /proc status (its effective uid
// never changes); the cell has no capability in any set and may gain none (NoNewPrivs); su
// and mount, the obvious tries, fail; a cell whose last statement is such a try ends with
// that language's error; the next cell runs; the server stays healthy.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';
import { expectRecovered, expectStopped, reportOf } from '../helpers/hostile';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '20' });
});

afterAll(async () => {
  await box?.stop();
});

/** The host's setuid and setgid programs where systems keep them: /usr/{bin,sbin,libexec} and one level into /usr/lib. */
function setuidPrograms(): string[] {
  const dirs = ['/usr/bin', '/usr/sbin', '/usr/libexec'];
  for (const e of fs.readdirSync('/usr/lib', { withFileTypes: true })) if (e.isDirectory()) dirs.push(path.join('/usr/lib', e.name));
  const found: string[] = [];
  for (const dir of dirs) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      try {
        const st = fs.lstatSync(file);
        if (st.isFile() && st.mode & 0o6000 && st.mode & 0o111) found.push(file);
      } catch {
        // gone meanwhile
      }
    }
  }
  return found;
}

/** Each program's real and effective uid and gid as it ran (read from /proc before it is reaped). */
function expectNoneGained(ran: Record<string, { uid: string[]; gid: string[] } | string>): void {
  const gained = Object.entries(ran).filter(([, ids]) => typeof ids !== 'string' && [...ids.uid, ...ids.gid].some((id) => id !== '1000'));
  expect(gained, 'programs that ran with other ids').toEqual([]);
  // Most of them ran at all (a few may not be executable by others, like dbus's helper).
  expect(Object.values(ran).filter((ids) => typeof ids !== 'string').length).toBeGreaterThan(Object.keys(ran).length / 2);
}

describe('setuid programs and capabilities', () => {
  it('the host has setuid programs for the cells to try', () => {
    expect(setuidPrograms().length).toBeGreaterThan(0);
  });

  it('Python: setuid programs run as the cell, no capability is left, su and mount fail', async () => {
    const ms = await run(box.url, `
import json, subprocess
def ids(pid):
    status = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status"))
    return {"uid": status["Uid"].split(), "gid": status["Gid"].split()}
ran = {}
for program in ${JSON.stringify(setuidPrograms())}:
    try:
        p = subprocess.Popen([program], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError as e:
        ran[program] = e.strerror
        continue
    # Popen returns once the program is exec'd; its status stays readable until it is reaped.
    ran[program] = ids(p.pid)
    p.kill()
    p.wait()
status = dict(l.split(":", 1) for l in open("/proc/self/status"))
caps = {k: status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")}
su = subprocess.run(["su", "-c", "id -u", "root"], stdin=subprocess.DEVNULL, capture_output=True, text=True)
print(json.dumps({"ran": ran, "caps": caps, "su": [su.returncode, su.stdout]}))
# Last, uncaught: mount, a setuid program, fails the cell.
subprocess.run(["mount", "-t", "tmpfs", "none", "/tmp"], check=True)
`);
    const { ran, caps, su } = reportOf(ms);
    expectNoneGained(ran);
    expect(caps).toEqual({ CapInh: '0'.repeat(16), CapPrm: '0'.repeat(16), CapEff: '0'.repeat(16), CapBnd: '0'.repeat(16), CapAmb: '0'.repeat(16), NoNewPrivs: '1' });
    expect(su[0]).not.toBe(0);
    expect(su[1]).not.toContain('0');
    expectStopped(ms, 'CalledProcessError', /mount.*returned non-zero exit status/);
    await expectRecovered(box, ['python']);
  });

  it('JavaScript: setuid programs run as the cell, no capability is left', async () => {
    const ms = await run(box.url, `
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const ids = (pid) => {
  const status = fs.readFileSync('/proc/' + pid + '/status', 'utf8');
  return { uid: /^Uid:\\s+(.*)$/m.exec(status)[1].split(/\\s+/), gid: /^Gid:\\s+(.*)$/m.exec(status)[1].split(/\\s+/) };
};
const ran = {};
for (const program of ${JSON.stringify(setuidPrograms())}) {
  const child = spawn(program, [], { stdio: 'ignore' });
  // Read at once: the event loop, which would reap the child, has not run yet.
  ran[program] = child.pid ? ids(child.pid) : 'not run';
  child.on('error', () => {});
  // Node 20's kill() of a child that never started signals pid 0: the cell's own process group.
  if (child.pid) child.kill('SIGKILL');
}
const status = fs.readFileSync('/proc/self/status', 'utf8');
const caps = Object.fromEntries(['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs'].map((k) => [k, new RegExp('^' + k + ':\\\\s+(\\\\S+)', 'm').exec(status)[1]]));
console.log(JSON.stringify({ ran, caps }));
`, 'javascript');
    const { ran, caps } = reportOf(ms);
    expectNoneGained(ran);
    expect(caps).toEqual({ CapInh: '0'.repeat(16), CapPrm: '0'.repeat(16), CapEff: '0'.repeat(16), CapBnd: '0'.repeat(16), CapAmb: '0'.repeat(16), NoNewPrivs: '1' });
    await expectRecovered(box, ['javascript']);
  });

  it('Bash: no capability is left, su and mount fail', async () => {
    const ms = await run(box.url, `
grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status | tr -d '\\t'
su -c 'id -u' root </dev/null 2>/dev/null; echo "su $?"
# Last: mount, a setuid program, fails the cell.
mount -t tmpfs none /tmp
`, 'bash');
    const zero = '0'.repeat(16);
    expect(stdout(ms)).toBe(`CapInh:${zero}\nCapPrm:${zero}\nCapEff:${zero}\nCapBnd:${zero}\nCapAmb:${zero}\nNoNewPrivs:1\nsu 1\n`);
    expectStopped(ms, 'ExitStatus', /exit status 32/);
    await expectRecovered(box, ['bash']);
  });
});
