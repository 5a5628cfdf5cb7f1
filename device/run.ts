// Runs one cell on one fresh worker: opening messages, the code, its output under the limits
// (wall time, output cap, interrupt), then the sandbox is killed, files collected, and the
// closing messages written. Every path ends the cell; none leaves it `running`.
import { closingMessages, createMessage, filesMessage, formatSize, openingMessages } from '../protocol/create';
import { MAX_FILE_NAME_BYTES } from '../protocol/limits';
import { CELL_ERRORS } from '../protocol/errors';
import type { ErrorContent, FileInfo } from '../protocol/messages';
import { shorten } from '../protocol/shorten';
import type { Filestore } from '../filestore/filestore';
import { encodeFileUrl } from '../filestore/names';
import { contentTypeFor } from '../filestore/mime';
import type { Limits } from '../store/config';
import type { CellRow } from '../store/cells';
import { collectFiles, summarizeFull, summarizeSkipped } from './collect';
import type { Pool } from './pool';
import { Translator } from './translate';
import type { Worker, WorkerExit } from './worker';
import type { MessageWriter } from './writer';

export interface RunDeps {
  pool: Pool;
  /** The pool to take the worker from: the cell's language, or its light variant. */
  poolName: string;
  writer: MessageWriter;
  files: Filestore;
  limits: Limits;
  /** How long a cell stopped by its reader has to end on its SIGINT before it is killed (config `interruptGraceSeconds`). */
  interruptGraceMs: number;
  /** The device is stopping: a cell that has not started yet is not started (runCell answers 'unstarted'). */
  stopping: () => boolean;
  log: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

type Stop =
  | { kind: 'done' }
  | { kind: 'timeout' }
  | { kind: 'stopped'; error: ErrorContent }
  | { kind: 'output' }
  | { kind: 'exit'; exit: WorkerExit };

/**
 * Runs one cell; `signal` stops it early, its reason the cell's `error` (an interrupt, the
 * device's shutdown). 'unstarted': the device stopped before the cell had a worker, and nothing
 * of it was written: the device hands it back to the queue.
 */
export async function runCell(cell: CellRow, deps: RunDeps, signal: AbortSignal): Promise<'ended' | 'unstarted'> {
  const { writer } = deps;
  const parent = cell.header;

  // The opening messages wait for the worker: until they are written, the cell has not started,
  // and a device that dies meanwhile leaves it without messages, which tells the next device to
  // queue it again (device.ts, recover()) rather than end it as crashed; one that stops hands it
  // back to the queue itself.
  let worker: Worker;
  try {
    worker = await deps.pool.take(deps.poolName, signal);
  } catch (e) {
    // The device's shutdown rejects every waiter: not started.
    if (deps.stopping()) return 'unstarted';
    if (signal.aborted) {
      // Stopped by its reader while its worker was being made (Sage's first takes 10-15 s):
      // it ends now, as a queued cell stopped does, not once that worker is there.
      writer.finish(cell.id, 'error', [...openingMessages(parent, cell.code), ...closingMessages(parent, signal.reason as ErrorContent)]);
      return 'ended';
    }
    const error = { ename: CELL_ERRORS.crashed, evalue: `No ${cell.language} worker could start: ${(e as Error).message}`, traceback: [] };
    writer.finish(cell.id, 'error', [...openingMessages(parent, cell.code), ...closingMessages(parent, error)]);
    return 'ended';
  }
  if (deps.stopping()) {
    worker.kill();
    worker.releaseDir();
    return 'unstarted';
  }
  for (const m of openingMessages(parent, cell.code)) writer.push(cell.id, m);

  try {
    const translator = new Translator(parent, deps.limits.outputBytes, (m) => writer.push(cell.id, m), () =>
      worker.sawOomKill() ? memoryError(deps.limits) : null, deps.limits.memoryMiB);
    // Nothing a cell writes may throw out of here: it would end the device and every cell in it.
    const guard = (what: string, handle: () => void) => {
      try {
        handle();
      } catch (e) {
        deps.log('error', `cell ${cell.id}: ${what} it wrote could not be handled: ${(e as Error).stack}`);
        translator.stream('stderr', `${what} this cell wrote could not be handled and was dropped.\n`);
      }
    };
    // Called after each event and each output: whoever waits for the cell looks again.
    let check = () => {};
    // A process the kernel stopped for the memory of the cell's processes together, while the
    // cell goes on: said as soon as it is seen to go on (a second later), not at its end. A
    // multiprocessing pool whose worker was stopped so waits for ever: its reader saw nothing
    // until the wall time's TimeoutError, with the reason only above it.
    let oomSaid = false;
    let oomSeen = false;
    const oomWatch = setInterval(() => {
      if (oomSaid || !worker.sawOomKill()) return;
      if (!oomSeen) {
        oomSeen = true;
        return;
      }
      oomSaid = true;
      guard('Output', () => translator.stream('stderr', oomNote(deps.limits)));
      check();
    }, 1000);
    const stop = await new Promise<Stop>((resolve) => {
      const timer = setTimeout(() => resolve({ kind: 'timeout' }), cell.timeoutMs);
      const onAbort = () => resolve({ kind: 'stopped', error: signal.reason as ErrorContent });
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      worker.exited.then((exit) => resolve(translator.doneStatus ? { kind: 'done' } : { kind: 'exit', exit }));
      check = () => {
        if (translator.overLimit) resolve({ kind: 'output' });
        else if (translator.doneStatus) resolve({ kind: 'done' });
      };
      worker.run(cell.code, {
        event: (e, bytes) => {
          guard('An event', () => translator.event(e, bytes));
          check();
        },
        output: (name, text) => {
          guard('Output', () => translator.stream(name, text));
          check();
        },
      }, { interact: cell.interact, linked: cell.linked, outputBytes: deps.limits.outputBytes });
      worker.exited.finally(() => {
        clearTimeout(timer);
        clearInterval(oomWatch);
        signal.removeEventListener('abort', onAbort);
      });
    });
    // Stopped by its reader: as Jupyter does, the cell is interrupted where it is (SIGINT), and
    // its worker ends it with a traceback of that place, if the worker can. Killed as anything
    // else if it does not end within the grace: it ignored the signal, caught it and went on,
    // or is in code the signal does not reach. A shutdown's stop kills at once, as does a grace of 0.
    const interrupt = stop.kind === 'stopped' && stop.error.ename === CELL_ERRORS.interrupted && deps.interruptGraceMs > 0;
    if (interrupt && worker.interrupt()) {
      translator.interrupting(stop.error);
      let grace: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        grace = setTimeout(resolve, deps.interruptGraceMs);
        check = () => {
          if (translator.overLimit || translator.doneStatus) resolve();
        };
        check();
        worker.exited.then(() => resolve());
      });
      clearTimeout(grace);
    }
    // Whatever the cell left running dies here, before its files are read.
    worker.kill();
    await worker.exited;

