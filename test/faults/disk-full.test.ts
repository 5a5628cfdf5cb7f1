// The data disk fills up (a small tmpfs as the data directory): cells whose files cannot be
// stored say so, requests get a clear 503 rather than a 500, the device lives, nothing
// accepted is lost, and once there is room again everything goes on. /healthz says the disk is
// full, not that the device is dead (its heartbeat cannot be written either), and a device
// started meanwhile refuses in one line. Mounting needs root.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, messagesUntilDone, post, runUntilExit, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';


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

/** Fills what is left of the data disk. */
function fill(): void {
  const filler = path.join(dataDir, 'filler');
  try {
    for (;;) fs.appendFileSync(filler, Buffer.alloc(64 * 1024));
  } catch {
    // full
  }
  try {
    for (;;) fs.appendFileSync(filler, Buffer.alloc(1024));
  } catch {
    // to the last KiB
  }
}

/** A device process of `box`'s, not waited for as startDevice() does: its status and output. */
async function startDeviceAlone(): Promise<{ code: number | null; output: string }> {
  return runUntilExit(['dist/device.mjs'], box.env);
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
    fill();
    const statuses: number[] = [];
    const accepted: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await post(`${box.url}/api/v1/cells`, { code: `print(${i})` });
      statuses.push(r.status);
      if (r.status === 201) accepted.push(r.body.id);
      else expect(r.body.error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/disk is full/) });
    }
    expect(statuses.every((s) => s === 201 || s === 503)).toBe(true);

    // The heartbeat fails too, and goes stale: /healthz names the full disk, and cannot tell
    // whether the device lives, rather than calling it dead (a host would restart it).
    let health = await get(`${box.url}/healthz`);
    for (let i = 0; i < 300 && health.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      health = await get(`${box.url}/healthz`);
    }
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'degraded', database: 'full', problem: expect.stringMatching(/^The data disk is full \(\d+ KiB free\): the database cannot be written/), device: { alive: null } });
    expect(box.device.exitCode).toBeNull();

    // A device started on the full disk says so in one line and stops, as the other refusals.
    await box.killDevice('SIGTERM');
    fill();
    const refused = await startDeviceAlone();
    const errors = refused.output.split('\n').filter((l) => l.startsWith('[device] error: '));
    expect(errors, refused.output).toEqual([expect.stringMatching(/ cannot be written: the disk of the data directory is full \(SQLITE_FULL\); free space on it/)]);
    expect(refused.output).not.toMatch(/^\s+at /m);
    expect(refused.code).toBe(2);

    // Room again: every accepted cell ends with its final messages, new ones run.
    fs.rmSync(path.join(dataDir, 'filler'));
    execFileSync('mount', ['-o', 'remount,size=64m', dataDir]);
    await box.startDevice();
    for (const id of accepted) expect((await messagesUntilDone(box.url, id)).at(-1)?.content).toEqual({ execution_state: 'idle' });
    const after = await post(`${box.url}/api/v1/cells`, { code: 'print("room again")' });
    expect(stdout(await messagesUntilDone(box.url, after.body.id))).toBe('room again\n');
    expect(box.device.exitCode).toBeNull();
    expect((await get(`${box.url}/healthz`)).body).toMatchObject({ status: 'ok', database: 'ok', device: { alive: true } });
  }, 150_000);

  it('ends a cell whose last output a device stopped on it could not write with an error that says so, once there is room', async () => {
    // A cell that prints on and on; its first lines are stored, then the disk fills.
    const cell = await post(`${box.url}/api/v1/cells`, { code: 'import time\nfor i in range(600):\n    print(i, flush=True)\n    time.sleep(0.1)' });
    expect(cell.status).toBe(201);
    const id = cell.body.id;
    const first = await orLogs(get(`${box.url}/api/v1/cells/${id}/messages?after=2&wait=10`));
    expect(first.body.messages.length).toBeGreaterThan(0);
    fill();
    // What it prints now waits in the device's memory, as does its end when the device stops.
    await new Promise((r) => setTimeout(r, 1500));
    const stored = (await get(`${box.url}/api/v1/cells/${id}/messages?after=0&wait=0`)).body.messages.length;
    await box.killDevice('SIGTERM');
    expect(box.device.exitCode).toBe(0);
    // The device says what it could not write as it went.
    expect(box.logs.join('')).toMatch(new RegExp(`the last messages of cells [^\\n]*${id}[^\\n]* could not be written \\(SQLITE_FULL`));
    const left = await get(`${box.url}/api/v1/cells/${id}`);
    expect(left.body.status).toBe('running');

    // Room again: the next device ends it, after the output that was stored, saying the rest is lost.
    fs.rmSync(path.join(dataDir, 'filler'));
    await box.startDevice();
    const ms = await orLogs(messagesUntilDone(box.url, id));
    expect(ms.length).toBeGreaterThan(stored);
    expect(ms.at(-1)?.content).toEqual({ execution_state: 'idle' });
    const error = ms.find((m) => m.header.msg_type === 'error')?.content as { ename: string; evalue: string } | undefined;
    expect(error?.ename).toBe('WorkerCrashed');
    expect(error?.evalue).toMatch(/could not be stored and is lost/);
    expect(box.device.exitCode).toBeNull();
  }, 120_000);
});
