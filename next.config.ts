import type { NextConfig } from 'next';
import { MAX_BODY_BYTES } from './protocol/limits';

/** The policy of Cellbox's own pages: frames from Cellbox alone (the 3D viewer's, app/_lib/assets.ts). */
const PAGE_POLICY = "frame-src 'self'";

const config: NextConfig = {
  // better-sqlite3 is a native addon: load it from node_modules at run time, never bundle it.
  serverExternalPackages: ['better-sqlite3'],
  poweredByHeader: false,
  reactStrictMode: true,
  experimental: {
    // The proxy (proxy.ts) buffers each request's body, up to this, before any route reads it:
    // 10 MB by default, held twice. No route Next.js answers takes more than MAX_BODY_BYTES
    // (the ones that read a body are answered by app/_lib/router.ts), and a body that declares
    // more is refused there before Next.js sees it.
    proxyClientMaxBodySize: MAX_BODY_BYTES,
  },
  // The embed script and MathJax, which other sites' pages load, are served with CORS by
  // scripts/web.mjs before Next.js sees them (app/_lib/assets.ts).
  // Cellbox's pages frame nothing but Cellbox: a 3D graphic's frame (embed/viewer3d.ts) runs
  // the cell's page, and a sandbox cannot stop a frame taking itself elsewhere. A cell's page
  // that did (`location.href = …`) showed any site inside the output, a login form said to be
  // Cellbox's among them; under this, the browser refuses the frame's load of another origin.
  async headers() {
    return [{ source: '/:path*', headers: [{ key: 'Content-Security-Policy', value: PAGE_POLICY }] }];
  },
};

export default config;