    const files = await storeFiles(cell, worker, deps);
    if (files.length) writer.push(cell.id, filesMessage(parent, files));

    clearInterval(oomWatch);
    const error = stopError(stop, translator, worker, deps.limits, cell.timeoutMs);
    if (worker.sawOomKill() && error?.ename !== CELL_ERRORS.memory && !oomSaid) {
      // The cell went on, but the kernel stopped one of its processes: say why it vanished.
      writer.push(cell.id, createMessage('stream', { name: 'stderr', text: oomNote(deps.limits) }, parent));
    }
    const alreadySent = stop.kind === 'done' && error === translator.lastError;
    writer.finish(cell.id, error ? 'error' : 'ok', closingMessages(parent, error, alreadySent));
  } catch (e) {
    deps.log('error', `cell ${cell.id} failed inside the device: ${(e as Error).stack}`);
    worker.kill();
    const error = { ename: CELL_ERRORS.crashed, evalue: 'The cell could not be run to its end.', traceback: [] };
    writer.finish(cell.id, 'error', closingMessages(parent, error));
  } finally {
    worker.releaseDir();
  }
  return 'ended';
}

async function storeFiles(cell: CellRow, worker: Worker, deps: RunDeps): Promise<FileInfo[]> {
  if (!worker.cellDir) return [];
  const { limits } = deps;
  try {
    const { files, skipped, unexamined } = await collectFiles(worker.cellDir, {
      maxFiles: limits.files,
      maxFileBytes: limits.fileBytes,
      maxTotalBytes: limits.filesTotalBytes,
      maxNameBytes: MAX_FILE_NAME_BYTES,
    });
    // Notes on stderr, so a person sees why a file is missing, or may be cut short.
    for (const note of [summarizeSkipped(skipped, unexamined), summarizeFull(files, limits.fileBytes)]) {
      if (note) deps.writer.push(cell.id, createMessage('stream', { name: 'stderr', text: `${note}\n` }, cell.header));
    }
    if (files.length === 0) return [];
    deps.files.putMany(cell.id, files);
    return files.map((f) => ({ name: f.name, size: f.bytes.length, content_type: contentTypeFor(f.name, f.bytes), url: encodeFileUrl(cell.id, f.name) }));
  } catch (e) {
    deps.log('error', `could not collect files of cell ${cell.id}: ${(e as Error).message}`);
    // The cell ran; only its files are lost: say so where its reader looks.
    deps.writer.push(cell.id, createMessage('stream', { name: 'stderr', text: 'The files this cell created could not be stored (the server\'s storage is full or failing).\n' }, cell.header));
    return [];
  }
}

