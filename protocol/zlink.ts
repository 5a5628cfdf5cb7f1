// Code carried in a link, SageMathCell style: `/?z=<zip>&lang=<language>` or `/#z=…`, where
// zip is zlib (RFC 1950, as Python's zlib.compress) of the UTF-8 code in URL-safe base64,
// padding optional. Browser-safe: Compression/DecompressionStream, atob/btoa (Node 20 has all).
import { MAX_SNIPPET_BYTES } from './limits';
import { readAtMost } from './streams';

/** Why a link's code could not be read; its message finishes "This link's code could not be read: …". */
export class ZLinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZLinkError';
  }
}

/**
 * Longest `z` accepted, in characters: the base64 of MAX_SNIPPET_BYTES stored uncompressed,
 * plus room for zlib's header, block headers and checksum. Past it: refused before decoding.
 */
export const MAX_ZLINK_CHARS = Math.ceil(((MAX_SNIPPET_BYTES + 1024) * 4) / 3);

/**
 * Longest `z` that `zLinkPath` puts in the query string. Cellbox reads a request line of any
 * link within MAX_SNIPPET_BYTES (MAX_REQUEST_HEAD_BYTES), but a proxy in front of it may not
 * (nginx's default is 8 KiB a line), so longer code goes in the hash, which never reaches the
 * server.
 */
export const MAX_QUERY_ZLINK_CHARS = 8000;

/** Bytes as URL-safe base64 without padding (RFC 4648 §5). */
export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * URL-safe base64 back to bytes; padding optional. Also takes the standard alphabet, and a
 * space where a `+` was decoded from a query string, since hand-made links contain both;
 * line breaks are dropped.
 */
export function base64UrlDecode(text: string): Uint8Array<ArrayBuffer> {
  const s = text.replace(/ /g, '+').replace(/[\t\r\n]/g, '').replace(/=+$/, '');
  if (s === '') throw new ZLinkError('the z parameter is empty');
  if (s.length > MAX_ZLINK_CHARS) throw new ZLinkError(`the z parameter is ${s.length} characters long; the limit is ${MAX_ZLINK_CHARS}`);
  const bad = /[^A-Za-z0-9_\-+/]/.exec(s);
  if (bad) throw new ZLinkError(`z is not URL-safe base64 (it contains ${JSON.stringify(bad[0])})`);
  if (s.length % 4 === 1) throw new ZLinkError('z is not URL-safe base64 (its length is impossible; was the link cut short?)');
  const binary = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** Strict UTF-8 to text: a link whose bytes are not UTF-8 is refused, not shown as U+FFFD. */
export function utf8Text(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ZLinkError('the code is not UTF-8 text');
  }
}

export function tooLargeMessage(max: number): string {
  return `the code is over ${max} bytes, the limit`;
}

/** Code → the `z` of a link (zlib, URL-safe base64, no padding), as Python's zlib.compress would give. */
export async function encodeZLink(code: string): Promise<string> {
  const bytes = new TextEncoder().encode(code);
  if (bytes.length > MAX_SNIPPET_BYTES) throw new ZLinkError(tooLargeMessage(MAX_SNIPPET_BYTES));
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate'));
  return base64UrlEncode(new Uint8Array(await new Response(stream).arrayBuffer()));
}

/**
 * The `z` of a link → its code. Inflates at most `maxBytes` (a zip bomb stops there) and
 * throws ZLinkError saying what is wrong with the link.
 */
export async function decodeZLink(z: string, maxBytes: number = MAX_SNIPPET_BYTES): Promise<string> {
  const compressed = base64UrlDecode(z);
  let all: Uint8Array | null;
  try {
    all = await readAtMost(new Blob([compressed]).stream().pipeThrough(new DecompressionStream('deflate')), maxBytes);
  } catch {
    throw new ZLinkError('z is not zlib-compressed data (was the link cut short?)');
  }
  if (!all) throw new ZLinkError(tooLargeMessage(maxBytes));
  return utf8Text(all);
}

/**
 * A link to Cellbox's page with this code: `/?z=…&lang=…`, or `/#z=…&lang=…` when the code
 * is too long for a query string (see MAX_QUERY_ZLINK_CHARS). Prefix the server's origin.
 */
export async function zLinkPath(code: string, language: string): Promise<string> {
  const z = await encodeZLink(code);
  const params = `z=${z}&lang=${encodeURIComponent(language)}`;
  return z.length <= MAX_QUERY_ZLINK_CHARS ? `/?${params}` : `/#${params}`;
}

/** Reads `z` and `lang` from a `#z=…&lang=…` hash (with or without the `#`); null when it has no `z`. */
export function parseZLinkHash(hash: string): { z: string; lang: string | null } | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const z = params.get('z');
  return z === null ? null : { z, lang: params.get('lang') };
}
