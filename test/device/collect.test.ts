// Tests collecting a finished cell's files: what is kept, what is skipped and why, and that
// nothing the cell planted (links, FIFOs, odd names) is followed, blocks, or is mangled.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectFiles, EXAMINED_PAST_MAX_FILES, summarizeFull, summarizeSkipped, type CollectLimits } from '../../device/collect';
import { MAX_FOLDERS } from '../../filestore/names';

const LIMITS: CollectLimits = { maxFiles: 100, maxFileBytes: 1024, maxTotalBytes: 1024 * 1024, maxNameBytes: 255 };

let parent: string;
let cell: string;
let outside: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  parent = fs.mkdtempSync(path.join(os.tmpdir(), 'cellbox-collect-'));
  cell = path.join(parent, 'cell');
  outside = path.join(parent, 'outside');
  fs.mkdirSync(cell);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(parent, { recursive: true, force: true });
});

function put(name: string, contents: string | Buffer = name): void {
  fs.writeFileSync(path.join(cell, name), contents);
}

function keptNames(result: Awaited<ReturnType<typeof collectFiles>>): string[] {
  return result.files.map((f) => f.name);
}

describe('collectFiles', () => {
  it('keeps only plain regular files and says why it skipped the rest', async () => {
    put('a.txt', 'alpha');
    put('b.csv', 'x,y\n1,2\n');
    put('empty', '');
    put('..dots', 'dots');
    put('café 数据.txt', 'unicode');
    put('big.bin', Buffer.alloc(1025, 7));
    put('exact.bin', Buffer.alloc(1024, 9));
    put('new\nline.txt', 'newline');
    put('esc\u001b[2J.txt', 'escape');
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(cell, 'link'));
    fs.symlinkSync(outside, path.join(cell, 'dirlink'));
    fs.symlinkSync(path.join(parent, 'nowhere'), path.join(cell, 'dangling'));
    fs.linkSync(path.join(outside, 'secret.txt'), path.join(cell, 'hard'));
    fs.mkdirSync(path.join(cell, 'sub'));
    fs.writeFileSync(path.join(cell, 'sub', 'inner.txt'), 'inner');
    execFileSync('mkfifo', [path.join(cell, 'fifo')]);
    // Made through a Buffer path: "bad", 0xFF, ".txt" is not UTF-8.
    fs.writeFileSync(Buffer.concat([Buffer.from(`${cell}/bad`), Buffer.from([0xff]), Buffer.from('.txt')]), 'bad');

    const result = await collectFiles(cell, LIMITS);

    expect(keptNames(result)).toEqual(['..dots', 'a.txt', 'b.csv', 'café 数据.txt', 'empty', 'exact.bin', 'sub/inner.txt']);
    const byName = Object.fromEntries(result.files.map((f) => [f.name, f.bytes]));
    expect(byName['a.txt'].toString()).toBe('alpha');
    expect(byName['empty']).toEqual(Buffer.alloc(0));
    expect(byName['exact.bin'].equals(Buffer.alloc(1024, 9))).toBe(true);
    expect(byName['café 数据.txt'].toString()).toBe('unicode');

    expect(result.skipped).toEqual([
      { name: 'bad\\xff.txt', reason: 'not valid UTF-8' },
      { name: 'big.bin', reason: 'larger than 1024 bytes' },
      { name: 'dangling', reason: 'symlink' },
      { name: 'dirlink', reason: 'symlink' },
      { name: 'esc\u001b[2J.txt', reason: 'control character in name' },
      { name: 'fifo', reason: 'FIFO' },
      { name: 'hard', reason: 'hard link' },
      { name: 'link', reason: 'symlink' },
      { name: 'new\nline.txt', reason: 'control character in name' },
    ]);
    // Nothing outside the directory came in.
    const allBytes = Buffer.concat(result.files.map((f) => f.bytes)).toString();
    expect(allBytes).not.toContain('secret');
    expect(byName['sub/inner.txt'].toString()).toBe('inner');
  });

  it('does not block on a FIFO', async () => {
    const fifo = path.join(cell, 'fifo');
    execFileSync('mkfifo', [fifo]);
    put('a.txt');
    // Were collect to open the FIFO and wait for a writer, this writer would release it after
    // two seconds: a mistake shows as a failed time check below rather than a hung test.
    const writer = spawn('sh', ['-c', `sleep 2; echo planted > '${fifo}'`], { stdio: 'ignore' });
    children.push(writer);
    const started = performance.now();
    const result = await collectFiles(cell, LIMITS);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(keptNames(result)).toEqual(['a.txt']);
    expect(result.skipped).toEqual([{ name: 'fifo', reason: 'FIFO' }]);
  });

  it('skips a socket', async () => {
    const net = await import('node:net');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(cell, 'sock'), resolve));
    try {
      expect((await collectFiles(cell, LIMITS)).skipped).toEqual([{ name: 'sock', reason: 'socket' }]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a hard link even when both names are inside the directory', async () => {
    put('one', 'shared');
    fs.linkSync(path.join(cell, 'one'), path.join(cell, 'two'));
    const result = await collectFiles(cell, LIMITS);
    expect(result.files).toEqual([]);
    expect(result.skipped).toEqual([
      { name: 'one', reason: 'hard link' },
      { name: 'two', reason: 'hard link' },
    ]);
  });

  it('takes the name limit as a parameter', async () => {
    // Names past 255 bytes cannot exist on Linux; the check itself is the same at any limit.
    expect(() => fs.writeFileSync(path.join(cell, 'x'.repeat(10_000)), '')).toThrow(/ENAMETOOLONG/);
    put('n'.repeat(200), 'long');
    put('é'.repeat(100), 'two hundred bytes');
    put('short', 'short');
    const result = await collectFiles(cell, { ...LIMITS, maxNameBytes: 150 });
    expect(keptNames(result)).toEqual(['short']);
    expect(result.skipped).toEqual([
      { name: 'n'.repeat(200), reason: 'name longer than 150 bytes' },
      { name: 'é'.repeat(100), reason: 'name longer than 150 bytes' },
    ]);
    expect(keptNames(await collectFiles(cell, { ...LIMITS, maxNameBytes: 200 }))).toEqual(['n'.repeat(200), 'short', 'é'.repeat(100)]);
  });

  it('keeps the first maxFiles files by name and skips the rest', async () => {
    for (const n of [5, 3, 1, 4, 2, 6]) put(`f${n}.txt`);
    fs.mkdirSync(path.join(cell, 'f0-dir'));
    put('f\n.txt');
    const result = await collectFiles(cell, { ...LIMITS, maxFiles: 3 });
    expect(keptNames(result)).toEqual(['f1.txt', 'f2.txt', 'f3.txt']);
    expect(result.skipped).toEqual([
      { name: 'f\n.txt', reason: 'control character in name' },
      { name: 'f4.txt', reason: 'over the limit of 3 files' },
      { name: 'f5.txt', reason: 'over the limit of 3 files' },
      { name: 'f6.txt', reason: 'over the limit of 3 files' },
    ]);
  });

  it('stops at the total byte limit, skipping the file that would pass it and all after', async () => {
    put('a', Buffer.alloc(400));
    put('b', Buffer.alloc(400));
    put('c', Buffer.alloc(300));
    put('d', Buffer.alloc(1));
    put('e', Buffer.alloc(2000));
    const result = await collectFiles(cell, { ...LIMITS, maxTotalBytes: 1000 });
    expect(keptNames(result)).toEqual(['a', 'b']);
    expect(result.skipped).toEqual([
      { name: 'c', reason: 'over the limit of 1000 bytes in all' },
      { name: 'd', reason: 'over the limit of 1000 bytes in all' },
      { name: 'e', reason: 'over the limit of 1000 bytes in all' },
    ]);
    // Exactly at the limit is still kept.
    expect(keptNames(await collectFiles(cell, { ...LIMITS, maxTotalBytes: 1100 }))).toEqual(['a', 'b', 'c']);
  });

  it('reads a large file whole, byte for byte', async () => {
    const bytes = Buffer.from(Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 31) & 0xff));
    put('large.bin', bytes);
    const result = await collectFiles(cell, { ...LIMITS, maxFileBytes: 4 * 1024 * 1024, maxTotalBytes: 8 * 1024 * 1024 });
    expect(result.files).toHaveLength(1);
    expect(result.files[0].bytes.equals(bytes)).toBe(true);
  });

  it('reads through a pinned directory fd, even after the path is swapped for a symlink', async () => {
    put('kept.txt', 'kept');
    const fd = fs.openSync(cell, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      fs.renameSync(cell, path.join(parent, 'moved'));
      fs.symlinkSync(outside, cell);
      const result = await collectFiles(`/proc/self/fd/${fd}`, LIMITS);
      expect(keptNames(result)).toEqual(['kept.txt']);
      expect(result.files[0].bytes.toString()).toBe('kept');
    } finally {
      fs.closeSync(fd);
    }
  });

  it('examines only the first entries in byte order and counts the others, whatever the directory order', async () => {
    const maxFiles = 3;
    const examined = maxFiles + EXAMINED_PAST_MAX_FILES;
    // Made in reverse order, with a link among the first names: the first by name still win.
    const names = Array.from({ length: examined + 20 }, (_, i) => `n${String(i).padStart(5, '0')}`);
    for (const name of [...names].reverse()) put(name, 'x');
    fs.symlinkSync(outside, path.join(cell, 'a-link'));
    const result = await collectFiles(cell, { ...LIMITS, maxFiles });
    expect(keptNames(result)).toEqual(names.slice(0, maxFiles));
    expect(result.skipped).toHaveLength(examined - maxFiles);
    expect(result.skipped[0]).toEqual({ name: 'a-link', reason: 'symlink' });
    expect(result.skipped.at(-1)).toEqual({ name: names[examined - 2], reason: `over the limit of ${maxFiles} files` });
    expect(result.unexamined).toBe(names.length + 1 - examined);
    expect(summarizeSkipped(result.skipped, result.unexamined)).toMatch(new RegExp(`^${names.length + 1 - maxFiles} files not kept: a-link \\(symlink\\), .*, and ${names.length + 1 - maxFiles - 10} more$`));
  });

  it('lets other work run while it lists a huge directory', async () => {
    // A cell can leave millions of empty files; listing them must not hold up the device.
    for (let i = 0; i < 20_000; i++) fs.closeSync(fs.openSync(path.join(cell, `e${i}`), 'w'));
    let turns = 0;
    let stop = false;
    const tick = () => {
      turns++;
      if (!stop) setImmediate(tick);
    };
    setImmediate(tick);
    const result = await collectFiles(cell, LIMITS);
    stop = true;
    expect(result.files).toHaveLength(LIMITS.maxFiles);
    expect(result.skipped.length + result.unexamined).toBe(20_000 - LIMITS.maxFiles);
    expect(turns).toBeGreaterThan(1);
  });

  it('keeps the files in folders under it, named by their folders, and checks each folder as it checks a file', async () => {
    fs.mkdirSync(path.join(cell, 'plots', 'png'), { recursive: true });
    put('plots/png/fig.png', 'png');
    put('plots/data.csv', 'csv');
    put('top.txt', 'top');
    fs.mkdirSync(path.join(cell, 'empty'));
    // Inside a folder as at the top: links, and a folder that is a link, are not followed.
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(cell, 'plots', 'link'));
    fs.symlinkSync(outside, path.join(cell, 'plots', 'dirlink'));
    fs.mkdirSync(path.join(cell, 'bad\nfolder'));
    put('bad\nfolder/x.txt', 'x');
    const result = await collectFiles(cell, LIMITS);
    expect(keptNames(result)).toEqual(['plots/data.csv', 'plots/png/fig.png', 'top.txt']);
    expect(result.files.find((f) => f.name === 'plots/png/fig.png')!.bytes.toString()).toBe('png');
    expect(result.skipped).toEqual([
      { name: 'bad\nfolder', reason: 'control character in name' },
      { name: 'plots/dirlink', reason: 'symlink' },
      { name: 'plots/link', reason: 'symlink' },
    ]);
    expect(Buffer.concat(result.files.map((f) => f.bytes)).toString()).not.toContain('secret');
  });

  it("leaves out hidden folders and __pycache__ without a note: programs' own state, not a person's files", async () => {
    for (const folder of ['.cache/fontconfig', '.sage', '__pycache__']) fs.mkdirSync(path.join(cell, folder), { recursive: true });
    put('.cache/fontconfig/cache-1', 'c');
    put('.sage/init.sage', 's');
    put('__pycache__/mod.cpython-311.pyc', 'p');
    put('.hidden-file', 'kept: a file, not a folder');
    put('mod.py', 'x = 1');
    const result = await collectFiles(cell, LIMITS);
    expect(keptNames(result)).toEqual(['.hidden-file', 'mod.py']);
    expect(result.skipped).toEqual([]);
  });

  it('goes no deeper than MAX_FOLDERS folders, saying so', async () => {
    const deepest = Array.from({ length: MAX_FOLDERS }, (_, i) => `d${i}`).join('/');
    fs.mkdirSync(path.join(cell, deepest, 'd8'), { recursive: true });
    put(`${deepest}/ok.txt`, 'ok');
    put(`${deepest}/d8/deep.txt`, 'too deep');
    const result = await collectFiles(cell, LIMITS);
    expect(keptNames(result)).toEqual([`${deepest}/ok.txt`]);
    expect(result.skipped).toEqual([{ name: `${deepest}/d8`, reason: `a folder more than ${MAX_FOLDERS} deep` }]);
  });

  it('counts the limits across all folders, and examines a bounded number of entries in all', async () => {
    fs.mkdirSync(path.join(cell, 'a'));
    fs.mkdirSync(path.join(cell, 'b'));
    for (const n of [1, 2]) put(`a/${n}.txt`);
    for (const n of [1, 2]) put(`b/${n}.txt`);
    const result = await collectFiles(cell, { ...LIMITS, maxFiles: 3 });
    expect(keptNames(result)).toEqual(['a/1.txt', 'a/2.txt', 'b/1.txt']);
    expect(result.skipped).toEqual([{ name: 'b/2.txt', reason: 'over the limit of 3 files' }]);
    // Many files spread over folders: what is examined is bounded by maxFiles + EXAMINED_PAST_MAX_FILES
    // in all, not per folder.
    for (const folder of ['c', 'd', 'e']) {
      fs.mkdirSync(path.join(cell, folder));
      for (let i = 0; i < EXAMINED_PAST_MAX_FILES; i++) fs.closeSync(fs.openSync(path.join(cell, folder, `f${i}`), 'w'));
    }
    const many = await collectFiles(cell, { ...LIMITS, maxFiles: 3 });
    // 3 + EXAMINED_PAST_MAX_FILES entries are examined: the 5 at the top (folders count), the 4
    // in a and b, and then c's first ones; the rest of c, and d and e whole, only counted.
    const inC = 3 + EXAMINED_PAST_MAX_FILES - 9;
    expect(many.files.length + many.skipped.length).toBe(4 + inC);
    expect(many.unexamined).toBe(EXAMINED_PAST_MAX_FILES - inC + 2 * EXAMINED_PAST_MAX_FILES);
  });

  it('returns nothing for an empty directory', async () => {
    expect(await collectFiles(cell, LIMITS)).toEqual({ files: [], skipped: [], unexamined: 0 });
  });

  it('rejects if the directory itself cannot be read', async () => {
    await expect(collectFiles(path.join(parent, 'missing'), LIMITS)).rejects.toThrow(/ENOENT/);
    put('plain');
    await expect(collectFiles(path.join(cell, 'plain'), LIMITS)).rejects.toThrow(/ENOTDIR/);
  });
});

