// The web app's one store, filestore and config, opened on first use and kept on globalThis
// so that every route module (and dev-mode reloads) shares the same connections.
import { openFilestore, type Filestore } from '../../filestore/filestore';
import { databasePath, filestorePath, loadConfig, type Config } from '../../store/config';
import { unusable } from '../../store/db';
import { openStore, type Store } from '../../store/store';
import { setMaxListeners } from 'node:events';
import { ClientLimits } from './client';

export interface Server {
  config: Config;
  store: Store;
  files: Filestore;
  limits: ClientLimits;
  /** Aborted when the web server stops: each waiting long-poll answers with what it has, at once. */
  closing: AbortController;
}

const KEY = Symbol.for('cellbox.server');
type Holder = { [KEY]?: Server };

export function server(): Server {
  const g = globalThis as Holder;
  if (!g[KEY]) {
    const config = loadConfig();
    const store = openStore(databasePath(config), { watchIntervalMs: config.watchIntervalMs, bell: 'web' });
    let files: Filestore;
    try {
      files = openFilestore(filestorePath(config));
    } catch (e) {
      store.close();
      throw unusable(filestorePath(config), e);
    }
    g[KEY] = {
      config,
      store,
      files,
      limits: new ClientLimits(config),
      closing: closingController(),
    };
  }
  return g[KEY];
}

/**
 * Every waiting long-poll listens on this one signal until it answers: a thousand at once is a
 * normal load, not the leak Node warns of past ten listeners.
 */
function closingController(): AbortController {
  const closing = new AbortController();
  setMaxListeners(Infinity, closing.signal);
  return closing;
}
