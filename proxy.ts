// Runs before routing for the API and file URLs: a path the router cannot take apart (a bad
// percent escape, a `..` segment) gets a JSON 400 naming the problem instead of a framework page.
import { NextResponse, type NextRequest } from 'next/server';

export const config = { matcher: ['/api/:path*', '/files/:path*', '/files'] };

function problem(path: string): string | null {
  for (const raw of path.split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return `the path segment ${JSON.stringify(raw.slice(0, 64))} is not valid percent-encoded UTF-8`;
    }
    if (seg === '..' || seg === '.') return 'the path must not contain "." or ".." segments';
  }
  return null;
}

export function proxy(req: NextRequest) {
  const raw = new URL(req.url).pathname;
  const p = problem(raw);
  if (p) return NextResponse.json({ error: { code: 'invalid_field', message: `Bad URL: ${p}.` } }, { status: 400, headers: { 'Access-Control-Allow-Origin': '*' } });
  if (raw === '/files' || raw === '/files/') {
    return NextResponse.json({ error: { code: 'not_found', message: 'File URLs look like /files/<cell id>/<file name>.' } }, { status: 404 });
  }
  return NextResponse.next();
}
