// ?z=/#z= links: URL-safe base64 and zlib both ways, links made by Python's zlib decoded, and
// every way a link can be bad answered with a ZLinkError naming it. Also the server's inflater.
import { execFileSync } from 'node:child_process';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateZLink } from '../../app/_lib/zlink';
import { MAX_SNIPPET_BYTES } from '../../protocol/limits';
import { base64UrlDecode, base64UrlEncode, decodeZLink, encodeZLink, MAX_QUERY_ZLINK_CHARS, parseZLinkHash, ZLinkError, zLinkPath } from '../../protocol/zlink';
import { pythonZ } from '../helpers/python-link';

const SAMPLE = 'import math\nprint("π ≈", math.pi)  # ünïcødé, emoji 🎲\n' + 'x = [i * i for i in range(100)]\n'.repeat(20);

describe('base64url', () => {
  const cases: { name: string; bytes: number[] }[] = [
    { name: 'one zero byte', bytes: [0] },
    { name: 'two bytes', bytes: [0xfb, 0xff] },
    { name: 'three bytes', bytes: [0xfb, 0xff, 0xfe] },
    { name: 'all byte values', bytes: [...Array(256).keys()] },
  ];
  for (const c of cases) {
    it(`round-trips ${c.name}, without padding, in the URL-safe alphabet`, () => {
      const text = base64UrlEncode(new Uint8Array(c.bytes));
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(text).toBe(Buffer.from(c.bytes).toString('base64url'));
      expect([...base64UrlDecode(text)]).toEqual(c.bytes);
      expect([...base64UrlDecode(Buffer.from(c.bytes).toString('base64'))]).toEqual(c.bytes);
    });
  }

  it('takes a space for a + (a query string decoded a standard-alphabet link)', () => {
    expect([...base64UrlDecode('+/8=')]).toEqual([0xfb, 0xff]);
    expect([...base64UrlDecode(' /8')]).toEqual([0xfb, 0xff]);
  });

  const bad: { name: string; z: string; error: RegExp }[] = [
    { name: 'empty', z: '', error: /empty/ },
    { name: 'a foreign character', z: 'eJy*', error: /not URL-safe base64 \(it contains "\*"\)/ },
    { name: 'an impossible length', z: 'eJxLT', error: /length is impossible/ },
    { name: 'too long', z: 'A'.repeat(200_000), error: /characters long; the limit is/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, () => {
      expect(() => base64UrlDecode(c.z)).toThrow(ZLinkError);
      expect(() => base64UrlDecode(c.z)).toThrow(c.error);
    });
  }
});

describe('z links', () => {
  it('decode a link made by Python (browser decoder and server inflater alike)', async () => {
    const z = pythonZ(SAMPLE);
    expect(z.startsWith('eJ')).toBe(true); // 0x78 0x9c: a zlib header
    expect(await decodeZLink(z)).toBe(SAMPLE);
    expect(inflateZLink(z)).toBe(SAMPLE);
    expect(inflateZLink(`${z}==`.slice(0, z.length + ((4 - (z.length % 4)) % 4)))).toBe(SAMPLE);
  });

  it('encode links that Python reads back', async () => {
    const z = await encodeZLink(SAMPLE);
    expect(z).toMatch(/^[A-Za-z0-9_-]+$/);
    const back = execFileSync('/usr/bin/python3', ['-c', "import sys,zlib,base64;z=sys.argv[1];sys.stdout.write(zlib.decompress(base64.urlsafe_b64decode(z+'='*(-len(z)%4))).decode())", z], { encoding: 'utf8' });
    expect(back).toBe(SAMPLE);
    expect(await decodeZLink(z)).toBe(SAMPLE);
  });

  it('zLinkPath puts short code in the query and long code in the hash', async () => {
    const short = await zLinkPath('print(1)', 'python');
    expect(short).toMatch(/^\/\?z=[A-Za-z0-9_-]+&lang=python$/);
    let seed = 42;
    const random = Array.from({ length: 20_000 }, () => String.fromCharCode(33 + ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 89))).join('');
    const long = await zLinkPath(random, 'bash');
    expect(long.startsWith('/#z=')).toBe(true);
    expect(long.length).toBeGreaterThan(MAX_QUERY_ZLINK_CHARS);
    expect(parseZLinkHash(long.slice(1))).toEqual({ z: expect.any(String), lang: 'bash' });
    expect(await decodeZLink(parseZLinkHash(long.slice(1))!.z)).toBe(random);
  });

  it('parse the hash', () => {
    expect(parseZLinkHash('#z=abc&lang=bash')).toEqual({ z: 'abc', lang: 'bash' });
    expect(parseZLinkHash('z=abc')).toEqual({ z: 'abc', lang: null });
    expect(parseZLinkHash('#section-2')).toBeNull();
    expect(parseZLinkHash('')).toBeNull();
  });

  const z = (bytes: Buffer) => bytes.toString('base64url');
  const bad: { name: string; z: string; error: RegExp }[] = [
    { name: 'base64 that is not zlib', z: z(Buffer.from('hello, not compressed')), error: /not zlib-compressed data/ },
    { name: 'raw deflate without the zlib header', z: z(zlib.deflateRawSync('print(1)')), error: /not zlib-compressed data/ },
    { name: 'a link cut short', z: z(zlib.deflateSync(SAMPLE)).slice(0, 40), error: /not zlib-compressed data/ },
    { name: 'bytes that are not UTF-8', z: z(zlib.deflateSync(Buffer.from([0x66, 0xff, 0xfe]))), error: /not UTF-8 text/ },
    { name: 'a zip bomb (10 MiB of zeros)', z: z(zlib.deflateSync(Buffer.alloc(10 * 1024 * 1024))), error: new RegExp(`over ${MAX_SNIPPET_BYTES} bytes`) },
    { name: 'one byte over the limit', z: z(zlib.deflateSync(Buffer.alloc(MAX_SNIPPET_BYTES + 1, 'a'))), error: new RegExp(`over ${MAX_SNIPPET_BYTES} bytes`) },
  ];
  for (const c of bad) {
    it(`refuse ${c.name}, in the browser decoder and the server inflater`, async () => {
      await expect(decodeZLink(c.z)).rejects.toThrow(c.error);
      await expect(decodeZLink(c.z)).rejects.toBeInstanceOf(ZLinkError);
      expect(() => inflateZLink(c.z)).toThrow(c.error);
      expect(() => inflateZLink(c.z)).toThrow(ZLinkError);
    });
  }

  it('take code of exactly the limit', async () => {
    const code = 'a'.repeat(MAX_SNIPPET_BYTES);
    const link = await encodeZLink(code);
    expect(await decodeZLink(link)).toBe(code);
    expect(inflateZLink(link)).toBe(code);
    await expect(encodeZLink(code + 'a')).rejects.toThrow(ZLinkError);
  });
});
