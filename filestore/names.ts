// Owns the rule for which file names the filestore accepts (a name, or folders and a name), and
// the URL a stored file is served at.

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

/** Most folders deep a stored file may lie: `a/b/c.txt` is two. */
export const MAX_FOLDERS = 8;

/**
 * Checks a stored file's name: a file at the top of a cell's folder (`out.csv`) or in folders
 * under it (`plots/fig.png`), each part a name checkName accepts, at most MAX_FOLDERS folders.
 */
export function checkPath(path: string, maxBytes = 255): NameCheck {
  const parts = path.split('/');
  if (parts.length > MAX_FOLDERS + 1) return { ok: false, reason: `more than ${MAX_FOLDERS} folders deep` };
  for (const part of parts) {
    const check = checkName(part, maxBytes);
    if (!check.ok) return parts.length === 1 ? check : { ok: false, reason: `${check.reason} in ${JSON.stringify(part)}` };
  }
  return { ok: true, name: path };
}

/** The last part of a stored file's name: what a download is called. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The path a stored file is served at: its cell, then each part of its name, each
 * percent-encoded as one path segment.
 */
export function encodeFileUrl(cellId: string, name: string): string {
  return `/files/${encodeURIComponent(cellId)}/${name.split('/').map(encodeURIComponent).join('/')}`;
}
