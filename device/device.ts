// The device: claims queued cells atomically, runs each on a fresh warm worker, keeps as many
// running as the config allows, passes interrupts on, beats its heartbeat, drops expired
// cells, and on start ends the cells a dead predecessor left `running`.
import { closingMessages, openingMessages } from '../protocol/create';
import { CELL_ERRORS } from '../protocol/errors';
import type { Filestore } from '../filestore/filestore';
import type { Config } from '../store/config';
import type { CellRow } from '../store/cells';
import type { Store } from '../store/store';
import { GROUP_HEADROOM_MIB, openCellGroups } from './cgroup';
import { ForkServer } from './forkserver';
import { importsOnly } from './imports';
import { resolveLanguages, type RunnableLanguage } from './languages';
import { Pool } from './pool';
import { runCell } from './run';
import { buildArgv, SANDBOX_INFO_FD, SPARE_NICE } from './sandbox';
import { Spawner } from './spawner';
import { Worker, type WorkerProcess } from './worker';
import { MessageWriter } from './writer';

export type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

export interface DeviceDeps {
  store: Store;
  files: Filestore;
  config: Config;
  /** Host folder of the worker programs (readable by the sandbox user). */
  workersDir: string;
  log: Log;
}

const HEARTBEAT_MS = 1000;
/** The pool (and fork server) of a language's light zygote: its name, then this. */
const LIGHT = '+light';
const RETENTION_SWEEP_MS = 10 * 60 * 1000;
const SHUTDOWN_GRACE_MS = 5000;
/**
 * How many devices may die holding a cell they had not started yet before it is ended rather
 * than queued again. A device that dies in the moment between taking a cell and starting it is
 * rare (killed, out of memory); one that dies there every time may have been brought down by
 * that cell, and would be at every restart, for ever. Not a setting: no host has a reason to
 * want a different small number.
 */
export const MAX_ATTEMPTS = 3;

/**
 * How a cell a previous device left running, with messages, ends. That device died, or stopped
 * on a disk that took no more writes (its last messages, its end among them, kept in memory and
 * lost with it): in either case what the cell wrote after its last stored message may be gone,
 * and a reader who sees output stop short is told why.
 */
const LOST = 'The worker running this cell was lost when the device stopped; what the cell wrote after the output shown here, if anything, could not be stored and is lost.';

/** How a running cell ends when its reader asked (`POST …/interrupt`). */
const INTERRUPTED = { ename: CELL_ERRORS.interrupted, evalue: 'The cell was interrupted.', traceback: [] };
/**
 * How it ends when the device stops under it: as when the device dies (recover()), not as an
 * interrupt, which says the reader asked for it. A client can tell the two apart and run it again.
 */
const SHUT_DOWN = { ename: CELL_ERRORS.crashed, evalue: 'The cell was stopped because Cellbox was shutting down; run it again.', traceback: [] };

