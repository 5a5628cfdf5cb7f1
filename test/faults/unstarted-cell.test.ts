// A cell the device had taken from the queue but not yet started (it waited for a warm worker)
// when the device died or was stopped: the brief says it is run again. It was ended with
// WorkerCrashed, as if it had run, since its opening messages were written before it had a
// worker. Here a language whose worker takes seconds to become ready holds the cell in that
// wait while the device is killed, then stopped. A device stopped cleanly hands such a cell back
// to the queue uncounted; one that dies holding it counts a try, and after MAX_ATTEMPTS the
// cell is ended (it may be what kills the device) instead of being run at every restart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ATTEMPTS } from '../../device/device';
import { DEFAULTS } from '../../store/config';
import { errorOf, get, messagesUntilDone, post, replyOf, startCellbox, stdout, types, type Cellbox } from '../helpers/cellbox';

/** Seconds the slow language's worker sleeps before it starts: the device's start (Bash warm) must take less. */
const SLOW_START_S = 15;

let box: Cellbox;
let configDir: string;

beforeAll(async () => {
  configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-unstarted-'));
  const bash = DEFAULTS.languages.find((l) => l.name === 'bash')!;
  const slow = { ...bash, name: 'slow', display_name: 'Slow Bash', pool: 1, command: ['/usr/bin/bash', '-c', `sleep ${SLOW_START_S}; exec /usr/bin/bash /opt/cellbox/workers/bash/kernel.sh`] };
  fs.writeFileSync(path.join(configDir, 'cellbox.config.json'), JSON.stringify({ languages: [bash, slow] }));
  box = await startCellbox({ CELLBOX_CONFIG: path.join(configDir, 'cellbox.config.json'), CELLBOX_LANGUAGES: 'bash,slow' });
});

afterAll(async () => {
  await box?.stop();
  fs.rmSync(configDir, { recursive: true, force: true });
});

/** Starts the device (Bash warm, the slow worker still asleep) and checks it took `id` and has not started it. */
async function startedWithCellWaiting(id: string): Promise<void> {
  await box.startDevice();
  // The heartbeat that startDevice() waits for comes a moment before the device's first claim.
  for (let i = 0; i < 100 && (await get(`${box.url}/api/v1/cells/${id}`)).body.status === 'queued'; i++) await new Promise((r) => setTimeout(r, 50));
  expect((await get(`${box.url}/api/v1/cells/${id}`)).body.status).toBe('running');
  expect((await get(`${box.url}/api/v1/cells/${id}/messages?after=0&wait=0`)).body.messages).toEqual([]);
}

