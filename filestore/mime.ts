// Owns the Content-Type a stored file is served with, chosen from its name's extension.

import { isUtf8 } from 'node:buffer';
import { contentType, lookup } from 'mime-types';

// Extensions common in notebook work that mime-db lacks, or types it that a browser would only
// offer to download although they are plain text (.tex is application/x-tex there). A Map, so
// that an extension such as "constructor" cannot hit an Object prototype property.
const EXTRA: ReadonlyMap<string, string> = new Map([
  ['py', 'text/x-python'],
  ['r', 'text/x-r'],
  ['jl', 'text/x-julia'],
  ['sage', 'text/x-sage'],
  ['tex', 'text/x-tex'],
  ['csv', 'text/csv'],
  ['md', 'text/markdown'],
]);

// Notebooks are JSON, which is UTF-8 by definition (RFC 8259); mime-types adds no charset to
// the +json type it knows for them, so it is spelled out here.
const NOTEBOOK = 'application/x-ipynb+json; charset=utf-8';

const FALLBACK = 'application/octet-stream';

/**
 * The Content-Type for a file name; text types carry `; charset=utf-8`, unless the file's
 * `bytes`, when given, are not UTF-8: a CSV in Shift_JIS (Excel's in Japan, R's
 * `fileEncoding = "CP932"`) or Latin-1 was declared UTF-8 and shown as U+FFFD and mojibake.
 * Without a charset the browser reads it in its reader's own (a Japanese reader's, Shift_JIS),
 * and a UTF-16 file by its byte-order mark, as it would with one.
 */
export function contentTypeFor(name: string, bytes?: Uint8Array): string {
  const dot = name.lastIndexOf('.');
  // A leading dot marks a hidden file (".bashrc"), not an extension; no dot means no type, where
  // mime-types would read a bare name such as "json" as an extension.
  if (dot <= 0) return FALLBACK;
  const ext = name.slice(dot + 1).toLowerCase();
  if (ext === 'ipynb') return NOTEBOOK;
  const type = EXTRA.get(ext) ?? lookup(ext);
  // contentType() given a full type adds the charset for text types.
  const full = (type && contentType(type)) || FALLBACK;
  return bytes && full.endsWith('; charset=utf-8') && !isUtf8(bytes) ? full.slice(0, -'; charset=utf-8'.length) : full;
}
