// Owns collecting the files a finished cell left in its working directory and the folders
// under it, without following anything the cell could have planted there.

import fs from 'node:fs';
import { checkName, MAX_FOLDERS } from '../filestore/names';
import { shorten } from '../protocol/shorten';

export interface CollectLimits {
  /** Most files kept; later entries (by name) are skipped. */
  maxFiles: number;
  /** Largest file kept, in bytes; a larger one is skipped. */
  maxFileBytes: number;
  /** Most bytes kept in all; once the next file would pass it, it and the rest are skipped. */
  maxTotalBytes: number;
  /** Longest name kept, in UTF-8 bytes. */
  maxNameBytes: number;
}

export interface CollectedFile { name: string; bytes: Buffer }

/** A file not kept. `name` is for people: bytes that are not UTF-8 are shown as `\xNN`. */
export interface SkippedFile { name: string; reason: string }

export interface Collected {
  files: CollectedFile[];
  skipped: SkippedFile[];
  /** Entries after the examined ones in byte order: not kept, never read, only counted. */
  unexamined: number;
}

/**
 * How many entries past `maxFiles` the collector examines, the first ones in byte order: room
 * for that many links, directories and bad names ahead of the files. The others, however many
 * (a cell can leave millions of empty files), are counted and never looked at, so that the
 * collector's memory stays bounded.
 */
export const EXAMINED_PAST_MAX_FILES = 1000;

/** Directory entries read per batch; the device's other work runs between batches. */
const READ_BATCH = 1024;

/**
 * Folders never descended into, silently: a hidden one (`.cache`, `.config`, `.sage`, what
 * programs write in HOME, which is the working directory) or Python's `__pycache__` holds a
 * program's own state, not what a person made, as `ls` leaves them out.
 */
function isProgramState(name: string): boolean {
  return name.startsWith('.') || name === '__pycache__';
}

// O_DIRECTORY with O_NOFOLLOW: a folder swapped for a symlink (to the host's /etc, say) after
// lstat fails to open instead of being followed.
const OPEN_DIR_FLAGS = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

// O_NOFOLLOW: a symlink swapped in after lstat fails to open instead of being followed.
// O_NONBLOCK: a FIFO swapped in opens at once instead of waiting forever for a writer.
// O_NOCTTY: a terminal device swapped in cannot become our controlling terminal.
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

/**
 * Reads the regular files in `dir`, which in production is the cell's pinned working directory,
 * `/proc/self/fd/<n>`, and in the folders under it (their files named `folder/name`), up to
 * MAX_FOLDERS deep. Entries that are not plain, singly linked regular files with good names,
 * or that pass a limit, are skipped with a reason, never thrown for. Rejects only if `dir`
 * itself cannot be read. Each folder is listed in batches, so a huge one does not hold up the
 * device's other cells while it is read, and each is opened by its descriptor and read through
 * it, so nothing the cell swaps in meanwhile is followed.
 */
export async function collectFiles(dir: string, limits: CollectLimits): Promise<Collected> {
  // Most cells leave no file: one synchronous look says so, where the batched listing below
  // costs a few milliseconds of thread-pool round trips on the cell's way to its reply.
  if (isEmpty(dir)) return { files: [], skipped: [], unexamined: 0 };
  const walk: Walk = { limits, files: [], skipped: [], unexamined: 0, totalBytes: 0, stopReason: null, budget: limits.maxFiles + EXAMINED_PAST_MAX_FILES };
  await collectFolder(dir, '', 0, walk);
  return { files: walk.files, skipped: walk.skipped, unexamined: walk.unexamined };
}

/** What a collection has gathered so far, across its folders. */
interface Walk {
  limits: CollectLimits;
  files: CollectedFile[];
  skipped: SkippedFile[];
  unexamined: number;
  totalBytes: number;
  /** Set once a limit on the count or the bytes is reached: every later file is skipped with it. */
  stopReason: string | null;
  /** Entries that may still be examined, in all folders together: bounds the collector's memory. */
  budget: number;
}

