// Server side of ?z= links: the code inflated with node:zlib, capped at MAX_SNIPPET_BYTES so a
// zip bomb stops there. The browser decodes #z= links with protocol/zlink.ts.
import zlib from 'node:zlib';
import { MAX_SNIPPET_BYTES } from '../../protocol/limits';
import { base64UrlDecode, tooLargeMessage, utf8Text, ZLinkError } from '../../protocol/zlink';

/** The code of a `z` parameter; throws ZLinkError naming what is wrong with it. */
export function inflateZLink(z: string, maxBytes = MAX_SNIPPET_BYTES): string {
  const compressed = base64UrlDecode(z);
  let bytes: Buffer;
  try {
    bytes = zlib.inflateSync(compressed, { maxOutputLength: maxBytes });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new ZLinkError(tooLargeMessage(maxBytes));
    throw new ZLinkError('z is not zlib-compressed data (was the link cut short?)');
  }
  return utf8Text(bytes);
}
