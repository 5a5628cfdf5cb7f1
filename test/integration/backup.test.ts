// `npm run backup -- <folder>` while Cellbox runs and takes cells: the copy is whole (SQLite's
// own check passes), holds every snippet and cell committed before it, and a Cellbox started on
// a data directory restored from it serves them. A host who copied the files with `cp` instead
// got a main file without the commits still in its `-wal` file. Refusals are one line each.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cellbox, post, run, runUntilExit, startCellbox, stdout } from '../helpers/cellbox';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-backup-'));
let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_LANGUAGES: 'bash' });
}, 120_000);

afterAll(async () => {
  await box?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** `npm run backup -- <folder>` with the environment of `box` (its data directory). */
function backupTo(folder: string, env: NodeJS.ProcessEnv = box.env) {
  return runUntilExit(['scripts/backup.mjs', folder], env);
}

describe('npm run backup', () => {
  it('copies both databases whole while cells run, and a Cellbox restored from the copy serves them', async () => {
    const snippet = (await post(`${box.url}/api/v1/snippets`, { language: 'bash', code: 'echo kept for good' })).body;
    expect(snippet.id).toBeTruthy();
    const cell = await run(box.url, 'echo before the backup > made.txt; echo ran', 'bash');
    expect(stdout(cell)).toBe('ran\n');
    // Cells keep coming while the backup is taken.
    let running = true;
    const load = (async () => {
      while (running) await run(box.url, 'echo busy', 'bash');
    })();
    const folder = path.join(tmp, 'first');
    const { code, output } = await backupTo(folder);
    running = false;
    await load;
    expect(output).not.toMatch(/error|^\s+at /m);
    expect(code).toBe(0);
    expect(output).toMatch(/cellbox\.sqlite → .*first\/cellbox\.sqlite \(\d+ bytes\)/);
    expect(output).toMatch(/files\.sqlite → .*first\/files\.sqlite \(\d+ bytes\)/);
    for (const name of ['cellbox.sqlite', 'files.sqlite']) {
      const db = new Database(path.join(folder, name), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
    }

    // Restored into a fresh data directory, a new Cellbox serves the snippet and the file.
    const restored = await startCellbox({ CELLBOX_LANGUAGES: 'bash' });
    try {
      await restored.killDevice('SIGTERM');
      await restored.killWeb('SIGTERM');
      for (const name of fs.readdirSync(restored.dataDir)) fs.rmSync(path.join(restored.dataDir, name), { force: true });
      for (const name of ['cellbox.sqlite', 'files.sqlite']) fs.copyFileSync(path.join(folder, name), path.join(restored.dataDir, name));
      await restored.startWeb();
      await restored.startDevice();
      const raw = await fetch(`${restored.url}/s/${snippet.id}/raw`);
      expect(await raw.text()).toBe('echo kept for good');
      const listing = cell.map((m) => (m.content as { data?: Record<string, { files?: { url: string }[] }> }).data?.['application/vnd.cellbox.files+json']).find(Boolean);
      const url = listing!.files![0].url;
      expect(await (await fetch(`${restored.url}${url}`)).text()).toBe('before the backup\n');
      expect(stdout(await run(restored.url, 'echo still runs', 'bash'))).toBe('still runs\n');
    } finally {
      await restored.stop();
    }
  }, 180_000);

  it('never overwrites a backup, saying so in one line', async () => {
    const folder = path.join(tmp, 'twice');
    expect((await backupTo(folder)).code).toBe(0);
    const before = fs.statSync(path.join(folder, 'cellbox.sqlite')).mtimeMs;
    const { code, output } = await backupTo(folder);
    expect(code).toBe(2);
    expect(output.trim()).toMatch(/^\[backup\] error: .*twice\/cellbox\.sqlite already exists; a backup never overwrites one/);
    expect(fs.statSync(path.join(folder, 'cellbox.sqlite')).mtimeMs).toBe(before);
  });

  it('names a data directory that holds no Cellbox databases, and writes nothing', async () => {
    const empty = path.join(tmp, 'not-a-data-dir');
    fs.mkdirSync(empty);
    const folder = path.join(tmp, 'from-nothing');
    const { code, output } = await backupTo(folder, { ...box.env, CELLBOX_DATA_DIR: empty });
    expect(code).toBe(2);
    expect(output.trim()).toMatch(/^\[backup\] error: .*not-a-data-dir\/cellbox\.sqlite does not exist: is .*not-a-data-dir the data directory/);
    expect(fs.existsSync(folder)).toBe(false);
  });

  it('asks for the folder when none is given', async () => {
    const { code, output } = await runUntilExit(['scripts/backup.mjs'], box.env);
    expect(code).toBe(2);
    expect(output.trim()).toMatch(/^\[backup\] error: name the folder to write the backup into/);
  });
});
