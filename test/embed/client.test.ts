// The cell client's sentence for a request the browser refused before it left: which refusals
// are mixed content (an https page, an http server), which the connection's; and what a refusal
// the server answered says.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isMixedContent, request } from '../../embed/client';

describe('isMixedContent', () => {
  it('is an https page asking an http server elsewhere', () => {
    expect(isMixedContent('https://notes.example.edu/ch1.html', 'http://cellbox.example.edu/api/v1/cells')).toBe(true);
    expect(isMixedContent('https://notes.example.edu/ch1.html', 'http://10.0.0.5:3000/api/v1/poll')).toBe(true);
  });

  it('is not a page and server of one scheme, nor an http page, nor a path on the page’s own server', () => {
    expect(isMixedContent('https://notes.example.edu/', 'https://cellbox.example.edu/api/v1/cells')).toBe(false);
    expect(isMixedContent('http://notes.example.edu/', 'http://cellbox.example.edu/api/v1/cells')).toBe(false);
    expect(isMixedContent('http://notes.example.edu/', 'https://cellbox.example.edu/api/v1/cells')).toBe(false);
    expect(isMixedContent('https://cellbox.example.edu/s/abc', '/api/v1/cells')).toBe(false);
  });

  it('is not a server on this machine’s loopback, which browsers count as secure', () => {
    for (const server of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000', 'http://cellbox.localhost']) {
      expect(isMixedContent('https://notes.example.edu/', `${server}/api/v1/cells`), server).toBe(false);
    }
  });
});

describe('request', () => {
  afterEach(() => vi.unstubAllGlobals());

  it("says the server's words for a 413, how large and the limit, after its own sentence", async () => {
    // "The code is too large to run here." alone: a reader whose editor counted 25,000 characters
    // of Japanese, 75,000 bytes, saw neither the size nor the limit.
    const message = 'code is 75000 bytes; the limit is 65536. UTF-8 bytes, not characters: its 25000 characters include some of 2 to 4 bytes (é, 日, 😀).';
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ error: { code: 'too_large', message } }), { status: 413 }));
    await expect(request('http://localhost/api/v1/cells')).rejects.toThrow(`The code is too large to run here: ${message}`);
    // Without the server's JSON (a proxy's own 413 page), the sentence alone.
    vi.stubGlobal('fetch', async () => new Response('<html>413</html>', { status: 413 }));
    await expect(request('http://localhost/api/v1/cells')).rejects.toThrow(/^The code is too large to run here\.$/);
  });
});