/** Collects `dir`'s entries in byte order, its files named `at` + name, descending into its folders as they come. */
async function collectFolder(dir: string, at: string, depth: number, walk: Walk): Promise<void> {
  const { limits } = walk;
  // Byte order: the same directory always gives the same files when a limit cuts the list.
  const { names, rest } = await firstNames(dir, walk.budget);
  walk.budget -= names.length;
  walk.unexamined += rest;
  const prefix = Buffer.from(dir.endsWith('/') ? dir : `${dir}/`);

  for (const raw of names) {
    const check = checkName(raw, limits.maxNameBytes);
    if (!check.ok) {
      walk.skipped.push({ name: at + displayName(raw), reason: check.reason });
      continue;
    }
    const name = at + check.name;
    // The raw bytes, not the decoded name, so the path names exactly the entry that was listed.
    const path = Buffer.concat([prefix, raw]);
    let before: fs.BigIntStats;
    try {
      // The type comes from lstat, not the Dirent: d_type can be DT_UNKNOWN on some filesystems.
      before = fs.lstatSync(path, { bigint: true });
    } catch {
      walk.skipped.push({ name, reason: 'could not be read' });
      continue;
    }
    const folder = before.isDirectory() ? openFolder(path, before) : null;
    if (folder?.kind === 'folder') {
      try {
        if (isProgramState(check.name)) continue;
        if (depth >= MAX_FOLDERS) {
          walk.skipped.push({ name, reason: `a folder more than ${MAX_FOLDERS} deep` });
          continue;
        }
        await collectFolder(`/proc/self/fd/${folder.fd}`, `${name}/`, depth + 1, walk);
      } finally {
        fs.closeSync(folder.fd);
      }
      continue;
    }
    if (folder?.kind === 'skip') {
      walk.skipped.push({ name, reason: folder.reason });
      continue;
    }
    if (walk.stopReason === null && walk.files.length >= limits.maxFiles) {
      walk.stopReason = `over the limit of ${limits.maxFiles} files`;
    }
    if (walk.stopReason !== null) {
      walk.skipped.push({ name, reason: walk.stopReason });
      continue;
    }
    const result = readEntry(path, before, limits.maxFileBytes, limits.maxTotalBytes - walk.totalBytes);
    if (result.kind === 'skip') {
      walk.skipped.push({ name, reason: result.reason });
    } else if (result.kind === 'over-total') {
      walk.stopReason = `over the limit of ${limits.maxTotalBytes} bytes in all`;
      walk.skipped.push({ name, reason: walk.stopReason });
    } else {
      walk.files.push({ name, bytes: result.bytes });
      walk.totalBytes += result.bytes.length;
    }
  }
}

/**
 * `path`, which lstat found to be a folder (`before`), opened by its descriptor, if the same
 * folder was opened.
 */
function openFolder(path: Buffer, before: fs.BigIntStats): { kind: 'folder'; fd: number } | { kind: 'skip'; reason: string } {
  let fd: number;
  try {
    fd = fs.openSync(path, OPEN_DIR_FLAGS);
  } catch {
    return { kind: 'skip', reason: 'could not be read' };
  }
  const st = fs.fstatSync(fd, { bigint: true });
  if (!st.isDirectory() || st.dev !== before.dev || st.ino !== before.ino) {
    fs.closeSync(fd);
    return { kind: 'skip', reason: 'changed while being read' };
  }
  return { kind: 'folder', fd };
}

/** True if `dir` has no entry; reads at most one small batch of them. */
function isEmpty(dir: string): boolean {
  const handle = fs.opendirSync(dir, { bufferSize: 1 });
  try {
    return handle.readSync() === null;
  } finally {
    handle.closeSync();
  }
}

/**
 * The `count` first names of `dir` in byte order, sorted, and how many other entries it holds.
 * Memory for `count` names only, whatever the directory holds.
 */
async function firstNames(dir: string, count: number): Promise<{ names: Buffer[]; rest: number }> {
  const heap = new LargestOnTop();
  let rest = 0;
  // Names as raw bytes: a name that is not UTF-8 must still name exactly its entry.
  const handle = await fs.promises.opendir(dir, { encoding: 'buffer' as BufferEncoding, bufferSize: READ_BATCH });
  for await (const entry of handle) {
    const name = entry.name as unknown as Buffer;
    if (heap.size < count) {
      heap.push(name);
    } else {
      rest++;
      if (count > 0 && Buffer.compare(name, heap.top()) < 0) heap.replaceTop(name);
    }
  }
  return { names: heap.items.sort(Buffer.compare), rest };
}

/** A binary max-heap of names in byte order: the largest kept so far is at the top, to be pushed out. */
class LargestOnTop {
  readonly items: Buffer[] = [];

  get size(): number {
    return this.items.length;
  }

  top(): Buffer {
    return this.items[0];
  }

  push(name: Buffer): void {
    const a = this.items;
    a.push(name);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (Buffer.compare(a[parent], a[i]) >= 0) break;
      [a[parent], a[i]] = [a[i], a[parent]];
      i = parent;
    }
  }

  replaceTop(name: Buffer): void {
    const a = this.items;
    a[0] = name;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let largest = i;
      if (left < a.length && Buffer.compare(a[left], a[largest]) > 0) largest = left;
      if (right < a.length && Buffer.compare(a[right], a[largest]) > 0) largest = right;
      if (largest === i) break;
      [a[largest], a[i]] = [a[i], a[largest]];
      i = largest;
    }
  }
}

type EntryResult = { kind: 'file'; bytes: Buffer } | { kind: 'skip'; reason: string } | { kind: 'over-total' };

