// GET /files/:cellId/:name: a file a cell created, streamed from the filestore. Served with a
// sandboxing CSP so an HTML or SVG file a cell wrote can never run script on Cellbox's origin.
import { ApiError } from '../../../../protocol/errors';
import { checkName } from '../../../../filestore/names';
import { checkCellId } from '../../../_lib/request';
import { preflight, route } from '../../../_lib/respond';
import { server } from '../../../_lib/server';

export const dynamic = 'force-dynamic';

export const GET = route(async (_req, { params }: { params: Promise<{ cellId: string; name: string }> }) => {
  const p = await params;
  const cellId = checkCellId(p.cellId);
  let name: string;
  try {
    name = decodeURIComponent(p.name);
  } catch {
    throw new ApiError('invalid_field', 'The file name is not valid percent-encoded UTF-8.');
  }
  const check = checkName(name);
  if (!check.ok) throw new ApiError('invalid_field', `Not a file name: ${check.reason}.`);
  const files = server().files;
  const meta = files.stat(cellId, name);
  if (!meta) throw new ApiError('not_found', `Cell ${cellId} has no file ${JSON.stringify(name)}.`);
  const chunks = files.chunks(cellId, name)[Symbol.iterator]();
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      try {
        const next = chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(new Uint8Array(next.value));
      } catch (e) {
        controller.error(e);
      }
    },
  });
  return new Response(body, {
    headers: {
      'Content-Type': meta.content_type,
      'Content-Length': String(meta.size),
      'Content-Disposition': `inline; filename*=UTF-8''${encodeURIComponent(name)}`,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'",
      'Cache-Control': 'private, max-age=3600',
    },
  });
});

export const OPTIONS = preflight;
