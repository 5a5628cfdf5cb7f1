// A host site for the embed: HTML pages served from 127.0.0.1 on a free port, while Cellbox
// is reached as localhost, so that the browser treats them as two origins, as a course's notes
// and the Cellbox server they embed are.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostPages {
  /** The pages by path; they may be set after the server started. */
  pages: Map<string, string>;
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

export async function serveHostPages(): Promise<HostPages> {
  const pages = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const html = pages.get(new URL(req.url ?? '/', 'http://x').pathname);
    res.writeHead(html ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(html ?? 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    pages,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