/** Reads `path`, which lstat described as `before`, if it is a plain file that is still the one lstat saw. */
function readEntry(path: Buffer, before: fs.BigIntStats, maxFileBytes: number, budget: number): EntryResult {
  if (!before.isFile()) return { kind: 'skip', reason: kindOf(before) };
  if (before.nlink !== 1n) return { kind: 'skip', reason: 'hard link' };

  let fd: number;
  try {
    fd = fs.openSync(path, OPEN_FLAGS);
  } catch {
    return { kind: 'skip', reason: 'could not be read' };
  }
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    // Whatever was opened must be the very file lstat saw: not a replacement, not a link.
    if (!st.isFile() || st.dev !== before.dev || st.ino !== before.ino) {
      return { kind: 'skip', reason: 'changed while being read' };
    }
    if (st.nlink !== 1n) return { kind: 'skip', reason: 'hard link' };
    const size = Number(st.size);
    if (size > maxFileBytes) return { kind: 'skip', reason: `larger than ${maxFileBytes} bytes` };
    if (size > budget) return { kind: 'over-total' };
    // Read to end of file, not to the size fstat gave: the size is only a hint for the buffer.
    const bytes = readAtMost(fd, maxFileBytes + 1, size);
    if (bytes.length > maxFileBytes) return { kind: 'skip', reason: `larger than ${maxFileBytes} bytes` };
    if (bytes.length > budget) return { kind: 'over-total' };
    return { kind: 'file', bytes };
  } catch {
    return { kind: 'skip', reason: 'could not be read' };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads from `fd` until end of file or `limit` bytes, whichever comes first. */
function readAtMost(fd: number, limit: number, sizeHint: number): Buffer {
  // One byte past the hint, so a file of exactly the hinted size is seen to end without a regrow.
  let buf = Buffer.allocUnsafe(Math.min(limit, sizeHint + 1));
  let used = 0;
  for (;;) {
    if (used === buf.length) {
      if (used >= limit) break;
      const bigger = Buffer.allocUnsafe(Math.min(limit, Math.max(buf.length * 2, 64 * 1024)));
      buf.copy(bigger, 0, 0, used);
      buf = bigger;
    }
    const n = fs.readSync(fd, buf, used, buf.length - used, null);
    if (n === 0) break;
    used += n;
  }
  return buf.subarray(0, used);
}

function kindOf(st: fs.BigIntStats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'FIFO';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  return 'not a regular file';
}

/** The name as UTF-8 if it is valid; otherwise printable ASCII kept and every other byte as `\xNN`. */
function displayName(raw: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    let out = '';
    for (const byte of raw) {
      out += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
    }
    return out;
  }
}

// Characters a cell could use to forge lines or reorder text in a note people read:
// controls (C0, DEL, C1) and the Unicode bidirectional overrides and isolates.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const LISTED_AT_MOST = 10;
const NAME_SHOWN_AT_MOST = 80;

/**
 * One sentence for a stderr note, such as
 * `2 files not kept: link (symlink), big.bin (larger than 10485760 bytes)`, or null if none.
 * `unexamined` entries (see Collected) count among the "more".
 */
export function summarizeSkipped(skipped: SkippedFile[], unexamined = 0): string | null {
  const count = skipped.length + unexamined;
  if (count === 0) return null;
  const head = `${count} ${count === 1 ? 'file' : 'files'} not kept`;
  if (skipped.length === 0) return head;
  return `${head}: ${listSome(skipped.slice(0, LISTED_AT_MOST).map(({ name, reason }) => `${shown(name)} (${reason})`), count)}`;
}

/** The first LISTED_AT_MOST of `items` joined, and how many more of `total` there are. */
function listSome(items: readonly string[], total = items.length): string {
  const listed = items.slice(0, LISTED_AT_MOST);
  const more = total - listed.length;
  return `${listed.join(', ')}${more > 0 ? `, and ${more} more` : ''}`;
}

/**
 * One sentence for a stderr note on the kept files that are as large as one file may be, or
 * null if none: a write past the limit was refused ("File too large", or the program killed by
 * SIGXFSZ), so such a file is most likely cut short, and the error alone did not say at what.
 */
export function summarizeFull(files: readonly CollectedFile[], maxFileBytes: number): string | null {
  if (maxFileBytes <= 0) return null;
  const full = files.filter((f) => f.bytes.length === maxFileBytes).map((f) => shown(f.name));
  if (full.length === 0) return null;
  const listed = listSome(full);
  const subject = full.length === 1 ? `${listed} has` : `${listed} have`;
  return `${subject} ${maxFileBytes} bytes, the most one file may hold: what was written past that was refused ("File too large"), so ${full.length === 1 ? 'it' : 'they'} may be cut short`;
}

function shown(name: string): string {
  const safe = name.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return shorten(safe, NAME_SHOWN_AT_MOST);
}
