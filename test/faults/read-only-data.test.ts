// The data directory stops taking writes (a disk remounted read-only after errors, a host's
// wrong permissions): the device cannot write its heartbeat, and /healthz must say what to fix,
// `database: "not_writable"`, rather than call the device dead. As root (CI) the directory gets a
// read-only bind mount over it, which the kernel refuses every writer through (EROFS, root
// too); as anyone else it loses its write permission (EACCES). Where neither can be done (root
// without the right to mount, in a container) the test is skipped and says why.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, runUntilExit, startCellbox, type Cellbox } from '../helpers/cellbox';

const asRoot = process.getuid?.() === 0;
let box: Cellbox;
/** Undoes what made the directory read-only; null until it was. */
let undo: (() => void) | null = null;

/** Makes `dir` read-only for everyone, root included; returns how to undo it, or why it cannot. */
function makeReadOnly(dir: string): (() => void) | string {
  if (!asRoot) {
    const mode = fs.statSync(dir).mode & 0o7777;
    fs.chmodSync(dir, mode & ~0o222);
    return () => fs.chmodSync(dir, mode);
  }
  try {
    // A bind mount of the directory over itself, then made read-only: the processes' open
    // files (through the mount beneath) stay as they were, as on a real remount they would not;
    // so the device is stopped below, and whatever opens or checks the path meets EROFS.
    execFileSync('mount', ['--bind', dir, dir], { stdio: 'pipe' });
    try {
      execFileSync('mount', ['-o', 'remount,bind,ro', dir], { stdio: 'pipe' });
    } catch (e) {
      execFileSync('umount', [dir]);
      throw e;
    }
  } catch (e) {
    return `a read-only bind mount could not be made: ${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim()}`;
  }
  return () => execFileSync('umount', [dir]);
}

beforeAll(async () => {
  box = await startCellbox();
}, 90_000);

afterAll(async () => {
  undo?.();
  await box?.stop();
});

describe('a data directory that takes no writes', () => {
  it('is named by /healthz as not_writable, not taken for a dead device, and a device started on it refuses in one line', async (ctx) => {
    const made = makeReadOnly(box.dataDir);
    if (typeof made === 'string') return ctx.skip(made);
    undo = made;
    // Its heartbeat can no longer be written: the device is gone as a device that cannot write
    // is, and the heartbeat goes stale.
    await box.killDevice('SIGKILL');
    let health = await get(`${box.url}/healthz`);
    for (let i = 0; i < 300 && health.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      health = await get(`${box.url}/healthz`);
    }
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({
      status: 'degraded',
      database: 'not_writable',
      problem: expect.stringMatching(/^The database cannot be written \((EROFS|EACCES)\), .* Make the data directory writable\.$/),
      // Whether it lives cannot be told from a heartbeat it cannot write.
      device: { alive: null },
    });

    // A device started on it says what is wrong in one line and stops, as the other refusals.
    const refused = await runUntilExit(['dist/device.mjs'], box.env);
    const errors = refused.output.split('\n').filter((l) => l.startsWith('[device] error: '));
    expect(errors, refused.output).toHaveLength(1);
    expect(errors[0]).toMatch(/the data directory .* is not usable: .*; give CELLBOX_DATA_DIR a directory this user can write in$/);
    expect(refused.output).not.toMatch(/^\s+at /m);
    expect(refused.code).toBe(2);

    // Writable again: a device starts, and /healthz is well.
    undo();
    undo = null;
    await box.startDevice();
    expect((await get(`${box.url}/healthz`)).body).toMatchObject({ status: 'ok', database: 'ok', device: { alive: true } });
  }, 90_000);
});
