// The API's answers where HTTP and the framework meet, through the real server: a cell's state
// while it waits for its worker, interrupts that change nothing, a React Server Components
// fetch, a preflight of no route, a file's revalidation by date, `Expect: 100-continue`, and a
// form's blank inputs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../store/config';
import { errorOf, get, messagesUntilDone, post, startCellbox, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;
let configDir: string;

beforeAll(async () => {
  configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-edges-'));
  // A language whose worker does not come within the test (a runtime that hangs as it starts),
  // with no warm spare: its cell stays taken and waiting, `starting`.
  const bash = DEFAULTS.languages.find((l) => l.name === 'bash')!;
  const stuck = { ...bash, name: 'stuck', display_name: 'Stuck Bash', pool: 0, command: ['/usr/bin/bash', '-c', 'sleep 600; exec /usr/bin/bash /opt/cellbox/workers/bash/kernel.sh'] };
  fs.writeFileSync(path.join(configDir, 'cellbox.config.json'), JSON.stringify({ languages: [...DEFAULTS.languages, stuck] }));
  box = await startCellbox({
    CELLBOX_CONFIG: path.join(configDir, 'cellbox.config.json'),
    CELLBOX_LANGUAGES: 'python,javascript,bash,stuck',
  });
}, 90_000);

afterAll(async () => {
  await box?.stop();
  if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
});

describe('GET /api/v1/cells/:id', () => {
  it('says `starting` for a cell taken and waiting for its worker, as the long-polls do, `running` once its messages begin', async () => {
    const waiting = await post(`${box.url}/api/v1/cells?wait=2`, { code: 'echo never', language: 'stuck' });
    expect(waiting.status).toBe(201);
    expect(waiting.body.answer.state).toBe('starting');
    const id = waiting.body.id;
    const cell = await get(`${box.url}/api/v1/cells/${id}`);
    expect(cell.status).toBe(200);
    // `status` is the queue's, as before; `state` the long-polls' word for it.
    expect(cell.body).toMatchObject({ id, status: 'running', state: 'starting', finished: null });

    const running = await post(`${box.url}/api/v1/cells?wait=10`, { code: 'import time\nprint("on", flush=True)\ntime.sleep(3)' });
    expect(running.body.answer.messages.length).toBeGreaterThan(0);
    expect((await get(`${box.url}/api/v1/cells/${running.body.id}`)).body).toMatchObject({ status: 'running', state: 'running' });
    await messagesUntilDone(box.url, running.body.id);
    expect((await get(`${box.url}/api/v1/cells/${running.body.id}`)).body).toMatchObject({ status: 'done', state: 'done' });

    // Stopped, the waiting cell ends at once, without waiting for its worker.
    expect((await post(`${box.url}/api/v1/cells/${id}/interrupt`, '')).status).toBe(202);
    expect(errorOf(await messagesUntilDone(box.url, id))?.ename).toBe('Interrupted');
    expect((await get(`${box.url}/api/v1/cells/${id}`)).body.state).toBe('done');
  }, 60_000);
});

