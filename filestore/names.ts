// Owns the rule for which file names the filestore accepts, and the URL a stored file is served at.

export type NameCheck = { ok: true; name: string } | { ok: false; reason: string };

// C0 controls (NUL included), DEL and C1 controls. A name with one of these could forge lines
// in logs and notes, or confuse terminals and other programs that print it.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

// A lone surrogate has no UTF-8 form: encoding it would silently turn it into U+FFFD.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Checks that `name` is a safe, single path component. A Buffer (a name as the filesystem
 * returned it) must be valid UTF-8: it is decoded strictly, never with replacement characters,
 * so the kept name is exactly the bytes on disk. `maxBytes` bounds the UTF-8 length.
 */
export function checkName(name: Buffer | string, maxBytes = 255): NameCheck {
  let text: string;
  if (typeof name === 'string') {
    if (LONE_SURROGATE.test(name)) return { ok: false, reason: 'not valid Unicode' };
    text = name;
  } else {
    try {
      // ignoreBOM keeps a leading U+FEFF: stripping it would make "\uFEFFa" and "a" the same name.
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(name);
    } catch {
      return { ok: false, reason: 'not valid UTF-8' };
    }
  }
  if (text === '') return { ok: false, reason: 'empty name' };
  if (text === '.' || text === '..') return { ok: false, reason: `"${text}" is not a file name` };
  if (text.includes('/')) return { ok: false, reason: 'name contains "/"' };
  if (text.includes('\\')) return { ok: false, reason: 'name contains "\\"' };
  if (CONTROL.test(text)) return { ok: false, reason: 'control character in name' };
  if (Buffer.byteLength(text, 'utf8') > maxBytes) return { ok: false, reason: `name longer than ${maxBytes} bytes` };
  return { ok: true, name: text };
}

/** The path a stored file is served at. Both parts are percent-encoded as one path segment each. */
export function encodeFileUrl(cellId: string, name: string): string {
  return `/files/${encodeURIComponent(cellId)}/${encodeURIComponent(name)}`;
}
