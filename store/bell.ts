// The doorbell between the processes that share one database: after a commit another process
// should know of (a queued cell, an interrupt, new messages), the writer rings, and the others'
// watchers look at the database at once instead of at their next poll. The database stays the
// truth: a ring carries no data, and a lost one only delays a wake-up to the next poll.
//
// The device listens on an abstract Unix socket named after the database file (abstract: no
// file to clean up, and unreachable from the cells, which have network namespaces of their
// own); each web process connects to it. A ring is one byte, written at once: the socket
// takes it in the same call. Deferring it (to the event loop's next turn, or until the work's
// microtasks were done, to send one ring for several commits) held it behind the rest of that
// work: a new cell's ring waited for its whole POST answer to be made, 1-3 ms.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export type BellRole = 'device' | 'web';

export interface Bell {
  /** Tells the other side that something was committed. */
  ring(): void;
  /** True while rings can reach the other side: a connection to the device, or from a web process. */
  connected(): boolean;
  close(): void;
}

const RECONNECT_MS = 500;

/** The abstract socket's name for the database `dbFile`. */
export function bellAddress(dbFile: string): string {
  const real = fs.realpathSync(path.dirname(dbFile));
  const hash = crypto.createHash('sha256').update(path.join(real, path.basename(dbFile))).digest('hex').slice(0, 24);
  return `\0cellbox-bell-${hash}`;
}

/** `onRing`: the other side rang. `onPeers`: a connection came or went (see `connected`). */
export function createBell(dbFile: string, role: BellRole, onRing: () => void, onPeers: () => void = () => {}): Bell {
  const name = bellAddress(dbFile);
  const peers = new Set<net.Socket>();
  let closed = false;
  let server: net.Server | null = null;
  let retry: NodeJS.Timeout | null = null;

  function attach(socket: net.Socket): void {
    socket.setNoDelay(true);
    peers.add(socket);
    onPeers();
    socket.on('data', () => onRing());
    socket.on('error', () => {});
    socket.on('close', () => {
      peers.delete(socket);
      onPeers();
      if (role === 'web') reconnectLater();
    });
  }

  function connect(): void {
    if (closed) return;
    const socket = net.connect(name);
    socket.once('connect', () => {
      socket.unref();
      attach(socket);
      // Whatever was committed while we were apart: look now.
      onRing();
    });
    socket.once('error', () => {
      socket.destroy();
      reconnectLater();
    });
  }

  function reconnectLater(): void {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = null;
      connect();
    }, RECONNECT_MS);
    retry.unref();
  }

  if (role === 'device') {
    server = net.createServer((socket) => {
      attach(socket);
      socket.unref();
    });
    // On an error (another device on the same database, refused elsewhere; no abstract
    // sockets) nobody connects, and the watchers' polling finds every change.
    server.on('error', () => {});
    server.listen(name);
    server.unref();
  } else {
    connect();
  }

  return {
    ring(): void {
      for (const p of peers) p.write('!');
    },
    connected(): boolean {
      return peers.size > 0;
    },
    close(): void {
      closed = true;
      if (retry) clearTimeout(retry);
      for (const p of peers) p.destroy();
      server?.close();
    },
  };
}
