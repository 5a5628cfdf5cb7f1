// Snippets and links over HTTP against a real web server and device: sharing (JSON and form),
// reading back, the raw text and its download, the permalink page and its 404, the limits,
// and the page at / preloaded from a ?z= link made by Python.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SNIPPET_BYTES } from '../../protocol/limits';
import { get, post, startCellbox, type Cellbox } from '../helpers/cellbox';
import { pythonZ } from '../helpers/python-link';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox();
});

afterAll(async () => {
  await box?.stop();
});

const CODE = 'for n in range(3):\n    print("ünïcødé <b>&amp;</b>", n)\n';

async function html(path: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${box.url}${path}`);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** Text as React writes it into HTML. */
function escaped(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

describe('POST /api/v1/snippets', () => {
  it('shares code as JSON: 201 with the id and its URLs; the same code again is 200 with the same answer', async () => {
    const first = await post(`${box.url}/api/v1/snippets`, { code: CODE, language: 'python', title: 'Counting' });
    expect(first.status).toBe(201);
    const { id } = first.body;
    expect(id).toMatch(/^[A-Za-z0-9_-]{10}$/);
    expect(first.body).toEqual({ id, url: `/s/${id}`, raw: `/s/${id}/raw`, language: 'python', created: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
    expect(first.headers.get('location')).toBe(`/api/v1/snippets/${id}`);
    expect(first.headers.get('access-control-allow-origin')).toBe('*');
    const again = await post(`${box.url}/api/v1/snippets`, { code: CODE, language: 'python', title: 'Another title' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const bash = await post(`${box.url}/api/v1/snippets`, { code: CODE, language: 'bash' });
    expect(bash.status).toBe(201);
    expect(bash.body.id).not.toBe(id);
  });

  it('shares form-encoded code', async () => {
    const r = await post(`${box.url}/api/v1/snippets`, 'code=echo+%22hi+there%22&language=bash&title=Greeting', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(201);
    const back = await get(`${box.url}/api/v1/snippets/${r.body.id}`);
    expect(back.body).toMatchObject({ code: 'echo "hi there"', language: 'bash', title: 'Greeting' });
  });

  it(`takes code of exactly ${MAX_SNIPPET_BYTES} UTF-8 bytes and refuses one byte more with 413 naming the limit`, async () => {
    const fits = 'é'.repeat(MAX_SNIPPET_BYTES / 2);
    expect((await post(`${box.url}/api/v1/snippets`, { code: fits, language: 'python' })).status).toBe(201);
    const over = await post(`${box.url}/api/v1/snippets`, { code: `${fits}x`, language: 'python' });
    expect(over.status).toBe(413);
    // Its é are two bytes each: the message says the limit is in bytes, not characters.
    expect(over.body).toEqual({ error: { code: 'too_large', message: `code is ${MAX_SNIPPET_BYTES + 1} bytes; the limit is ${MAX_SNIPPET_BYTES}. UTF-8 bytes, not characters: its ${MAX_SNIPPET_BYTES / 2 + 1} characters include some of 2 to 4 bytes (é, 日, 😀).` } });
  });

  it('refuses a 10 MiB body with 413 without reading it whole', async () => {
    const r = await post(`${box.url}/api/v1/snippets`, JSON.stringify({ code: 'x'.repeat(10 * 1024 * 1024), language: 'python' }));
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('too_large');
    expect(r.body.error.message).toMatch(/limit is \d+/);
  });

  const bad: { name: string; body: unknown; status: number; code: string; message: RegExp }[] = [
    { name: 'missing code', body: { language: 'python' }, status: 400, code: 'invalid_field', message: /code is required/ },
    { name: 'missing language', body: { code: 'x' }, status: 400, code: 'invalid_field', message: /language is required/ },
    { name: 'code not a string', body: { code: ['x'], language: 'python' }, status: 400, code: 'invalid_field', message: /code must be a string/ },
    { name: 'title not a string', body: { code: 'x', language: 'python', title: 7 }, status: 400, code: 'invalid_field', message: /title must be a string/ },
    { name: 'title over 200 characters', body: { code: 'x', language: 'python', title: 't'.repeat(201) }, status: 400, code: 'invalid_field', message: /at most 200 characters/ },
    { name: 'an unknown field', body: { code: 'x', language: 'python', timeout: 3 }, status: 400, code: 'invalid_field', message: /unknown field "timeout"/ },
    { name: 'a language not offered', body: { code: 'x', language: 'cobol' }, status: 400, code: 'unknown_language', message: /^language "cobol" is not offered here; choose one of: python, javascript, bash\.$/ },
    { name: 'not JSON', body: '{"code": ', status: 400, code: 'invalid_json', message: /not valid JSON/ },
  ];
  for (const c of bad) {
    it(`answers ${c.status} ${c.code} for ${c.name}`, async () => {
      const r = await post(`${box.url}/api/v1/snippets`, c.body);
      expect(r.status).toBe(c.status);
      expect(r.body.error.code).toBe(c.code);
      expect(r.body.error.message).toMatch(c.message);
    });
  }

  it('answers the CORS preflight', async () => {
    const r = await fetch(`${box.url}/api/v1/snippets`, { method: 'OPTIONS', headers: { Origin: 'https://example.org', 'Access-Control-Request-Method': 'POST' } });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('GET /api/v1/snippets/:id', () => {
  it('answers the code, language, title and first share time', async () => {
    const shared = await post(`${box.url}/api/v1/snippets`, { code: 'console.log(6 * 7)', language: 'javascript', title: '  The answer ' });
    const r = await get(`${box.url}/api/v1/snippets/${shared.body.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: shared.body.id, code: 'console.log(6 * 7)', language: 'javascript', title: 'The answer', created: shared.body.created });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers 404 for an unknown id, and says what an id looks like for a malformed one', async () => {
    const unknown = await get(`${box.url}/api/v1/snippets/AAAAAAAAAA`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: { code: 'not_found', message: 'There is no snippet "AAAAAAAAAA".' } });
    const malformed = await get(`${box.url}/api/v1/snippets/not*an*id`);
    expect(malformed.status).toBe(404);
    expect(malformed.body.error.message).toMatch(/snippet ids are 10 characters/);
  });
});

