// POST /service, SageMathCell's simple service, as the scripts and bots written against it call
// it: the code as a form field, `{"success", "stdout"}` back. Sage unless `language` says; the
// `accepted_tos` its public server asks for is taken. Before, Cellbox answered such a script 404.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installed } from '../helpers/installed';
import { startCellbox, type Cellbox } from '../helpers/cellbox';

const sage = installed('/usr/lib/python3/dist-packages/sage');
let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_LANGUAGES: sage ? 'python,sage' : 'python' });
}, 180_000);

afterAll(async () => {
  await box?.stop();
});

/** POSTs `fields` form-encoded, as SageMathCell's own client script does. */
async function service(fields: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${box.url}/service`, { method: 'POST', body: new URLSearchParams(fields) });
  return { status: res.status, body: await res.json() };
}

describe('POST /service', () => {
  it('runs the code and answers success and its stdout', async () => {
    const r = await service({ code: 'print(6 * 7)', language: 'python', accepted_tos: 'true' });
    expect(r).toEqual({ status: 200, body: { success: true, stdout: '42\n' } });
  });

  // The same fields as JSON, as a script that posts JSON writes them: accepted_tos a boolean, not "true".
  it('takes the fields as JSON too, accepted_tos true or "true"', async () => {
    for (const accepted of [true, 'true']) {
      const res = await fetch(`${box.url}/service`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: 'print(6 * 7)', language: 'python', accepted_tos: accepted }) });
      expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { success: true, stdout: '42\n' } });
    }
  });

  it('answers success false for a cell that fails, with what it wrote, stderr too', async () => {
    const r = await service({ code: 'import sys\nprint("before")\nsys.stderr.write("careful\\n")\n1/0', language: 'python' });
    expect(r).toEqual({ status: 200, body: { success: false, stdout: 'before\n', stderr: 'careful\n' } });
  });

  it.runIf(sage)('runs Sage when no language is named, as SageMathCell does', async () => {
    const r = await service({ code: 'print(factor(2014))', accepted_tos: 'true' });
    expect(r).toEqual({ status: 200, body: { success: true, stdout: '2 * 19 * 53\n' } });
  }, 60_000);

  it('says what is wrong with a request, as the API does', async () => {
    const missing = await service({ language: 'python' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toMatch(/code is required/);
    const unknown = await service({ code: '1', language: 'cobol' });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toMatch(/language \\"cobol\\" is not offered here; choose one of: python/);
    const get = await fetch(`${box.url}/service`);
    expect(get.status).toBe(405);
  });

  // Sent in chunks, a body has no Content-Length to refuse it by. Through Next.js, whose proxy
  // keeps the first 512 KiB of a body and drops the rest without a word, the route read a form
  // cut short as if it were whole: its long last field (`accepted_tos`, any text) cut, the cell ran.
  it('refuses a chunked body over the limit, however short its code', async () => {
    const body = `code=print(6*7)&language=python&accepted_tos=${'x'.repeat(600_000)}`;
    const r = await new Promise<{ status: number; body: { error?: { code: string; message: string } } }>((resolve, reject) => {
      const req = http.request(`${box.url}/service`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Transfer-Encoding': 'chunked' } }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(parts).toString()) }));
      });
      req.on('error', reject);
      for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.slice(i, i + 64 * 1024));
      req.end();
    });
    expect(r.status).toBe(413);
    expect(r.body.error).toMatchObject({ code: 'too_large', message: expect.stringMatching(/over 524288 bytes, the limit/) });
  });
});
