// The languages the device found installed and warm, as the web app lists them.
import type { LanguageInfo } from '../protocol/api';
import type { Db } from './db';

export type LanguageTable = ReturnType<typeof createLanguageTable>;

export function createLanguageTable(db: Db) {
  const all = db.prepare(`SELECT info FROM languages ORDER BY position`).pluck();
  const upsert = db.prepare(
    `INSERT INTO languages (name, info, position) VALUES (?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET info = excluded.info, position = excluded.position`,
  );
  const remove = db.prepare(`DELETE FROM languages WHERE name = ?`);
  const retainTx = db.transaction((names: string[]) => {
    const keep = new Set(names);
    for (const info of (all.all() as string[]).map((s) => JSON.parse(s) as LanguageInfo)) {
      if (!keep.has(info.name)) remove.run(info.name);
    }
  });
  return {
    list(): LanguageInfo[] {
      return (all.all() as string[]).map((s) => JSON.parse(s));
    },
    /**
     * At device start: drops the languages the device will not run (a runtime removed since the
     * last start). The others stay listed while their workers warm up, so a restart of the
     * device never makes the web app refuse a language it is about to run again.
     */
    retain(names: string[]): void {
      retainTx.immediate(names);
    },
    set(info: LanguageInfo, position: number): void {
      upsert.run(info.name, JSON.stringify(info), position);
    },
    remove(name: string): void {
      remove.run(name);
    },
  };
}
