// Reading an HTTP-date (RFC 9110 §5.6.7): the three forms a recipient must take, and nothing else.
import { describe, expect, it } from 'vitest';
import { parseHttpDate } from '../../app/_lib/http-date';

const NOV_6_1994 = Date.UTC(1994, 10, 6, 8, 49, 37);

describe('parseHttpDate', () => {
  it('reads the IMF-fixdate, RFC 850 and asctime forms, all as UTC', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(NOV_6_1994);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(2026, 0, 1))).toBe(NOV_6_1994);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(NOV_6_1994);
    // What the files' Last-Modified says, read back.
    const t = Date.UTC(2026, 11, 6, 19, 40, 2);
    expect(parseHttpDate(new Date(t).toUTCString())).toBe(t);
  });

  it("takes RFC 850's two-digit year as the latest one at most 50 years ahead", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(new Date(parseHttpDate('Monday, 06-Nov-30 08:49:37 GMT', now)!).getUTCFullYear()).toBe(2030);
    expect(new Date(parseHttpDate('Friday, 06-Nov-99 08:49:37 GMT', now)!).getUTCFullYear()).toBe(1999);
  });

  it('is null for anything else, which Date.parse would have read as some time', () => {
    for (const text of ['3000', '2026-12-06T19:40:02Z', 'Sun, 31 Feb 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 24:00:00 GMT', 'Sun, 06 Nov 1994 08:49:37 PST', 'yesterday', '']) {
      expect(parseHttpDate(text), text).toBeNull();
    }
  });
});