describe('GET /s/:id/raw', () => {
  it('answers the code as plain text, byte for byte, open to any origin', async () => {
    const { body } = await post(`${box.url}/api/v1/snippets`, { code: CODE, language: 'python' });
    const res = await fetch(`${box.url}/s/${body.id}/raw`, { headers: { Origin: 'https://example.org' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('content-disposition')).toBeNull();
    expect(await res.text()).toBe(CODE);
  });

  it('?download=1 makes it a file named after the id and the language', async () => {
    for (const [language, ext] of [['python', '.py'], ['bash', '.sh'], ['javascript', '.js']]) {
      const { body } = await post(`${box.url}/api/v1/snippets`, { code: 'true', language });
      const res = await fetch(`${box.url}/s/${body.id}/raw?download=1`);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="snippet-${body.id}${ext}"`);
      expect(await res.text()).toBe('true');
    }
  });

  // Only "1" was read: `?download=true`, `?download=yes` or a bare `?download` sent the code
  // inline, without a word, where the permalink's ?autorun takes the same words for yes.
  it('?download takes the words ?autorun takes, and names a value that is neither', async () => {
    const { body } = await post(`${box.url}/api/v1/snippets`, { code: 'echo words', language: 'bash' });
    for (const q of ['download=true', 'download=yes', 'download=ON', 'download']) {
      const res = await fetch(`${box.url}/s/${body.id}/raw?${q}`);
      expect(res.headers.get('content-disposition'), q).toBe(`attachment; filename="snippet-${body.id}.sh"`);
    }
    for (const q of ['download=0', 'download=false', 'download=off']) {
      const res = await fetch(`${box.url}/s/${body.id}/raw?${q}`);
      expect(res.status, q).toBe(200);
      expect(res.headers.get('content-disposition'), q).toBeNull();
    }
    const maybe = await get(`${box.url}/s/${body.id}/raw?download=maybe`);
    expect(maybe.status).toBe(400);
    expect(maybe.body.error).toMatchObject({ code: 'invalid_field', message: expect.stringMatching(/^download must be 1, true, yes or on .*not "maybe"/) });
  });

  it('answers 404 for an unknown snippet', async () => {
    const r = await get(`${box.url}/s/AAAAAAAAAA/raw`);
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
  });
});

describe('the permalink page /s/:id', () => {
  it('is HTML with the title, language, Raw and Download links, and the code', async () => {
    const code = `# titled\n${CODE}`;
    const { body } = await post(`${box.url}/api/v1/snippets`, { code, language: 'python', title: 'Counting <loudly>' });
    const page = await html(`/s/${body.id}`);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.text).toContain('<title>Counting &lt;loudly&gt; · Cellbox</title>');
    expect(page.text).toContain('<h1>Counting &lt;loudly&gt;</h1>');
    expect(page.text).toContain('Python 3');
    expect(page.text).toContain(`href="/s/${body.id}/raw"`);
    expect(page.text).toContain(`href="/s/${body.id}/raw?download=1"`);
    // The code is in the page itself (shown until the editor is built), escaped.
    expect(page.text).toContain(`<pre class="cell-static">${escaped(code)}</pre>`);
    expect(page.text).not.toContain('<b>&amp;</b>');
  });

  it('names an untitled snippet by its id', async () => {
    const { body } = await post(`${box.url}/api/v1/snippets`, { code: 'echo untitled', language: 'bash' });
    const page = await html(`/s/${body.id}`);
    expect(page.text).toContain(`<title>Snippet ${body.id} · Cellbox</title>`);
    expect(page.text).toContain('<meta name="description" content="Bash code shared on Cellbox: echo untitled"/>');
  });

  it('cuts a long first line for the link preview between characters, never inside an emoji', async () => {
    // 120 UTF-16 units with the ellipsis: after "# ", 117 units end inside the 59th emoji, whose
    // first half alone was sent as U+FFFD.
    const { body } = await post(`${box.url}/api/v1/snippets`, { code: `# ${'😀'.repeat(70)}\nprint(1)`, language: 'python' });
    const page = await html(`/s/${body.id}`);
    expect(page.text).toContain(`<meta name="description" content="Python 3 code shared on Cellbox: # ${'😀'.repeat(58)}…"/>`);
    expect(page.text).not.toContain('\ufffd');
  });

  it('answers an unknown, malformed or undecodable id with the 404 page, rendered on the server', async () => {
    for (const path of ['/s/AAAAAAAAAA', '/s/nope', '/s/%zz', '/s/%E2%82', '/no/such/page']) {
      const page = await html(path);
      expect(page.status, path).toBe(404);
      expect(page.type, path).toMatch(/^text\/html/);
      expect(page.text, path).toContain('<title>Not found · Cellbox</title>');
      expect(page.text, path).toMatch(/<p>This snippet or page does not exist\.[^<]*<\/p>/);
      expect(page.text, path).toContain('<a href="/">Go to Cellbox</a>');
    }
  });
});

describe('the page at / from a link', () => {
  it('?z= made by Python: the page carries its code', async () => {
    const code = 'print("made by Python: ünïcødé & <tags>")\n';
    const page = await html(`/?z=${pythonZ(code)}&lang=python`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<pre class="cell-static">${escaped(code)}</pre>`);
    expect(page.text).not.toContain('class="notice"');
  });

  it('a bad ?z= gives the page with a notice and the usual code, never an error', async () => {
    for (const z of ['not*base64', 'eJxLT', 'aGVsbG8', pythonZ('x').slice(0, 6)]) {
      const page = await html(`/?z=${encodeURIComponent(z)}&lang=python`);
      expect(page.status, z).toBe(200);
      expect(page.text, z).toMatch(/<p class="notice" role="alert">This link&#x27;s code could not be read: [^<]+<\/p>/);
      expect(page.text, z).toContain('Hello from Cellbox');
    }
  });

  it('an unknown lang falls back to Python with a notice', async () => {
    const page = await html(`/?z=${pythonZ('1 + 1')}&lang=sage`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('This link asks for the language &quot;sage&quot;, which this server does not run; the code is shown as Python instead.');
    expect(page.text).toContain('<pre class="cell-static">1 + 1</pre>');
  });
});
