// The language registry through the real server and device: two entries that share one runtime
// (the system Python) with different environments, side by side; a language's own limits, as
// the web app (the largest and the default timeout) and the device (output cap, wall time)
// apply them; a version probe's version listed; a runtime that is missing left out with the
// line saying how to install it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, get, post, run, startCellbox, stdout, type Cellbox } from '../helpers/cellbox';

const python = (name: string, extra: Record<string, unknown>) => ({
  name,
  display_name: `Python ${name}`,
  command: ['/usr/bin/python3', '-I', '/opt/cellbox/workers/python/kernel.py'],
  file_extension: '.py',
  codemirror_mode: 'python',
  ...extra,
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-registry-'));
const configFile = path.join(dir, 'cellbox.config.json');
fs.writeFileSync(configFile, JSON.stringify({
  languages: [
    python('py-a', { env: { FLAVOR: 'a' } }),
    python('py-b', {
      env: { FLAVOR: 'b' },
      limits: { wallSeconds: 3, outputBytes: 4096 },
      versionProbe: { command: ['python3', '-c', 'print("flavour b 2.0.1")'], pattern: 'flavour b (\\S+)' },
    }),
    python('gone', { versionProbe: { command: ['no-such-runtime-here', '--version'] }, install: 'apt-get install -y no-such-runtime' }),
  ],
}));

let box: Cellbox;
let listed: { name: string; version: string }[] = [];

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_CONFIG: configFile, CELLBOX_LANGUAGES: 'py-a,py-b,gone' });
  for (let i = 0; i < 600; i++) {
    listed = (await get(`${box.url}/api/v1/languages`)).body;
    if (['py-a', 'py-b'].every((n) => listed.some((l) => l.name === n && l.version))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`py-a and py-b were not offered:\n${box.logs.join('').slice(-3000)}`);
}, 90_000);

afterAll(async () => {
  await box?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the language registry', () => {
  it('lists both entries, the probed version, and leaves the missing runtime out with how to install it', () => {
    expect(listed.map((l) => l.name)).toEqual(['py-a', 'py-b']);
    expect(listed[0].version).toMatch(/^3\.\d+\.\d+/); // what py-a's worker said
    expect(listed[1].version).toBe('2.0.1'); // what py-b's probe said
    expect(box.logs.join('')).toContain('language gone left out: no-such-runtime-here is not installed (install it with: apt-get install -y no-such-runtime)');
  });

  it('runs the same runtime with each entry’s own environment', async () => {
    const code = 'import os\nprint(os.environ["FLAVOR"])';
    const [a, b] = await Promise.all([run(box.url, code, 'py-a'), run(box.url, code, 'py-b')]);
    expect(stdout(a)).toBe('a\n');
    expect(stdout(b)).toBe('b\n');
  });

  it("takes a language's own wall time as its largest and its default timeout", async () => {
    const tooLong = await post(`${box.url}/api/v1/cells`, { code: '1', language: 'py-b', timeout: 10 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatchObject({ code: 'invalid_field', message: expect.stringContaining('at most 3 seconds') });
    expect((await post(`${box.url}/api/v1/cells`, { code: '1', language: 'py-a', timeout: 10 })).status).toBe(201);

    const slept = await run(box.url, 'import time\ntime.sleep(20)', 'py-b');
    expect(errorOf(slept)).toMatchObject({ ename: 'TimeoutError', evalue: expect.stringContaining('3 s') });
  });

  it("stops a cell at its language's own output cap, and only that language's cells", async () => {
    const code = 'print("y" * 10000)';
    const [a, b] = await Promise.all([run(box.url, code, 'py-a'), run(box.url, code, 'py-b')]);
    expect(errorOf(a)).toBeUndefined();
    expect(stdout(a)).toBe(`${'y'.repeat(10000)}\n`);
    expect(errorOf(b)).toMatchObject({ ename: 'OutputLimitExceeded', evalue: expect.stringContaining('4096 bytes') });
    expect(stdout(b).length).toBeLessThanOrEqual(4096);
  });
});
