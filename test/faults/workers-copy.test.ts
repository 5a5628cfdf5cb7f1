// Fault: the device crashes (SIGKILL) and leaves its copy of the workers folder in the temp dir,
// which a device running as root makes for its sandboxes' user (device/workers-copy.ts).
// Must happen: the next device start removes it, and every other copy whose device is gone;
// never the copy of a device that is alive (here this test's own process stands for one, named
// as a device names its copy), nor one whose owner it cannot tell (another PID namespace's, an
// older version's name); cells run from the new copy. Copies need root: skipped without it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCellbox, until, type Cellbox } from '../helpers/cellbox';
import { ok } from '../helpers/hostile';

const asRoot = process.getuid?.() === 0;
let box: Cellbox;
let tmp: string;

const namespace = /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/pid'))![1];
const startTime = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
};

/** A pid that was a process's and is no more. */
function deadPid(): number {
  const r = spawnSync('/bin/sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
}

/** A copy named `name` under the test's temp dir, with a file inside, as a device leaves one. */
function plant(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(path.join(dir, 'python'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'python', 'kernel.py'), '# left behind\n');
  return name;
}

/** The copies under the test's temp dir. */
const copies = () => fs.readdirSync(tmp).filter((n) => n.startsWith('cellbox-workers-')).sort();

beforeAll(async () => {
  if (!asRoot) return;
  // A temp dir of the test's own (the device's os.tmpdir()), traversable by the sandbox's user.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-copies-test-'));
  fs.chmodSync(tmp, 0o755);
});

afterAll(async () => {
  await box?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!asRoot)('copies of the workers folder', () => {
  it('are removed at start once their device is gone, never while it lives', async () => {
    const dead = deadPid();
    const stale = [
      plant(`cellbox-workers-${namespace}-${dead}-${startTime(process.pid)}-Aa1Bb2`),
      // A live pid whose start time is another's: the pid was reused, its device is gone.
      plant(`cellbox-workers-${namespace}-${process.pid}-1-Cc3Dd4`),
    ];
    const kept = [
      plant(`cellbox-workers-${namespace}-${process.pid}-${startTime(process.pid)}-Ee5Ff6`),
      plant(`cellbox-workers-1-${dead}-1-Gg7Hh8`),
      plant('cellbox-workers-Ii9Jj0'),
    ];
    box = await startCellbox({ TMPDIR: tmp });
    expect(await ok(box, 'print(6 * 7)')).toBe('42\n');
    const own = copies().filter((n) => n.startsWith(`cellbox-workers-${namespace}-${box.device.pid}-`));
    expect(own).toHaveLength(1);
    expect(copies()).toEqual([...kept, ...own].sort());
    for (const name of stale) expect(fs.existsSync(path.join(tmp, name))).toBe(false);
    expect(box.logs.join('')).toMatch(/removed 2 copies of the workers folder left by devices that are gone/);

    // The device crashes: its copy stays until the next start, which removes it.
    await box.killDevice('SIGKILL');
    expect(copies()).toContain(own[0]);
    await box.startDevice();
    await until('the new device\'s copy', () => copies().some((n) => n.startsWith(`cellbox-workers-${namespace}-${box.device.pid}-`)));
    expect(await ok(box, 'print(6 * 7)')).toBe('42\n');
    expect(copies()).not.toContain(own[0]);
    for (const name of kept) expect(copies()).toContain(name);
  });
});
