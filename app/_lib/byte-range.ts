// Reading a Range request header (RFC 9110 §14) against a file's size: which bytes to send.

/** The whole file; bytes `start` to `end` inclusive; or none of the file's bytes were asked for. */
export type ByteRange = { kind: 'whole' } | { kind: 'part'; start: number; end: number } | { kind: 'unsatisfiable' };

const SPEC = /^(\d*)-(\d*)$/;

/**
 * The one range `header` asks for in a file of `size` bytes. A header that is absent, not in
 * bytes, malformed or asks for several ranges is answered with the whole file, as RFC 9110
 * allows a server to: a media player or a resumed download asks for one range.
 */
export function byteRange(header: string | null, size: number): ByteRange {
  if (header === null) return { kind: 'whole' };
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'whole' };
  const specs = header.slice(eq + 1).split(',');
  if (specs.length !== 1) return { kind: 'whole' };
  const m = SPEC.exec(specs[0].trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'whole' };
  if (m[1] === '') {
    // A suffix: the last N bytes, all of them if the file is shorter.
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'part', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? Infinity : Number(m[2]);
  if (last < start) return { kind: 'whole' }; // invalid: ignored, as RFC 9110 says
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'part', start, end: Math.min(last, size - 1) };
}
