// The device dies with SIGKILL mid-cell and is restarted: the running cell ends with
// WorkerCrashed and its final messages, a queued one runs, and no sandbox is left behind; a
// device stopped gracefully ends its running cells the same way. A device starting on a fresh database takes cells for every language while they warm.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, get, messagesUntilDone, post, replyOf, startCellbox, stdout, types, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_CONCURRENCY: '1' });
});

afterAll(async () => {
  await box?.stop();
});

describe('device restart', () => {
  it('ends the running cell with WorkerCrashed and runs the queued one', async () => {
    const tag = `cellbox-recover-${Date.now()}`;
    const running = await post(`${box.url}/api/v1/cells`, { code: `import subprocess, time\nsubprocess.Popen(["bash", "-c", "exec -a ${tag} sleep 300"])\nprint("started", flush=True)\ntime.sleep(300)` });
    const first = await get(`${box.url}/api/v1/cells/${running.body.id}/messages?after=2&wait=15`);
    expect(stdout(first.body.messages)).toBe('started\n');
    // With one cell at a time, this one waits in the queue.
    const queued = await post(`${box.url}/api/v1/cells`, { code: 'print("ran after restart")' });
    expect((await get(`${box.url}/api/v1/cells/${queued.body.id}`)).body.status).toBe('queued');

    await box.killDevice('SIGKILL');
    // The sandbox died with its parent: nothing of the cell is left on the machine.
    await new Promise((r) => setTimeout(r, 500));
    expect(execFileSync('ps', ['-eo', 'args']).toString()).not.toContain(tag);
    const health = await get(`${box.url}/healthz`);
    expect(health.body.cells.running).toBe(1);

    await box.startDevice();
    const ms = await messagesUntilDone(box.url, running.body.id);
    expect(errorOf(ms)?.ename).toBe('WorkerCrashed');
    expect(types(ms).slice(-3)).toEqual(['error', 'execute_reply', 'status']);
    expect(replyOf(ms).status).toBe('error');

    const next = await messagesUntilDone(box.url, queued.body.id);
    expect(stdout(next)).toBe('ran after restart\n');
    expect((await get(`${box.url}/healthz`)).body.cells).toEqual({ queued: 0, running: 0 });
  });

  // A stop the reader did not ask for: it ended as Interrupted, which only
  // `POST …/interrupt` means (docs/api.md), so a client could not tell it from its own Stop.
  it('a graceful stop ends the running cell with WorkerCrashed, as a crash does, not Interrupted', async () => {
    const running = await post(`${box.url}/api/v1/cells`, { code: 'import time\nprint("started", flush=True)\ntime.sleep(300)' });
    const first = await get(`${box.url}/api/v1/cells/${running.body.id}/messages?after=2&wait=15`);
    expect(stdout(first.body.messages)).toBe('started\n');
    await box.killDevice('SIGTERM');
    const ms = await messagesUntilDone(box.url, running.body.id);
    expect(errorOf(ms)).toMatchObject({ ename: 'WorkerCrashed', evalue: expect.stringMatching(/shutting down; run it again/) });
    expect(types(ms).slice(-3)).toEqual(['error', 'execute_reply', 'status']);
    await box.startDevice();
  });

  it('an interrupt of a queued cell ends it at once, before any device takes it', async () => {
    await box.killDevice('SIGTERM');
    const queued = await post(`${box.url}/api/v1/cells`, { code: 'print("never")' });
    const r = await post(`${box.url}/api/v1/cells/${queued.body.id}/interrupt`, '');
    expect(r.status).toBe(202);
    const ms = await messagesUntilDone(box.url, queued.body.id);
    expect(types(ms)).toEqual(['status', 'execute_input', 'error', 'execute_reply', 'status']);
    expect(errorOf(ms)?.ename).toBe('Interrupted');
    await box.startDevice();
    expect(stdout(await messagesUntilDone(box.url, queued.body.id))).toBe('');
  });

  it('on a fresh database, takes cells for every language it runs while they warm up, and runs them', async () => {
    // A first start: no language listed from before.
    await box.killDevice('SIGTERM');
    const db = new Database(path.join(box.dataDir, 'cellbox.sqlite'));
    db.exec('DELETE FROM languages');
    db.close();
    const started = box.startDevice();
    // As soon as the first language is warm (it has a version), before Python's fork server is
    // (it takes far longer than Bash), every language is taken. (With none listed at all, the
    // web app takes them all anyway.)
    const listed = async () => (await get(`${box.url}/api/v1/languages`)).body as { name: string; version: string }[];
    while (!(await listed()).some((l) => l.version)) await new Promise((r) => setTimeout(r, 5));
    const codes: Record<string, string> = { python: 'print(6*7)', javascript: 'console.log(6*7)', bash: 'echo $((6*7))' };
    const posted = await Promise.all(Object.entries(codes).map(([language, code]) => post(`${box.url}/api/v1/cells`, { code, language })));
    expect(posted.map((r) => r.status)).toEqual([201, 201, 201]);
    for (const r of posted) expect(stdout(await messagesUntilDone(box.url, r.body.id))).toBe('42\n');
    await started;
    expect((await listed()).every((l) => l.version)).toBe(true);
  });
});
