// The data disk fills up (a small tmpfs as the data directory): cells whose files cannot be
// stored say so, requests get a clear 503 rather than a 500, the device lives, nothing
// accepted is lost, and once there is room again everything goes on. Mounting needs root.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, messagesUntilDone, post, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';

const asRoot = process.getuid?.() === 0;
let box: Cellbox;
let dataDir: string;

beforeAll(async () => {
  if (!asRoot) return;
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', dataDir]);
  box = await startCellbox({ CELLBOX_DATA_DIR: dataDir });
});

afterAll(async () => {
  if (!asRoot) return;
  await box?.stop();
  execFileSync('umount', ['-l', dataDir]);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The promise, or after 20 s the servers' logs and the disk's state, to see why it hung. */
function orLogs<T>(p: Promise<T>): Promise<T> {
  const explain = () => new Error(box.logs.join('').slice(-3000) + execFileSync('df', ['-h', dataDir]).toString() + execFileSync('ls', ['-la', dataDir]).toString());
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(explain()), 20_000))]);
}

describe.skipIf(!asRoot)('a full data disk', () => {
  it('is reported plainly, loses no accepted cell, and is forgotten once there is room', async () => {
    // Files bigger than what is left: the filestore cannot keep them.
    const big = await post(`${box.url}/api/v1/cells`, { code: 'import os\nfor i in range(3):\n    open(f"big{i}.bin", "wb").write(os.urandom(1500000))\nprint("wrote")' });
    expect(big.status).toBe(201);
    const ms = await orLogs(messagesUntilDone(box.url, big.body.id));
    expect(stdout(ms)).toBe('wrote\n');
    const stderr = ms.filter((m) => m.header.msg_type === 'stream' && (m.content as { name: string }).name === 'stderr').map((m) => (m.content as { text: string }).text).join('');
    expect(stderr).toMatch(/could not be stored|not kept|storage/);

    // Fill what is left, then ask for more: a clear answer, never a 500.
    fs.writeFileSync(path.join(dataDir, 'filler'), Buffer.alloc(0));
    try {
      for (;;) fs.appendFileSync(path.join(dataDir, 'filler'), Buffer.alloc(64 * 1024));
    } catch {
      // full
    }
    const statuses: number[] = [];
    const accepted: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await post(`${box.url}/api/v1/cells`, { code: `print(${i})` });
      statuses.push(r.status);
      if (r.status === 201) accepted.push(r.body.id);
      else expect(r.body.error.code).toBe('unavailable');
    }
    expect(statuses.every((s) => s === 201 || s === 503)).toBe(true);

    // Room again: every accepted cell ends with its final messages, new ones run.
    fs.rmSync(path.join(dataDir, 'filler'));
    execFileSync('mount', ['-o', 'remount,size=64m', dataDir]);
    for (const id of accepted) expect((await messagesUntilDone(box.url, id)).at(-1)?.content).toEqual({ execution_state: 'idle' });
    const after = await post(`${box.url}/api/v1/cells`, { code: 'print("room again")' });
    expect(stdout(await messagesUntilDone(box.url, after.body.id))).toBe('room again\n');
    expect(box.device.exitCode).toBeNull();
    expect((await get(`${box.url}/healthz`)).status).toBe(200);
  }, 90_000);
});
