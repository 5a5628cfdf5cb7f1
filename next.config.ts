import type { NextConfig } from 'next';

const config: NextConfig = {
  // better-sqlite3 is a native addon: load it from node_modules at run time, never bundle it.
  serverExternalPackages: ['better-sqlite3'],
  poweredByHeader: false,
  reactStrictMode: true,
  // The embed script and MathJax, which other sites' pages load, are served with CORS by
  // scripts/web.mjs before Next.js sees them (app/_lib/assets.ts).
};

export default config;
