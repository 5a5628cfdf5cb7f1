// The web app's one store, filestore and config, opened on first use and kept on globalThis
// so that every route module (and dev-mode reloads) shares the same connections.
import { openFilestore, type Filestore } from '../../filestore/filestore';
import { databasePath, filestorePath, loadConfig, type Config } from '../../store/config';
import { openStore, type Store } from '../../store/store';
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
    g[KEY] = {
      config,
      store: openStore(databasePath(config), { watchIntervalMs: config.watchIntervalMs, bell: 'web' }),
      files: openFilestore(filestorePath(config)),
      limits: new ClientLimits(config),
      closing: new AbortController(),
    };
  }
  return g[KEY];
}
