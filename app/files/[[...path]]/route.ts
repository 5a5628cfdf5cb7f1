// GET /files/:cellId/:name (and /files/:cellId/:folder/…/:name): a file a cell created, from the filestore. Served with a
// sandboxing CSP so an HTML or SVG file a cell wrote can never run script on Cellbox's origin.
// One catch-all route that reads the raw path itself, so every malformed /files/ URL gets a
// JSON answer naming the problem rather than a framework page.
import { ApiError } from '../../../protocol/errors';
import { baseName, checkName, checkPath } from '../../../filestore/names';
import { byteRange } from '../../_lib/byte-range';
import { parseHttpDate } from '../../_lib/http-date';
import { checkCellId } from '../../_lib/request';
import { preflight, reply, route } from '../../_lib/respond';
import { server } from '../../_lib/server';

export const dynamic = 'force-dynamic';

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError('invalid_field', 'The file name is not valid percent-encoded UTF-8.');
  }
}

/**
 * The file name as an RFC 8187 ext-value: percent escapes and attr-chars only. encodeURIComponent
 * leaves ' ( ) * as they are, and a ' ends the value's language part: "it's.txt" would not parse.
 */
function headerFileName(name: string): string {
  return encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export const GET = route(async (req) => {
  const segments = new URL(req.url).pathname.split('/').slice(2); // drop '' and 'files'
  if (segments.length < 2) throw new ApiError('not_found', 'File URLs look like /files/<cell id>/<file name> or /files/<cell id>/<folder>/<file name>.');
  const cellId = checkCellId(decode(segments[0]));
  // Each segment one part of the name: an encoded "/" inside one is refused by checkName, not
  // taken as a folder's end.
  const parts = segments.slice(1).map(decode);
  for (const part of parts) {
    const check = checkName(part);
    if (!check.ok) throw new ApiError('invalid_field', `Not a file name: ${check.reason}.`);
  }
  const name = parts.join('/');
  const check = checkPath(name);
  if (!check.ok) throw new ApiError('invalid_field', `Not a file name: ${check.reason}.`);
  const files = server().files;
  const meta = files.stat(cellId, name);
  // Files are at most limits.fileBytes (10 MiB by default): read whole. scripts/web.mjs answers
  // this route itself (app/_lib/router.ts), with a Content-Length; Next.js would send it chunked.
  const bytes = meta && files.read(cellId, name);
  if (!meta || !bytes) throw new ApiError('not_found', `Cell ${cellId} has no file ${JSON.stringify(name)}.`);
  // A stored file never changes: a name written again is a new row with a new time. So its size
  // and time tell one version from another, for a browser's revalidation and a resumed download.
  const etag = `"${meta.size.toString(36)}-${meta.created.toString(36)}"`;
  const lastModified = new Date(meta.created).toUTCString();
  // Which version of the file an answer is about: on every answer for it, a refusal too.
  const version = {
    ETag: etag,
    'Last-Modified': lastModified,
    'Access-Control-Expose-Headers': 'Content-Range, Accept-Ranges, ETag, Content-Disposition',
  };
  // no-transform: served as stored, never re-compressed, so Content-Length holds.
  const validators = { ...version, 'Cache-Control': 'private, max-age=3600, no-transform' };
  if (notModified(req.headers.get('if-none-match'), req.headers.get('if-modified-since'), etag, meta.created)) return reply(null, 304, validators);
  const headers = {
    ...validators,
    'Content-Type': meta.content_type,
    'Content-Disposition': `inline; filename*=UTF-8''${headerFileName(baseName(name))}`,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'",
    'Accept-Ranges': 'bytes',
  };
  // If-Range: the part only of the version the client already holds the rest of.
  const ifRange = req.headers.get('if-range');
  const range = ifRange === null || ifRange === etag || ifRange === lastModified ? byteRange(req.headers.get('range'), bytes.length) : { kind: 'whole' as const };
  if (range.kind === 'unsatisfiable') {
    // Not the file's Cache-Control: a refusal kept for an hour would be served for the file's
    // URL, and it is JSON, `no-store` as every JSON answer (docs/api.md).
    throw new ApiError('range_not_satisfiable', `The range ${JSON.stringify(req.headers.get('range'))} is outside ${JSON.stringify(name)}, which is ${bytes.length} bytes.`, { 'Content-Range': `bytes */${bytes.length}`, ...version });
  }
  // Content-Length: the web server's router sets it from the body.
  if (range.kind === 'part') {
    return reply(new Uint8Array(bytes.subarray(range.start, range.end + 1)), 206, { ...headers, 'Content-Range': `bytes ${range.start}-${range.end}/${bytes.length}` });
  }
  return reply(new Uint8Array(bytes), 200, headers);
});

/**
 * Whether the client's copy is this version (RFC 9110 §13.2.2): If-None-Match when it is sent,
 * else If-Modified-Since, against the stored time in whole seconds as Last-Modified gives it. A
 * browser that kept only Last-Modified, or a client (curl -z, a mirror script) that sends only
 * the date, got the whole file again each time.
 */
function notModified(ifNoneMatch: string | null, ifModifiedSince: string | null, etag: string, created: number): boolean {
  if (ifNoneMatch !== null) return matchesAny(ifNoneMatch, etag);
  if (ifModifiedSince === null) return false;
  const since = parseHttpDate(ifModifiedSince); // not a date: ignored, as RFC 9110 says
  return since !== null && Math.floor(created / 1000) * 1000 <= since;
}

/** If-None-Match: `*`, or a list of entity tags, weak ones compared as strong (RFC 9110 §13.1.2). */
function matchesAny(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

export const OPTIONS = preflight;
