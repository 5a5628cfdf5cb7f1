import type { NextConfig } from 'next';
import { MAX_BODY_BYTES } from './protocol/limits';

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
};

export default config;
