// GET /files/:cellId/:name against the real server: the files a real cell made, under names
// a careless cell gives them, served with their headers, in parts (Range) and revalidated
// (ETag), as a media player, a resumed download and a browser's cache ask for them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messagesUntilDone, post, startCellbox, stderr, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;
let id: string;
/** The cell's files by name, as GET /api/v1/cells/:id lists them. */
const urls = new Map<string, string>();

const NAMES = ['a b.txt', 'ünï©ødé.txt', '100%.txt', 'a#b.txt', 'q?x.txt', '.hidden', "it's (1).txt", 'page.html', 'pic.svg', 'empty.txt', 'data.bin'];

beforeAll(async () => {
  box = await startCellbox();
  const code = [
    `for n in ${JSON.stringify(NAMES.filter((n) => n !== 'data.bin' && n !== 'empty.txt'))}:`,
    '    open(n, "w").write("<svg xmlns=\'http://www.w3.org/2000/svg\' onload=\'alert(1)\'/>" if n.endswith(".svg") else "<script>alert(1)</script>" if n.endswith(".html") else "hi " + n)',
    'open("empty.txt", "w").close()',
    'open("data.bin", "wb").write(bytes(range(256)) * 1024)',
  ].join('\n');
  id = (await post(`${box.url}/api/v1/cells`, { code })).body.id;
  await messagesUntilDone(box.url, id);
  const cell = await (await fetch(`${box.url}/api/v1/cells/${id}`)).json();
  for (const f of cell.files) urls.set(f.name, `${box.url}${f.url}`);
});

afterAll(async () => {
  await box?.stop();
});

const expected = (i: number) => i % 256;

