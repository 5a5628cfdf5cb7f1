// The static files the web server sends most: what pages on other sites load (the embed script,
// and MathJax with its fonts, which from another origin need CORS), and the scripts and styles
// of Cellbox's own pages (`/_next/static/`, Next.js's build output). The router answers them
// before Next.js, from the brotli and gzip copies scripts/build.mjs made beside each one:
// Next.js gzipped each anew for every page that loaded it (the 700 KB embed script ~40 ms of
// the web server's CPU, a first visit to Cellbox's page 120 ms, taken from the cells' answers)
// and never offered brotli, which is 15–20% smaller.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { contentType } from 'mime-types';
import Negotiator from 'negotiator';
import sirv from 'sirv';

/** The URL prefix of Next.js's build output, served from `.next/static`. */
const APP_STATIC = '/_next/static/';

/**
 * SageMathCell's names for its embed script and its stylesheet, as pages written for a
 * SageMathCell server load them: a site that ran its own SageMathCell and now runs Cellbox
 * under the same host name keeps every such page working, unchanged. The script is Cellbox's
 * embed script (it defines `sagecell.makeSagecell()`); the stylesheet is a file of its own in
 * public/static, since Cellbox's cells carry their own styles.
 */
const SAGECELL_NAMES: Record<string, string> = { '/static/embedded_sagecell.js': '/embed.js' };

/** Whether `path` (without its query) is one of these files, or would be. */
export function isAssetPath(path: string): boolean {
  return /^\/(embed\.js(\.map)?|embed\/[^/]+|mathjax\/.+|viewer3d\/.+|static\/(embedded_sagecell\.js|sagecell_embed\.css))$/.test(path) || path.startsWith(APP_STATIC);
}

export type AssetServer = (req: IncomingMessage, res: ServerResponse, path: string, next: () => void) => void;

/** The URL prefix of the viewer of Sage's 3D graphics (embed/viewer3d.ts), in `public/viewer3d/`. */
const VIEWER3D = '/viewer3d/';

/**
 * The policy of the viewer's frame document, where a cell's three.js page runs: sandboxed with
 * scripts only (an opaque origin, even opened on its own), scripts from Cellbox (three.js) and
 * the page's own inline ones, styles and images of its own; nothing fetched, no connection, no
 * form, no plugin. What it may show is what the cell computed, nothing it loads from elsewhere.
 */
export const VIEWER3D_POLICY = "sandbox allow-scripts; default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; base-uri 'none'; form-action 'none'";

/** The charset said, as Next.js did: a script without one is read in the encoding of the page that loads it, and these are UTF-8 (a Latin-1 course page would garble the embed script). */
function withCharset(res: ServerResponse, pathname: string): void {
  const type = contentType(pathname.slice(pathname.lastIndexOf('/') + 1));
  if (type) res.setHeader('Content-Type', type);
}

/** The files' encodings, the smaller first: what a tie in the client's preferences gets. */
const ENCODINGS = ['br', 'gzip', 'identity'];
type EncodingChoice = (available: string[], options: { preferred: string[] }) => string | undefined;

/**
 * The one encoding HTTP's rules pick for this client (RFC 9110, 12.5.3: q values, `*`, and `q=0`
 * for "not this one"), which sirv is then given as the whole Accept-Encoding: sirv looks for the
 * word alone, so `gzip;q=0` (a client that cannot read gzip) got gzip. Negotiator's tie-break by
 * the server's order is in its code but not its type definitions.
 */
function acceptedEncoding(req: IncomingMessage): string {
  const choose = Negotiator.prototype.encoding as unknown as EncodingChoice;
  return choose.call(new Negotiator(req), ENCODINGS, { preferred: ENCODINGS }) ?? 'identity';
}

/** Revalidated each time (a 304 when unchanged): the embed's names carry no version. */
const REVALIDATE = 'public,max-age=0,must-revalidate';
/** Named for their content or version: kept for a year. */
const FOR_A_YEAR = 'public,max-age=31536000,immutable';

/**
 * Answers a GET or HEAD of an asset path (isAssetPath) from `publicDir` or `staticDir` (Next.js's
 * `.next/static`), or calls `next()` when there is no such file.
 *
 * Each file is looked up when it is asked for (sirv's `dev`), not listed once at the start: the
 * build run again under a running server (`node scripts/build.mjs`) changed embed.js while
 * its size, read at the start, still went out as its Content-Length, and every page got a
 * cut-off script ("Unexpected end of input"), its cells dead until a restart. A stat per
 * request costs microseconds; the file sent is the one on disk then, with its own size and
 * ETag. sirv's `dev` says `no-cache` of every file, so each says its own Cache-Control here.
 */
export function createAssets(publicDir: string, staticDir: string): AssetServer {
  const common = { brotli: true, gzip: true, etag: true, extensions: [], dev: true };
  const crossOrigin = sirv(publicDir, {
    ...common,
    // An upgraded server must not leave a page on a stale embed script or half an old MathJax.
    setHeaders(res, pathname) {
      withCharset(res, pathname);
      res.setHeader('Cache-Control', REVALIDATE);
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    },
  });
  // Next.js names each file for its content: kept for a year, as Next.js says itself.
  const app = sirv(staticDir, {
    ...common,
    setHeaders(res, pathname) {
      withCharset(res, pathname);
      res.setHeader('Cache-Control', FOR_A_YEAR);
    },
  });
  // The 3D viewer's folder is named for its version (three.js's and the frame's): a year too.
  // Its frame is loaded in frames on any site, so CORP says cross-origin, as for the embed.
  const viewer = sirv(publicDir, {
    ...common,
    setHeaders(res, pathname) {
      withCharset(res, pathname);
      res.setHeader('Cache-Control', FOR_A_YEAR);
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      if (pathname.endsWith('.html')) res.setHeader('Content-Security-Policy', VIEWER3D_POLICY);
    },
  });
  return (req, res, path, next) => {
    // Whole files only, which HTTP allows a server (RFC 9110, 14.2): sirv's own reading of Range
    // threw on `bytes=5-2` (the request then hung) and took `bytes=-500` for the first 501 bytes,
    // and no browser asks for part of a script or a font.
    // Dot files are the build's own (public/mathjax/.version), never served: sirv's listing
    // left them out, its look-up on request does not.
    if (/\/\./.test(path)) return next();
    delete req.headers.range;
    req.headers['accept-encoding'] = acceptedEncoding(req);
    // A file removed between its lookup and its reading (the build run again at that moment):
    // sirv's read stream fails after the headers went out, with nobody listening, which was an
    // uncaught exception and a request left hanging. The connection is cut instead.
    res.once('pipe', (file) => file.once('error', (e: Error) => res.destroy(e)));
    if (path.startsWith(VIEWER3D)) return viewer(req, res, next);
    const own = SAGECELL_NAMES[path];
    if (own) req.url = own;
    if (!path.startsWith(APP_STATIC)) return crossOrigin(req, res, next);
    // sirv reads the path from the URL: give it the one inside the folder, and Next.js the whole one back.
    const url = req.url!;
    req.url = url.slice(APP_STATIC.length - 1);
    app(req, res, () => {
      req.url = url;
      next();
    });
  };
}
