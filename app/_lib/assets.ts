// The static files that pages on other sites load: the embed script, and MathJax with its fonts
// (web fonts from another origin need CORS). The router answers them before Next.js, from
// the brotli and gzip copies scripts/build.mjs made beside each one: Next.js gzipped the
// 700 KB embed script anew for every page that loaded it (~40 ms of the web server's CPU each
// time, taken from the cells' answers) and never offered brotli, which is ~15% smaller.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { contentType } from 'mime-types';
import sirv from 'sirv';

/** Where those files are, under the public folder (`path` without its query). */
export function isAssetPath(path: string): boolean {
  return /^\/(embed\.js(\.map)?|embed\/[^/]+|mathjax\/.+)$/.test(path);
}

export type AssetServer = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * Answers a GET or HEAD of a file in `publicDir`, or calls `next()` when there is no such file.
 * The folder is listed once, here: the files are built before the server starts and never
 * change while it runs.
 */
export function createAssets(publicDir: string): AssetServer {
  const serve = sirv(publicDir, {
    brotli: true,
    gzip: true,
    etag: true,
    // Revalidated each time (a 304 when unchanged), as before: the names carry no version, and an
    // upgraded server must not leave a page on a stale embed script or half an old MathJax.
    maxAge: 0,
    extensions: [],
    setHeaders(res, pathname) {
      // The charset said, as Next.js did: a script without one is read in the encoding of the
      // page that loads it, and the embed script's text is UTF-8 (a Latin-1 course page would
      // garble it).
      const type = contentType(pathname.slice(pathname.lastIndexOf('/') + 1));
      if (type) res.setHeader('Content-Type', type);
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    },
  });
  return (req, res, next) => serve(req, res, next);
}
