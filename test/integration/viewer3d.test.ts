// The viewer of Sage's 3D graphics as the real web server serves it (embed/viewer3d.ts): a frame
// document that runs scripts only sandboxed, under a policy that loads them from Cellbox alone,
// and three.js r122 from Cellbox itself, never a CDN.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEWER3D_POLICY } from '../../app/_lib/assets';
import { VIEWER3D_PATH } from '../../embed/viewer3d';
import { startCellbox, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_LANGUAGES: 'python' });
}, 60_000);

afterAll(async () => {
  await box?.stop();
});

describe("the 3D viewer's frame", () => {
  it('is served sandboxed with scripts only, scripts from Cellbox alone, kept for a year', async () => {
    const r = await fetch(`${box.url}${VIEWER3D_PATH}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const policy = r.headers.get('content-security-policy')!;
    expect(policy).toBe(VIEWER3D_POLICY);
    const directives = new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    // An opaque origin, even opened on its own: no allow-same-origin, no navigating the page.
    expect(directives.get('sandbox')).toEqual(['allow-scripts']);
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'", "'unsafe-inline'"]);
    expect(directives.has('connect-src')).toBe(false);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('cache-control')).toBe('public,max-age=31536000,immutable');
    const html = await r.text();
    expect(html).toContain('<script src="frame.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('has three.js r122 and its OrbitControls beside it, from Cellbox, naming no other server', async () => {
    const base = new URL(VIEWER3D_PATH, box.url);
    for (const [name, marker] of [['frame.js', 'cellbox-viewer3d'], ['three.min.js', 'REVISION="122"'], ['OrbitControls.js', 'THREE.OrbitControls =']]) {
      const r = await fetch(new URL(name, base), { headers: { 'Accept-Encoding': 'br' } });
      expect(r.status, name).toBe(200);
      expect(r.headers.get('content-type'), name).toBe('text/javascript; charset=utf-8');
      expect(r.headers.get('cache-control'), name).toBe('public,max-age=31536000,immutable');
      const text = await r.text();
      expect(text, name).toContain(marker);
      // Nothing loaded from elsewhere: no import, script or fetch of an absolute address.
      expect(text, name).not.toMatch(/(import|fetch|src=|importScripts)\s*\(?\s*["'`]https?:/);
    }
  });
});