export function createDevice({ store, files, config, workersDir, log }: DeviceDeps) {
  const writer = new MessageWriter(store, log);
  const languages = resolveLanguages(config, workersDir, log);
  const byName = new Map(languages.map((l) => [l.config.name, l]));
  const registered = new Set<string>();
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const startedAt = Date.now();
  let stopping = false;
  const timers: NodeJS.Timeout[] = [];
  let unsubscribe: (() => void) | null = null;
  let retryPump: NodeJS.Timeout | null = null;

  const forkServers = new Map<string, ForkServer>();
  /** Starts the sandboxes of languages without a fork server; made at the first need. */
  let spawner: Spawner | null = null;

  const groups = openCellGroups();
  if ('unavailable' in groups) {
    log('warn', `no control groups for cells (${groups.unavailable}): each process of a cell is held to the memory limit alone, not all of them together; run the device as root for per-cell limits`);
  } else {
    const cpu = groups.cpuUnavailable ? '' : ' and have an equal share of the CPU';
    log('info', `each cell's processes share one memory limit${cpu}, in cgroup ${groups.version} groups under ${groups.dir}`);
    if (groups.cpuUnavailable) log('warn', `no CPU groups for cells (${groups.cpuUnavailable}): a cell's processes in many sessions may take the CPU from the others`);
  }
  /** Groups being given back as their workers' processes finish exiting; stop() waits for them. */
  const removals = new Set<Promise<void>>();

  /**
   * A fresh worker process: from the language's fork server (started again if it died), its
   * light one (nothing preloaded) for the pool `<name>+light`, or a sandbox of its own.
   */
  function startProcess(lang: RunnableLanguage, poolName: string, light: boolean): WorkerProcess {
    if (!spawner?.running) spawner = new Spawner(log);
    const options = lang.config.forkServer;
    if (!options) return spawner.spawn(buildArgv(lang.spec, SANDBOX_INFO_FD));
    let server = forkServers.get(poolName);
    if (!server?.running) {
      server = new ForkServer(poolName, spawner.spawn(buildArgv(lang.spec, SANDBOX_INFO_FD, light ? { ...options, preload: [] } : options)), log);
      forkServers.set(poolName, server);
    }
    return server.fork();
  }

  /**
   * The pool a cell takes its worker from: the light one when its language has one that is up
   * and the code imports nothing beyond the standard library, else the language's own.
   */
  function poolFor(cell: CellRow): string {
    const light = forkServers.get(cell.language + LIGHT);
    if (!light?.running || !light.stdlib.size) return cell.language;
    // The code of its linked cells runs in the same process first: it counts as the cell's own.
    const codes: string[] = cell.linked === null ? [cell.code] : [...(JSON.parse(cell.linked) as string[]), cell.code];
    return codes.every((code) => importsOnly(code, light.stdlib)) ? cell.language + LIGHT : cell.language;
  }

  /** A pool's language: its own name, or a light pool's (`python+light`) without the suffix. */
  const languageOfPool = (poolName: string) => (poolName.endsWith(LIGHT) ? poolName.slice(0, -LIGHT.length) : poolName);

  const pool = new Pool((poolName) => {
    const light = poolName.endsWith(LIGHT);
    const name = languageOfPool(poolName);
    const lang = byName.get(name)!;
    const group = 'unavailable' in groups ? null : groups.take((lang.spec.limits.memoryMiB + GROUP_HEADROOM_MIB) * 1024 * 1024);
    const worker = new Worker(name, startProcess(lang, poolName, light), group, !!lang.config.forkServer && SPARE_NICE > 0);
    if (group) {
      // Released too: until the device closes the cell's directory, its tmpfs pages are the group's.
      const removal = Promise.all([worker.exited, worker.released])
        .then(() => group.giveBack())
        .catch((e) => log('warn', `${(e as Error).message}; the next device start removes it`))
        .finally(() => removals.delete(removal));
      removals.add(removal);
    }
    worker.ready.then(() => {
      // The first warm worker tells which version the runtime is.
      if (registered.has(name)) return;
      registered.add(name);
      // The version probe's, when the language has one (its worker cannot say it); else the worker's.
      const version = lang.version ?? worker.version;
      offer(lang, version);
      log('info', `language ${name} ready (${version})`);
    }, () => {});
    return worker;
  }, log);

  /** Lists `lang` for the web app, which then takes cells for it; `version` is '' until a worker said it. */
  function offer(lang: RunnableLanguage, version: string): void {
    const c = lang.config;
    store.languages.set({ name: c.name, display_name: c.display_name, version, file_extension: c.file_extension, codemirror_mode: c.codemirror_mode }, languages.indexOf(lang));
  }

  /** What running one cell needs; the limits are its language's (the global ones, with the language's own over them). */
  function deps(cell: CellRow) {
    const limits = byName.get(cell.language)?.spec.limits ?? config.limits;
    return { pool, poolName: poolFor(cell), writer, files, limits, interruptGraceMs: config.interruptGraceSeconds * 1000, stopping: () => stopping, log };
  }

  /** Claims that failed in a row (the database busy or its disk full). */
  let failedClaims = 0;

  /** Claims and starts queued cells while there is room. */
  function pump(): void {
    while (!stopping && running.size < config.concurrency) {
      let cell: CellRow | null | undefined;
      try {
        cell = store.claimCell();
      } catch (e) {
        // Busy or full for now: the cells stay queued; the next change or retry claims them.
        // Tried twice a second: on a full disk, a line each time buried the log.
        if (failedClaims++ % 120 === 0) log('warn', `could not take a queued cell${failedClaims > 1 ? ` (${failedClaims} times in a row)` : ''}: ${(e as Error).message}`);
        if (!retryPump) retryPump = setTimeout(() => ((retryPump = null), pump()), 500);
        return;
      }
      failedClaims = 0;
      if (!cell) return;
      start(cell);
    }
  }

  function start(cell: CellRow): void {
    const controller = new AbortController();
    const done = (async () => {
      if (!byName.has(cell.language)) {
        const error = { ename: 'LanguageUnavailable', evalue: `This server does not run ${cell.language} now.`, traceback: [] };
        writer.finish(cell.id, 'error', [...openingMessages(cell.header, cell.code), ...closingMessages(cell.header, error)]);
        return;
      }
      if ((await runCell(cell, deps(cell), controller.signal)) === 'unstarted') giveBack(cell);
    })()
      .catch((e) => log('error', `cell ${cell.id}: ${(e as Error).stack}`))
      .finally(() => {
        running.delete(cell.id);
        pump();
      });
    running.set(cell.id, { controller, done });
  }

  /** A cell this device took but, stopping, never started goes back to the queue for the next one, uncounted. */
  function giveBack(cell: CellRow): void {
    try {
      if (store.requeueCell(cell.id, false)) log('info', `cell ${cell.id} had not started; handed it back to the queue`);
    } catch (e) {
      // Left running without messages: the next device queues it again (counted as a try).
      log('warn', `could not hand cell ${cell.id} back to the queue: ${(e as Error).message}`);
    }
  }

  function passInterrupts(): void {
    for (const id of store.cells.interruptRequested()) {
      const r = running.get(id);
      if (r && !r.controller.signal.aborted) r.controller.abort(INTERRUPTED);
    }
  }

  /**
   * Cells a previous device left running can't be resumed: those it had started (they have
   * messages: runCell writes none before the cell's worker) end with WorkerCrashed; those that
   * still waited for a worker are queued again, as the brief asks, or end as Interrupted if
   * their reader asked meanwhile. A cell's run leaves nothing behind outside its sandbox, so
   * running one again that the device died just as it handed over is no harm. But one that
   * MAX_ATTEMPTS devices died holding ends with WorkerCrashed: it may be what kills them.
   */
  function recover(): void {
    for (const cell of store.cells.running()) {
      const started = store.messages.lastSeq(cell.id) > 0;
      const exhausted = cell.attempts >= MAX_ATTEMPTS;
      if (!started && !cell.interrupt && !exhausted) {
        if (store.requeueCell(cell.id, true)) log('info', `cell ${cell.id} had not started when the device stopped (try ${cell.attempts} of ${MAX_ATTEMPTS}); queued it again`);
        continue;
      }
      const opening = started ? [] : openingMessages(cell.header, cell.code);
      const error = started
        ? { ename: CELL_ERRORS.crashed, evalue: LOST, traceback: [] }
        : cell.interrupt
          ? INTERRUPTED
          : { ename: CELL_ERRORS.crashed, evalue: `The cell was taken ${cell.attempts} times and each time the device stopped before it started (this cell may be what stops it); it is not run again.`, traceback: [] };
      store.finishCell(cell.id, 'error', [...opening, ...closingMessages(cell.header, error)]);
      log('warn', started || cell.interrupt
        ? `cell ${cell.id} was running when the device stopped; ended it with ${error.ename}`
        : `cell ${cell.id} was taken ${cell.attempts} times by devices that stopped before it started; ended it with ${error.ename} rather than queue it again`);
    }
  }

  /** Heartbeats that failed in a row: a full disk fails every one, and a line a second buried the log. */
  let failedBeats = 0;

  function beat(): void {
    try {
      store.heartbeat.beat(process.pid, startedAt, Date.now(), pool.states(languageOfPool));
    } catch (e) {
      if (failedBeats++ % 60 === 0) log('warn', `could not write the heartbeat${failedBeats > 1 ? ` (${failedBeats} times in a row)` : ''}: ${(e as Error).message}; /healthz says why while it is stale`);
      return;
    }
    if (failedBeats) log('info', `the heartbeat is written again, after ${failedBeats} failed`);
    failedBeats = 0;
  }

  function sweep(): void {
    try {
      sweepOnce();
    } catch (e) {
      log('warn', `retention sweep failed, tried again later: ${(e as Error).message}`);
    }
  }

  function sweepOnce(): void {
    const cutoff = Date.now() - config.retentionHours * 3600 * 1000;
    const ids = store.cells.deleteFinishedBefore(cutoff);
    if (ids.length) {
      files.deleteCells(ids);
      log('info', `dropped ${ids.length} cells finished more than ${config.retentionHours} h ago`);
    }
    // The files whose cells went in an earlier sweep that failed between the two databases (the
    // filestore busy or its disk full): nothing else would ever drop them. A file is stored
    // before its cell ends, so past the cutoff (and one sweep's margin) its cell is gone too.
    const orphans = files.deleteOlderThan(cutoff - RETENTION_SWEEP_MS);
    if (orphans) log('info', `dropped ${orphans} files left by cells dropped earlier`);
  }

  return {
    pool,

    start(): void {
      recover();
      store.languages.retain(languages.map((l) => l.config.name));
      // Every language this device runs is offered from the start, its cells queued while its
      // first workers warm: offered only once warm, a language the page lists (the web app
      // offers them all while none is listed) would be refused between the first language's
      // start and its own. Those listed from the last start keep their version meanwhile.
      const listed = new Set(store.languages.list().map((l) => l.name));
      for (const l of languages) if (!listed.has(l.config.name)) offer(l, '');
      store.heartbeat.beat(process.pid, startedAt);
      for (const l of languages) {
        pool.add(l.config.name, l.config.pool);
        if (l.config.forkServer?.light) pool.add(l.config.name + LIGHT, l.config.pool);
      }
      unsubscribe = store.watcher.onChange(() => {
        passInterrupts();
        pump();
      });
      timers.push(setInterval(beat, HEARTBEAT_MS));
      timers.push(setInterval(sweep, RETENTION_SWEEP_MS));
      for (const t of timers) t.unref();
      sweep();
      pump();
    },

    runningCount(): number {
      return running.size;
    },

    /** Stops taking cells, ends the running ones as WorkerCrashed, and releases the workers. */
    async stop(): Promise<void> {
      stopping = true;
      unsubscribe?.();
      for (const t of timers) clearInterval(t);
      if (retryPump) clearTimeout(retryPump);
      for (const r of running.values()) r.controller.abort(SHUT_DOWN);
      const settled = (ms: number) => Promise.race([Promise.all([...running.values()].map((r) => r.done)), new Promise((r) => setTimeout(r, ms))]);
      await settled(SHUTDOWN_GRACE_MS);
      pool.close();
      // Closing the pool turned the cells still waiting for a worker away: they go back to the
      // queue (giveBack) at once, before the store closes; a second is room enough for that.
      await settled(1000);
      for (const server of forkServers.values()) server.kill();
      await spawner?.stop();
      writer.flush();
      const lost = writer.unwritten();
      if (lost.length) {
        // The disk is full (or failing), and the device does not outlive it: say what is lost.
        // Those cells stay `running`: the next device start ends each (recover(), LOST), or
        // queues again one of which nothing was stored.
        log('error', `the last messages of cells ${lost.join(', ')} could not be written (${writer.lastFailure}) and are lost; the next device start ends those cells with ${CELL_ERRORS.crashed}, saying so`);
      }
      if (!('unavailable' in groups)) {
        await Promise.race([Promise.all(removals), new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS))]);
        groups.close();
      }
    },
  };
}
