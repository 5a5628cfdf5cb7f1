// A second device started on a data directory whose device is alive (a second `npm start`, or a
// device its supervisor's SIGKILL left running): it must refuse to start, in one line, and
// leave the first one's cells alone. It ended them with WorkerCrashed while they ran on, and
// their later messages came after the closing ones. Once the first device is gone, whatever
// way it went, a device starts there again.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, messagesUntilDone, post, replyOf, startCellbox, stdout, types, type Cellbox } from '../helpers/cellbox';

const root = fileURLToPath(new URL('../../', import.meta.url));
let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox();
});

afterAll(async () => {
  await box?.stop();
});

/** Starts a device on `box`'s data; resolves with its status and output when it exits, or after 30 s with it killed. */
function secondDevice(): Promise<{ code: number | null; output: string }> {
  const p = spawn(process.execPath, ['--enable-source-maps', path.join(root, 'dist/device.mjs')], { cwd: root, env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  p.stdout.on('data', (d) => (output += d));
  p.stderr.on('data', (d) => (output += d));
  const killer = setTimeout(() => p.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => p.once('exit', (code) => {
    clearTimeout(killer);
    resolve({ code, output });
  }));
}

describe('a second device on the same data directory', () => {
  it('refuses to start, and the first device runs its cells to their end', async () => {
    const running = await post(`${box.url}/api/v1/cells`, { code: 'import time\nprint("one", flush=True)\ntime.sleep(4)\nprint("two")' });
    const first = await get(`${box.url}/api/v1/cells/${running.body.id}/messages?after=2&wait=15`);
    expect(stdout(first.body.messages)).toBe('one\n');

    const second = await secondDevice();
    expect(second.code).toBe(2);
    expect(second.output.trim()).toBe(`[device] error: another Cellbox device is running on the data directory ${box.dataDir}; stop it first, or give this one a CELLBOX_DATA_DIR of its own`);

    const ms = await messagesUntilDone(box.url, running.body.id);
    expect(stdout(ms)).toBe('one\ntwo\n');
    expect(types(ms).filter((t) => t === 'execute_reply')).toHaveLength(1);
    expect(replyOf(ms).status).toBe('ok');
    expect((await get(`${box.url}/healthz`)).body.device.pid).toBe(box.device.pid);
  });

  it('starts once the first device is gone, even killed outright', async () => {
    await box.killDevice('SIGKILL');
    await box.startDevice();
    const ms = await messagesUntilDone(box.url, (await post(`${box.url}/api/v1/cells`, { code: 'print("after")' })).body.id);
    expect(stdout(ms)).toBe('after\n');
  });
});
