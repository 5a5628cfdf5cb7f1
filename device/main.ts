// The device process: reads the config, opens the store and filestore, starts the device, and
// stops it cleanly on SIGINT/SIGTERM.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openFilestore } from '../filestore/filestore';
import { ConfigError, databasePath, filestorePath, loadConfig, unknownEnvNames } from '../store/config';
import { DatabaseError, ensureDirectory, unusable } from '../store/db';
import { DeviceLockError, lockDevice, type DeviceLock } from '../store/device-lock';
import { openStore, type Store } from '../store/store';
import { closeInheritedDescriptors } from './descriptors';
import { createDevice, type Log } from './device';
import { checkSandbox, SandboxError } from './sandbox';
import { prepareWorkersDir } from './workers-copy';

const log: Log = (level, msg) => {
  const line = `[device] ${level}: ${msg}`;
  if (level === 'info') console.log(line);
  else console.error(line);
};

/** The project's workers/ folder: beside this file's folder, whether run from source or from dist/. */
function workersSource(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return process.env.CELLBOX_WORKERS_DIR ?? path.resolve(here, '..', 'workers');
}

function main(): void {
  // First, before any child is started: none may get what this process inherited.
  const closed = closeInheritedDescriptors();
  let config;
  let lock: DeviceLock;
  let store: Store;
  let files;
  try {
    config = loadConfig();
    // Before anything is opened: a device that cannot make a sandbox would take cells and fail each.
    checkSandbox();
    ensureDirectory(config.dataDir);
    // Before the store is touched: the device's start ends the cells left `running`, which are
    // another device's, still running, while that one holds the lock.
    lock = lockDevice(config.dataDir);
    store = openStore(databasePath(config), { watchIntervalMs: config.watchIntervalMs, bell: 'device' });
    try {
      files = openFilestore(filestorePath(config));
    } catch (e) {
      throw unusable(filestorePath(config), e);
    }
  } catch (e) {
    // What the host must fix, in one line: no stack trace, and no half-started device.
    if (e instanceof ConfigError || e instanceof DatabaseError || e instanceof DeviceLockError || e instanceof SandboxError) {
      log('error', e.message);
      process.exit(2);
    }
    throw e;
  }
  const workers = prepareWorkersDir(workersSource());
  const device = createDevice({ store, files, config, workersDir: workers.dir, log });
  for (const { name } of unknownEnvNames(process.env)) log('warn', `${name} is not a setting of Cellbox; ignored (the settings are in docs/config.md)`);
  if (closed.length) log('info', `closed inherited descriptors ${closed.join(', ')}: no sandbox gets them`);
  if (workers.removed.length) log('info', `removed ${workers.removed.length} copies of the workers folder left by devices that are gone`);
  for (const f of workers.failed) log('warn', `could not remove a stale copy of the workers folder: ${f}`);
  // Before start(), which takes queued cells: a SIGTERM that came before there was a handler
  // ended the process at once, holding the cell it had just taken (counted as a try, as after a
  // crash) instead of handing it back. Node runs a handler on the event loop, so a signal that
  // comes during start() is handled once start() returns.
  let stopping = false;
  const stop = async (why: string | null, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    if (why) log('info', `${why}: stopping`);
    try {
      await device.stop();
      store.close();
      files.close();
      workers.dispose();
      lock.release();
    } catch (e) {
      // Still ends: a device that cannot stop cleanly (its disk failing) must not stay half stopped.
      log('error', `could not stop cleanly: ${(e as Error).message}`);
      exitCode ||= 1;
    }
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stop('SIGINT', 0));
  process.on('SIGTERM', () => void stop('SIGTERM', 0));
  try {
    device.start();
  } catch (e) {
    // Its start writes (the cells a dead device left, the languages, the first heartbeat): on a
    // full disk it stopped with a stack trace. Nothing is half done: each write is a transaction.
    const refusal = unusable(databasePath(config), e);
    if (!(refusal instanceof DatabaseError)) throw e;
    log('error', refusal.message);
    void stop(null, 2);
    return;
  }
  log('info', `running up to ${config.concurrency} cells at once; data in ${config.dataDir}`);
}

main();
