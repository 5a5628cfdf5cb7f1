// The script of Cellbox's viewer frame for Sage 3D graphics (public/viewer3d/<version>/frame.js,
// from scripts/build.mjs; the frame is made by embed/viewer3d.ts). The cell's page around the
// frame posts Sage's three.js page here, and it is written over this document: its scripts run
// in this sandboxed frame, under the policy Cellbox serves the frame with (scripts from
// Cellbox and the page's own inline ones, nothing fetched from anywhere else).
// Standalone: bundled on its own, it imports nothing the embed script has.

const MESSAGE = 'cellbox-viewer3d'; // VIEWER3D_MESSAGE in embed/viewer3d.ts

addEventListener('message', (e: MessageEvent) => {
  // From the page the frame is in, only: opened alone, or by another frame, it shows nothing.
  if (window.parent === window || e.source !== window.parent) return;
  const data = e.data as { type?: unknown; page?: unknown } | null;
  if (!data || data.type !== MESSAGE || typeof data.page !== 'string') return;
  // document.open() also removes this listener: one page per frame. The page's relative script
  // names (three.min.js) are read against this document's address, beside it.
  document.open();
  document.write(data.page);
  document.close();
});
