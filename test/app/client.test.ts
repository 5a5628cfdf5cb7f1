// Per-client limits: the token bucket for submissions, the long-poll slots, and which address
// is believed.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../protocol/errors';
import { ClientLimits, clientAddress } from '../../app/_lib/client';

const req = (headers: Record<string, string>) => new Request('http://x/', { headers });

describe('clientAddress', () => {
  it('is the connection peer, whatever X-Forwarded-For a client sends', () => {
    expect(clientAddress(req({ 'x-cellbox-peer': '203.0.113.7', 'x-forwarded-for': '10.9.9.9' }), { trustProxy: false })).toBe('203.0.113.7');
  });

  it("behind a trusted proxy, is the last X-Forwarded-For entry (the one the proxy added)", () => {
    expect(clientAddress(req({ 'x-cellbox-peer': '127.0.0.1', 'x-forwarded-for': 'spoofed, 198.51.100.4' }), { trustProxy: true })).toBe('198.51.100.4');
    expect(clientAddress(req({ 'x-cellbox-peer': '127.0.0.1' }), { trustProxy: true })).toBe('127.0.0.1');
  });
});

describe('ClientLimits', () => {
  it('lets a burst through, then the rate, per client, and says when to come back', () => {
    const limits = new ClientLimits({ cellsPerMinute: 60, cellsBurst: 3, longPollsPerClient: 2 });
    const t = 1_000_000;
    for (let i = 0; i < 3; i++) limits.submit('a', t);
    let refused: ApiError | null = null;
    try {
      limits.submit('a', t);
    } catch (e) {
      refused = e as ApiError;
    }
    expect(refused?.status).toBe(429);
    expect(refused?.message).toMatch(/at most 60 a minute \(3 at once\)\. Try again in 1 s/);
    expect(refused?.headers).toEqual({ 'Retry-After': '1' });
    limits.submit('b', t); // another client is not held back
    limits.submit('a', t + 1000); // one a second comes back
    expect(() => limits.submit('a', t + 1000)).toThrow(ApiError);
  });

  it('does not limit when the rate is 0', () => {
    const limits = new ClientLimits({ cellsPerMinute: 0, cellsBurst: 1, longPollsPerClient: 1 });
    for (let i = 0; i < 1000; i++) limits.submit('a');
  });

  it('counts open long-polls per client and frees a slot when one ends', () => {
    const limits = new ClientLimits({ cellsPerMinute: 60, cellsBurst: 3, longPollsPerClient: 2 });
    const one = limits.poll('a');
    limits.poll('a');
    expect(() => limits.poll('a')).toThrow(/at most 2/);
    limits.poll('b');
    one();
    one(); // twice is once
    limits.poll('a');
    expect(() => limits.poll('a')).toThrow(ApiError);
  });

  it('gives a slot to a wait that can do without one, or null, counting it as a long-poll', () => {
    const limits = new ClientLimits({ cellsPerMinute: 60, cellsBurst: 3, longPollsPerClient: 1 });
    const slot = limits.tryPoll('a');
    expect(slot).toBeTypeOf('function');
    expect(limits.tryPoll('a')).toBeNull();
    expect(() => limits.poll('a')).toThrow(/at most 1/);
    slot!();
    expect(limits.tryPoll('a')).toBeTypeOf('function');
  });
});