describe('GET /files/:cellId/:name', () => {
  it('serves every name a cell gave, under the URL the cell lists, with its own bytes', async () => {
    expect([...urls.keys()].sort()).toEqual([...NAMES].sort());
    for (const name of NAMES.filter((n) => n !== 'data.bin' && n !== 'empty.txt' && !/\.(svg|html)$/.test(n))) {
      const r = await fetch(urls.get(name)!);
      expect(r.status, name).toBe(200);
      expect(await r.text(), name).toBe(`hi ${name}`);
      expect(r.headers.get('content-disposition'), name).toMatch(/^inline; filename\*=UTF-8''/);
      expect(decodeURIComponent(r.headers.get('content-disposition')!.split("''")[1]), name).toBe(name);
    }
    const empty = await fetch(urls.get('empty.txt')!);
    expect(empty.status).toBe(200);
    expect(empty.headers.get('content-length')).toBe('0');
  });

  it('serves HTML and SVG a cell wrote in a sandbox that runs none of their script, never sniffed', async () => {
    for (const name of ['page.html', 'pic.svg']) {
      const r = await fetch(urls.get(name)!);
      expect(r.headers.get('content-type'), name).toMatch(name.endsWith('.html') ? /^text\/html/ : /^image\/svg\+xml/);
      expect(r.headers.get('content-security-policy'), name).toMatch(/(^|;)\s*sandbox(;|$)/);
      expect(r.headers.get('content-security-policy'), name).toMatch(/default-src 'none'/);
      expect(r.headers.get('x-content-type-options'), name).toBe('nosniff');
    }
  });

  it('answers a Range with that part of the file, and says it can', async () => {
    const url = urls.get('data.bin')!;
    const whole = await fetch(url);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    const size = 256 * 1024;
    for (const [range, start, end] of [['bytes=0-9', 0, 9], ['bytes=1000-', 1000, size - 1], ['bytes=-16', size - 16, size - 1], ['bytes=262100-999999', 262100, size - 1]] as const) {
      const r = await fetch(url, { headers: { Range: range } });
      expect(r.status, range).toBe(206);
      expect(r.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${size}`);
      expect(r.headers.get('content-length'), range).toBe(String(end - start + 1));
      const body = new Uint8Array(await r.arrayBuffer());
      expect(body.length, range).toBe(end - start + 1);
      expect(body.every((b, i) => b === expected(start + i)), range).toBe(true);
    }
    // Past the end: 416, naming the file and its size, with the size in Content-Range.
    const past = await fetch(url, { headers: { Range: `bytes=${size}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${size}`);
    // JSON, not the file: never kept (it carried the file's `private, max-age=3600`).
    expect(past.headers.get('cache-control')).toBe('no-store');
    expect((await past.json()).error).toMatchObject({ code: 'range_not_satisfiable', message: expect.stringMatching(/data\.bin.*262144 bytes/) });
    // Several ranges, or a malformed one: the whole file, as RFC 9110 lets a server answer.
    for (const range of ['bytes=0-1,5-6', 'bytes=9-2', 'lines=1-2', 'bytes=x-y']) {
      const r = await fetch(url, { headers: { Range: range } });
      expect(r.status, range).toBe(200);
      expect(r.headers.get('content-length'), range).toBe(String(size));
    }
    // HEAD with a Range: the part's headers, no body.
    const head = await fetch(url, { method: 'HEAD', headers: { Range: 'bytes=0-99' } });
    expect(head.status).toBe(206);
    expect(head.headers.get('content-length')).toBe('100');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('revalidates by ETag: 304 for the version held, and If-Range only for that version', async () => {
    const url = urls.get('a b.txt')!;
    const first = await fetch(url);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(first.headers.get('last-modified')).toBeTruthy();
    const again = await fetch(url, { headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    expect((await fetch(url, { headers: { 'If-None-Match': `"other", W/${etag}` } })).status).toBe(304);
    expect((await fetch(url, { headers: { 'If-None-Match': '"other"' } })).status).toBe(200);
    // Another file's tag is not this one's.
    const other = (await fetch(urls.get('data.bin')!)).headers.get('etag');
    expect(other).not.toBe(etag);
    const part = await fetch(url, { headers: { Range: 'bytes=0-1', 'If-Range': etag! } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe('hi');
    const changed = await fetch(url, { headers: { Range: 'bytes=0-1', 'If-Range': '"changed"' } });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toBe('hi a b.txt');
  });

  it('names what is missing, for an unknown file and an unknown cell', async () => {
    const r = await fetch(`${box.url}/files/${id}/nope.txt`);
    expect(r.status).toBe(404);
    expect((await r.json()).error.message).toMatch(new RegExp(`${id}.*nope\\.txt`));
    const unknown = await fetch(`${box.url}/files/AAAAAAAAAAAA/x.txt`);
    expect(unknown.status).toBe(404);
  });
});

describe('files a cell wrote in folders', () => {
  let cell: { id: string; files: { name: string; url: string; content_type: string }[] };
  let stderrText: string;

  beforeAll(async () => {
    const code = [
      'import os',
      'os.makedirs("plots/png")',
      'open("plots/png/fig 1.png", "wb").write(b"\\x89PNG")',
      'open("plots/data.csv", "w").write("x,y\\n")',
      // Programs keep their state in hidden folders of HOME, the cell's folder: not listed.
      'os.makedirs(".cache/tool")',
      'open(".cache/tool/state", "w").write("s")',
      'os.symlink("/etc", "plots/etc")',
    ].join('\n');
    const created = (await post(`${box.url}/api/v1/cells`, { code })).body.id as string;
    const messages = await messagesUntilDone(box.url, created);
    stderrText = stderr(messages);
    cell = await (await fetch(`${box.url}/api/v1/cells/${created}`)).json();
  });

  it('lists them by their folders and serves each at a segment per folder, downloaded by its own name', async () => {
    expect(cell.files.map((f) => [f.name, f.url, f.content_type])).toEqual([
      ['plots/data.csv', `/files/${cell.id}/plots/data.csv`, 'text/csv; charset=utf-8'],
      ['plots/png/fig 1.png', `/files/${cell.id}/plots/png/fig%201.png`, 'image/png'],
    ]);
    const r = await fetch(`${box.url}/files/${cell.id}/plots/png/fig%201.png`);
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer())).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    expect(r.headers.get('content-disposition')).toBe("inline; filename*=UTF-8''fig%201.png");
    expect(r.headers.get('content-length')).toBe('4');
    // The link into the host's /etc is named, not followed.
    expect(stderrText).toContain('plots/etc (symlink)');
  });

  it('refuses a folder URL whose segment hides a "/", or that leads nowhere, naming the problem', async () => {
    const slash = await fetch(`${box.url}/files/${cell.id}/plots%2Fdata.csv`);
    expect(slash.status).toBe(400);
    expect((await slash.json()).error.message).toMatch(/Not a file name: name contains "\/"/);
    const missing = await fetch(`${box.url}/files/${cell.id}/plots/nope.csv`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.message).toContain('"plots/nope.csv"');
    const deep = await fetch(`${box.url}/files/${cell.id}/${'d/'.repeat(9)}f`);
    expect(deep.status).toBe(400);
    expect((await deep.json()).error.message).toMatch(/more than 8 folders deep/);
  });
});
