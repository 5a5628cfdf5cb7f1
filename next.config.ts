import type { NextConfig } from 'next';

/** Static files that pages on other sites load: the embed script, and MathJax with its fonts
 * (web fonts from another origin need CORS). */
const CROSS_ORIGIN_ASSETS = ['/embed.js', '/embed.js.map', '/embed/:path*', '/mathjax/:path*'];

const config: NextConfig = {
  // better-sqlite3 is a native addon: load it from node_modules at run time, never bundle it.
  serverExternalPackages: ['better-sqlite3'],
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    return CROSS_ORIGIN_ASSETS.map((source) => ({
      source,
      headers: [
        { key: 'Access-Control-Allow-Origin', value: '*' },
        { key: 'Cross-Origin-Resource-Policy', value: 'cross-origin' },
      ],
    }));
  },
};

export default config;