describe('a cell taken but not yet started when the device goes', () => {
  it('is run again by the next device, after a crash and after a stop', async () => {
    await box.killDevice('SIGTERM');
    const cell = await post(`${box.url}/api/v1/cells`, { code: 'echo ran', language: 'slow' });
    expect(cell.status).toBe(201);

    await startedWithCellWaiting(cell.body.id);
    await box.killDevice('SIGKILL');
    await startedWithCellWaiting(cell.body.id);
    // The stop leaves the worker's line at once: the cell hands nothing to wait for to the
    // device's 5 s shutdown grace (which is for cells that run), so the stop takes far less.
    // A reader that saw it `starting` is told it is queued again: the hand-back writes no
    // message, but it is a change of state.
    const told = get(`${box.url}/api/v1/cells/${cell.body.id}/messages?after=0&state=starting&wait=25`);
    await new Promise((r) => setTimeout(r, 300)); // waiting at the server
    const stopping = Date.now();
    await box.killDevice('SIGTERM');
    expect(Date.now() - stopping).toBeLessThan(4000);
    expect((await told).body).toEqual({ messages: [], next: 0, done: false, state: 'queued' });
    expect((await get(`${box.url}/api/v1/cells/${cell.body.id}/messages?after=0&wait=0`)).body.messages).toEqual([]);
    // Handed back by the device as it stopped, not left for the next one to find.
    expect((await get(`${box.url}/api/v1/cells/${cell.body.id}`)).body.status).toBe('queued');

    await box.startDevice();
    const ms = await messagesUntilDone(box.url, cell.body.id);
    expect(types(ms)).toEqual(['status', 'execute_input', 'stream', 'execute_reply', 'status']);
    expect(stdout(ms)).toBe('ran\n');
    expect(replyOf(ms).status).toBe('ok');
  }, 120_000);

  it('clean stops do not count as tries: it still runs after MAX_ATTEMPTS of them', async () => {
    await box.killDevice('SIGTERM');
    const cell = await post(`${box.url}/api/v1/cells`, { code: 'echo patient', language: 'slow' });
    // Were they counted, the next start would find MAX_ATTEMPTS takes and end the cell.
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await startedWithCellWaiting(cell.body.id);
      await box.killDevice('SIGTERM');
      expect((await get(`${box.url}/api/v1/cells/${cell.body.id}`)).body.status, box.logs.join('').slice(-5000)).toBe('queued');
    }
    await box.startDevice();
    const ms = await messagesUntilDone(box.url, cell.body.id);
    expect(stdout(ms)).toBe('patient\n');
    expect(replyOf(ms).status).toBe('ok');
  }, 180_000);

  it('is ended with WorkerCrashed, not queued again, once MAX_ATTEMPTS devices died holding it', async () => {
    await box.killDevice('SIGTERM');
    const cell = await post(`${box.url}/api/v1/cells`, { code: 'echo doomed', language: 'slow' });
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await startedWithCellWaiting(cell.body.id);
      await box.killDevice('SIGKILL');
    }
    await box.startDevice();
    const ms = await messagesUntilDone(box.url, cell.body.id);
    expect(types(ms)).toEqual(['status', 'execute_input', 'error', 'execute_reply', 'status']);
    expect(errorOf(ms)).toMatchObject({ ename: 'WorkerCrashed', evalue: expect.stringContaining(`taken ${MAX_ATTEMPTS} times`) });
    expect(replyOf(ms).status).toBe('error');
    // Another cell of the same language still runs on that device.
    const next = await post(`${box.url}/api/v1/cells`, { code: 'echo fine', language: 'slow' });
    expect(stdout(await messagesUntilDone(box.url, next.body.id))).toBe('fine\n');
  }, 180_000);

  it('ends as Interrupted if its reader stopped it while no device ran', async () => {
    await box.killDevice('SIGTERM');
    const cell = await post(`${box.url}/api/v1/cells`, { code: 'echo never', language: 'slow' });
    await startedWithCellWaiting(cell.body.id);
    await box.killDevice('SIGKILL');
    expect((await post(`${box.url}/api/v1/cells/${cell.body.id}/interrupt`, '')).status).toBe(202);

    await box.startDevice();
    const ms = await messagesUntilDone(box.url, cell.body.id);
    expect(types(ms)).toEqual(['status', 'execute_input', 'error', 'execute_reply', 'status']);
    expect(errorOf(ms)?.ename).toBe('Interrupted');
  }, 120_000);

  it('is handed back by a device stopped as it starts, which ends as a clean stop', async () => {
    // The device takes queued cells as it starts. A SIGTERM that came before its handlers were
    // set (they were set after the start) ended it at once, holding the cell: counted as a try,
    // as after a crash, and the next device had to find it. Sent here as soon as the new
    // device's first heartbeat names it, which it writes in its start.
    await box.killDevice('SIGTERM');
    const cell = await post(`${box.url}/api/v1/cells`, { code: 'echo early', language: 'slow' });
    const started = box.startDevice();
    const first = box.device;
    while ((await get(`${box.url}/healthz`)).body.device?.pid !== first.pid) {
      // polled without a pause: the window was a few milliseconds
    }
    first.kill('SIGTERM');
    await new Promise((resolve) => (first.exitCode !== null || first.signalCode !== null ? resolve(null) : first.once('exit', resolve)));
    expect({ code: first.exitCode, signal: first.signalCode }).toEqual({ code: 0, signal: null });
    expect((await get(`${box.url}/api/v1/cells/${cell.body.id}`)).body.status).toBe('queued');

    await box.startDevice();
    await started;
    const ms = await messagesUntilDone(box.url, cell.body.id);
    expect(stdout(ms)).toBe('early\n');
    expect(replyOf(ms).status).toBe('ok');
  }, 120_000);
});
