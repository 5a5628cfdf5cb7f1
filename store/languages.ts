// The languages the device found installed and warm, as the web app lists them.
import type { LanguageInfo } from '../protocol/api';
import type { Db } from './db';

export type LanguageTable = ReturnType<typeof createLanguageTable>;

export function createLanguageTable(db: Db) {
  const all = db.prepare(`SELECT info FROM languages ORDER BY position`).pluck();
  const clear = db.prepare(`DELETE FROM languages`);
  const upsert = db.prepare(
    `INSERT INTO languages (name, info, position) VALUES (?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET info = excluded.info, position = excluded.position`,
  );
  const remove = db.prepare(`DELETE FROM languages WHERE name = ?`);
  return {
    list(): LanguageInfo[] {
      return (all.all() as string[]).map((s) => JSON.parse(s));
    },
    /** Replaces the list at device start: a runtime removed since the last start disappears. */
    reset: db.transaction((infos: LanguageInfo[]) => {
      clear.run();
      infos.forEach((info, i) => upsert.run(info.name, JSON.stringify(info), i));
    }),
    set(info: LanguageInfo, position: number): void {
      upsert.run(info.name, JSON.stringify(info), position);
    },
    remove(name: string): void {
      remove.run(name);
    },
  };
}
