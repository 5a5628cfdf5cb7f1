// The cell client's sentence for a request the browser refused before it left: which refusals
// are mixed content (an https page, an http server), which the connection's.
import { describe, expect, it } from 'vitest';
import { isMixedContent } from '../../embed/client';

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