describe('summarizeSkipped', () => {
  it('is null when nothing was skipped', () => {
    expect(summarizeSkipped([])).toBeNull();
  });

  it('names each skipped file with its reason', () => {
    expect(
      summarizeSkipped([
        { name: 'link', reason: 'symlink' },
        { name: 'big.bin', reason: 'larger than 10485760 bytes' },
      ]),
    ).toBe('2 files not kept: link (symlink), big.bin (larger than 10485760 bytes)');
    expect(summarizeSkipped([{ name: 'sub', reason: 'directory' }])).toBe('1 file not kept: sub (directory)');
  });

  it('cannot be made to print control or bidi characters', () => {
    const note = summarizeSkipped([
      { name: 'fake\nWarning: all good', reason: 'control character in name' },
      { name: 'evil\u202Etxt.exe', reason: 'symlink' },
    ])!;
    expect(note).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(note).toContain('fake\\u000aWarning: all good');
    expect(note).toContain('evil\\u202etxt.exe');
  });

  it('lists at most ten and counts the rest, shortening long names', () => {
    const skipped = Array.from({ length: 25 }, (_, i) => ({ name: `f${i}`, reason: 'over the limit of 1 files' }));
    const note = summarizeSkipped(skipped)!;
    expect(note.startsWith('25 files not kept: f0 (over the limit of 1 files), ')).toBe(true);
    expect(note).toContain('f9 (');
    expect(note).not.toContain('f10 (');
    expect(note.endsWith(', and 15 more')).toBe(true);
    // Entries not examined count among the rest.
    expect(summarizeSkipped(skipped, 1000)!.startsWith('1025 files not kept: f0 (')).toBe(true);
    expect(summarizeSkipped(skipped, 1000)!.endsWith(', and 1015 more')).toBe(true);
    const long = summarizeSkipped([{ name: 'x'.repeat(200), reason: 'directory' }])!;
    expect(long).toBe(`1 file not kept: ${'x'.repeat(79)}… (directory)`);
    // An emoji is two UTF-16 units: cut after 79 units, the 40th would lose its second half,
    // which the note showed as "\ud83d" (U+FFFD on the page).
    const emoji = summarizeSkipped([{ name: '😀'.repeat(60), reason: 'FIFO' }])!;
    expect(emoji).toBe(`1 file not kept: ${'😀'.repeat(39)}… (FIFO)`);
    expect(emoji).not.toMatch(/\p{Cs}/u);
  });
});

describe('summarizeFull', () => {
  const file = (name: string, size: number) => ({ name, bytes: Buffer.alloc(size) });

  it('names the kept files as large as one file may be, which a write past the limit left cut short', () => {
    expect(summarizeFull([file('a.csv', 10), file('b.bin', 99)], 100)).toBeNull();
    expect(summarizeFull([file('a.csv', 10), file('huge.bin', 100)], 100)).toBe('huge.bin has 100 bytes, the most one file may hold: what was written past that was refused ("File too large"), so it may be cut short');
    expect(summarizeFull([file('x', 100), file('y\u202e', 100)], 100)).toBe('x, y\\u202e have 100 bytes, the most one file may hold: what was written past that was refused ("File too large"), so they may be cut short');
    const many = Array.from({ length: 12 }, (_, i) => file(`f${i}`, 5));
    expect(summarizeFull(many, 5)).toMatch(/^f0, f1, .*, f9, and 2 more have 5 bytes/);
  });

  it('says nothing of empty files where no file may hold a byte', () => {
    expect(summarizeFull([file('empty', 0)], 0)).toBeNull();
  });
});
