// What a host gets wrong at start (a setting, the data directory, the database file) stops each
// server process with one line naming it and what to do, and status 2: no stack trace, no
// half-started server, no silent use of a database it does not understand. The web server
// printed better-sqlite3's or the config's stack trace and exited with status 0; the device
// printed a stack trace, or ran on a newer Cellbox's database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runUntilExit } from '../helpers/cellbox';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-refusals-'));

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Which = 'device' | 'web';

/** Starts one server process with `env`; its status and output once it exits (killed after 20 s: it did not refuse). */
async function start(which: Which, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const args = which === 'device' ? ['dist/device.mjs'] : ['scripts/web.mjs', '-H', '127.0.0.1'];
  return runUntilExit(args, { ...process.env, PORT: String(await freePort()), CELLBOX_LANGUAGES: 'bash', ...env });
}

/** The one line `which` must stop with: `[device] error: …` matching `line`, and nothing like a stack trace. */
async function refuses(which: Which, env: Record<string, string>, line: RegExp): Promise<void> {
  const { code, output } = await start(which, env);
  const errors = output.split('\n').filter((l) => l.startsWith(`[${which}] error: `));
  expect(errors, output).toHaveLength(1);
  expect(errors[0]).toMatch(line);
  expect(output).not.toMatch(/^\s+at /m);
  expect(code).toBe(2);
}

describe.each(['device', 'web'] as const)('the %s refuses to start', (which) => {
  it('on a bad setting, naming it', async () => {
    await refuses(which, { CELLBOX_DATA_DIR: path.join(tmp, 'fine'), CELLBOX_CONCURRENCY: '0' }, /concurrency \(CELLBOX_CONCURRENCY=0\): .*>=\s?1/);
  });

  it('on a misspelt setting, naming the one it means', async () => {
    await refuses(which, { CELLBOX_DATA_DIR: path.join(tmp, 'fine'), CELLBOX_WALL_SECOND: '5' }, /^\[\w+\] error: CELLBOX_WALL_SECOND is not a setting; did you mean CELLBOX_WALL_SECONDS\?/);
  });

  it('on a data directory that cannot be made', async () => {
    fs.writeFileSync(path.join(tmp, 'a-file'), '');
    const dir = path.join(tmp, 'a-file', 'data');
    await refuses(which, { CELLBOX_DATA_DIR: dir }, new RegExp(`the data directory ${dir} cannot be made: .*a-file is not a directory`));
  });

  it('on a damaged database file, naming it', async () => {
    const dir = path.join(tmp, `damaged-${which}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'cellbox.sqlite'), Buffer.alloc(8192, 'not a database '));
    await refuses(which, { CELLBOX_DATA_DIR: dir }, new RegExp(`${dir}/cellbox.sqlite is damaged or not a Cellbox database`));
  });

  it('on a database of a newer Cellbox, leaving it as it is', async () => {
    const dir = path.join(tmp, `newer-${which}`);
    fs.mkdirSync(dir);
    const db = new Database(path.join(dir, 'cellbox.sqlite'));
    db.pragma('user_version = 99');
    db.close();
    await refuses(which, { CELLBOX_DATA_DIR: dir }, /was written by a newer Cellbox \(schema version 99; this one knows up to \d+\)/);
    const after = new Database(path.join(dir, 'cellbox.sqlite'), { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(99);
    expect(after.prepare(`SELECT COUNT(*) FROM sqlite_master`).pluck().get()).toBe(0);
    after.close();
  });
});

describe('the device refuses to start', () => {
  // A host that starts the device by other means than `npm start` (whose set-up installs it):
  // each cell failed on its own, as WorkerCrashed, and nothing said why.
  it('without bubblewrap, naming the command that installs it, before it opens anything', async () => {
    const bin = path.join(tmp, 'bin-without-bwrap');
    fs.mkdirSync(bin);
    const dataDir = path.join(tmp, 'no-bwrap-data');
    await refuses('device', { CELLBOX_DATA_DIR: dataDir, PATH: bin }, /^\[device\] error: bubblewrap is not installed \(no bwrap on the PATH .*bin-without-bwrap\).*: install it with apt-get install bubblewrap$/);
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});
