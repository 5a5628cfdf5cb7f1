// POST /service, SageMathCell's simple service, as the scripts and bots written against it call
// it: the code as a form field, `{"success", "stdout"}` back. Sage unless `language` says; the
// `accepted_tos` its public server asks for is taken. Before, Cellbox answered such a script 404.
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
});
