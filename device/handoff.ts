// Pipes a helper process holds for a worker, handed to the device: a fork server's zygote
// (forkserver.ts) or the spawner (spawner.ts) makes them, and the device opens its ends through
// /proc/<helper>/fd/<n>, so that no other process ever holds them once the helper drops its
// copies. Shared by both, with the line reader of their control pipes.
import fs from 'node:fs';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';

/** What a helper says it made: its pid, and its descriptors for our ends, stdin's first. */
export interface Handed {
  holder: number;
  fds: number[];
}

export interface AdoptedPipes {
  stdin: PassThrough;
  /** One per descriptor after stdin's, in order. */
  outputs: PassThrough[];
  /** Resolves once every output has ended: nothing the worker wrote is left unread. */
  drained: Promise<unknown>;
}

/**
 * Streams for the stdin and the `outputCount` pipes after it that `handed` names, live once
 * the device has opened them. `opened` is called then (or when opening failed), for the helper
 * to close its copies: the worker sees end of file on stdin when the device closes its end.
 * If `handed` rejects, the outputs end at once.
 */
export function adoptPipes(handed: Promise<Handed>, outputCount: number, opened: () => void): AdoptedPipes {
  const stdin = new PassThrough();
  const outputs = Array.from({ length: outputCount }, () => new PassThrough());
  handed
    .then(({ holder, fds }) => {
      try {
        const open = (fd: number, flags: number) => fs.openSync(`/proc/${holder}/fd/${fd}`, flags | fs.constants.O_NONBLOCK);
        return [open(fds[0], fs.constants.O_WRONLY), ...fds.slice(1, outputCount + 1).map((fd) => open(fd, fs.constants.O_RDONLY))];
      } finally {
        opened();
      }
    })
    .then(
      ([inFd, ...outFds]) => {
        const input = new net.Socket({ fd: inFd, readable: false, writable: true });
        input.on('error', () => {});
        stdin.pipe(input);
        outFds.forEach((fd, i) => {
          const pipe = new net.Socket({ fd, readable: true, writable: false });
          pipe.on('error', () => outputs[i].end());
          pipe.pipe(outputs[i]);
        });
      },
      () => {
        for (const s of outputs) s.end();
      },
    );
  const drained = Promise.all(outputs.map((s) => finished(s).catch(() => {})));
  return { stdin, outputs, drained };
}

/** Calls `onLine` for each line of a helper's control pipe. */
export function readLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (partial + decoder.write(chunk)).split('\n');
    partial = lines.pop()!;
    for (const line of lines) onLine(line);
  });
  stream.on('error', () => {});
}