function stopError(stop: Stop, t: Translator, worker: Worker, limits: Limits, timeoutMs: number): ErrorContent | null {
  switch (stop.kind) {
    case 'done':
      return t.doneStatus === 'error' ? (t.lastError ?? t.asMemoryError({ ename: 'Error', evalue: 'The cell failed.', traceback: [] })) : null;
    case 'timeout':
      return { ename: CELL_ERRORS.timeout, evalue: `The cell ran longer than its ${formatSeconds(timeoutMs)} wall-time limit and was stopped.`, traceback: [] };
    case 'stopped':
      // The worker's report of the interrupt, where it made one: the same error, with where the
      // cell was. `Interrupted` whatever else the worker reported after the signal (a cell that
      // caught it and ended, a worker closing its devices), as the brief's interrupt says.
      return t.interruption ?? stop.error;
    case 'output':
      return { ename: CELL_ERRORS.output, evalue: `The cell wrote more than ${limits.outputBytes} bytes of output and was stopped.${overflowNote(t.overflow) || envelopesNote(t.envelopes())}`, traceback: [] };
    case 'exit':
      return exitError(stop.exit, worker, limits);
  }
}

/** MIME types an overflow's note names at most, and the characters of each. */
const NAMED_MIMES = 3;
const MIME_SHOWN_AT_MOST = 60;

/**
 * What of the output was left out, when a display passed the cap: a figure or a table too big
 * to show, which a file can hold (up to the file limits) and the cell's files list offers. Its
 * MIME types are the cell's own words, a few and each cut short: named whole, a display of a
 * thousand made-up types of 10,000 characters each put 10 MB in the error, stored twice (the
 * error and the reply) past the output cap that stopped it.
 */
function overflowNote(display: Translator['overflow']): string {
  if (!display) return '';
  const shown = display.mimes.filter((m) => m !== 'text/plain');
  const all = shown.length ? shown : display.mimes;
  const more = all.length > NAMED_MIMES ? ` and ${all.length - NAMED_MIMES} more` : '';
  const kinds = all.slice(0, NAMED_MIMES).map((m) => shorten(m, MIME_SHOWN_AT_MOST)).join(', ') + more;
  const what = display.type === 'line' ? `An output of at least ${formatSize(display.bytes)}`
    : `${display.type === 'execute_result' ? 'Its result' : 'A display'} of ${formatSize(display.bytes)} (${kinds})`;
  return ` ${what} passed that limit and is not shown: a large figure or table can be written to a file instead, which the cell's files list offers for download.`;
}

/** Where most of the output limit went to the messages themselves, and how to spend less of it. */
function envelopesNote(spent: ReturnType<Translator['envelopes']>): string {
  if (!spent) return '';
  return ` Most of that was the cost of its ${spent.messages.toLocaleString('en')} messages, some ${spent.each} bytes each besides their text (${formatSize(spent.content)} in all): a new one starts at each switch between stdout and stderr and at each display, so output written to one stream, or in fewer, larger pieces, fits far more.`;
}

/** A worker that ended without `done`: the cell exited on its own, hit a limit, or crashed. */
function exitError({ code, signal }: WorkerExit, worker: Worker, limits: Limits): ErrorContent | null {
  if (code === 0) return null; // the program ended itself (os._exit(0), exec …)
  if (worker.sawOomKill()) return memoryError(limits);
  const tail = worker.stderrTail;
  if (/heap out of memory|MemoryError|Cannot allocate memory|std::bad_alloc|out of memory/i.test(tail)) {
    return { ename: CELL_ERRORS.memory, evalue: `The cell used more than its ${limits.memoryMiB} MiB memory limit.`, traceback: [] };
  }
  // The signal as the helper told it (handoff.ts: a status of 128 + N is read there, where it can be).
  if (signal === 'SIGXCPU') {
    return { ename: CELL_ERRORS.timeout, evalue: `The cell used more than its ${limits.cpuSeconds} s CPU-time limit and was stopped.`, traceback: [] };
  }
  // RLIMIT_FSIZE's signal, to a process that leaves it as it comes (R, a program a cell starts):
  // the limit it passed is named, as the CPU time's is.
  if (signal === 'SIGXFSZ') {
    return { ename: CELL_ERRORS.crashed, evalue: `The cell's process was killed by SIGXFSZ: it wrote past ${limits.fileBytes} bytes, the most one file may hold.`, traceback: [] };
  }
  const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
  return { ename: CELL_ERRORS.crashed, evalue: `The cell's process ${how} before it finished.`, traceback: [] };
}

/** A process of the cell the kernel stopped, while the cell went on. */
function oomNote(limits: Limits): string {
  return `A process of this cell was stopped: together its processes used more than the ${limits.memoryMiB} MiB memory limit.\n`;
}

/** The kernel stopped a process of the cell: its processes together passed the memory limit. */
function memoryError(limits: Limits): ErrorContent {
  return { ename: CELL_ERRORS.memory, evalue: `The cell's processes together used more than its ${limits.memoryMiB} MiB memory limit.`, traceback: [] };
}

function formatSeconds(ms: number): string {
  // Under a tenth of a second in milliseconds: a 0.04 s timeout read "0 s".
  return ms < 100 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
