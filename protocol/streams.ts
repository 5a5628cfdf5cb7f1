// Reading a byte stream with a limit, for the server (request bodies) and the browser (links
// whose code is inflated): what is too big is never held whole.

/**
 * All the bytes of `stream`, or null as soon as they pass `max` (the stream is then cancelled).
 * Errors of the stream itself (a broken inflater, a dropped connection) are thrown as they are.
 */
export async function readAtMost(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array | null> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}
