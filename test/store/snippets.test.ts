// Snippets on a real SQLite file: content-addressed ids (the recipe pinned by fixed ids, as
// the Go Playground pins its share ids), first share wins, kept across reopening.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SNIPPET_ID, snippetId } from '../../store/snippets';
import { openStore, type Store } from '../../store/store';

let dir: string;
let store: Store;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-snippets-'));
  store = openStore(path.join(dir, 'db.sqlite'), { watchIntervalMs: 2 });
});

afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true });
});

describe('snippet ids', () => {
  // Fixed: base64url(sha256(language + "\0" + code))[:10], as Python's hashlib computes it.
  // If this fails, every permalink ever shared points nowhere: do not update the expectation.
  const pinned = [
    { language: 'python', code: 'print("Hello, world")', id: 'OFEufFW_K6' },
    { language: 'javascript', code: 'print("Hello, world")', id: 'XldfT4VTNh' },
    { language: 'python', code: '', id: 'seVmOS-vL_' },
  ];
  for (const p of pinned) {
    it(`${p.language} ${JSON.stringify(p.code)} is ${p.id}`, () => {
      expect(snippetId(p.language, p.code)).toBe(p.id);
      expect(SNIPPET_ID.test(p.id)).toBe(true);
    });
  }

  it('the same language and code give the same id; another language or code another', () => {
    expect(snippetId('python', 'x = 1')).toBe(snippetId('python', 'x = 1'));
    expect(snippetId('bash', 'x = 1')).not.toBe(snippetId('python', 'x = 1'));
    expect(snippetId('python', 'x = 2')).not.toBe(snippetId('python', 'x = 1'));
    // The separator keeps language and code apart: "py" + "thon…" is not "python" + "…".
    expect(snippetId('py', 'thonx')).not.toBe(snippetId('python', 'x'));
  });
});

describe('the snippet table', () => {
  it('stores a snippet once: sharing it again returns the same row, first title and time kept', () => {
    const a = store.snippets.share({ language: 'python', code: 'print(1)', title: 'One' }, 1000);
    expect(a.fresh).toBe(true);
    expect(a.row).toEqual({ id: snippetId('python', 'print(1)'), language: 'python', code: 'print(1)', title: 'One', created: 1000 });
    const b = store.snippets.share({ language: 'python', code: 'print(1)', title: 'Another title' }, 2000);
    expect(b.fresh).toBe(false);
    expect(b.row).toEqual(a.row);
    const c = store.snippets.share({ language: 'bash', code: 'print(1)', title: null }, 3000);
    expect(c.fresh).toBe(true);
    expect(c.row.id).not.toBe(a.row.id);
  });

  it('reads by id; an unknown id is null', () => {
    const { row } = store.snippets.share({ language: 'bash', code: 'echo "ünïcødé ✓"\n', title: null });
    expect(store.snippets.get(row.id)).toEqual(row);
    expect(store.snippets.get('AAAAAAAAAA')).toBeNull();
  });

  it('keeps snippets across reopening, and retention never drops them', () => {
    const { row } = store.snippets.share({ language: 'python', code: 'kept = True', title: 'Kept' }, 1);
    store.cells.deleteFinishedBefore(Date.now() + 1e9);
    store.close();
    store = openStore(path.join(dir, 'db.sqlite'), { watchIntervalMs: 2 });
    expect(store.snippets.get(row.id)).toEqual(row);
  });
});
