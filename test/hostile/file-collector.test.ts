// Attack: trick the file collector, which reads the cell's working directory from the host
// after the cell ended, into storing (and serving to anyone) a host file, or into hanging.
// The cell plants: symlinks with honest-looking names to the database (by its host path,
// through /proc/<device pid>/root, and by a relative path full of `../`), to /etc/passwd and
// to / ; a symlinked directory, and a real one with a file and a link to the database inside; a
// hard link pair; a FIFO; a
// Unix socket; device nodes (mknod); and names that are not single path components or that
// forge text: `../` (which only makes a file one level up), `..\\`, a percent-encoded `../`,
// a newline, a 10,000-character name (the kernel allows 255 bytes), and quotes, semicolons
// and apostrophes for the download header.
// Must happen: the cell ends normally (no hang on the FIFO); exactly its plain regular files
// with acceptable names are kept, each with the very bytes the cell wrote; every trap is
// named on stderr as not kept with its reason and answers 404 at its URL; no kept file holds
// a byte of the database or of a host file; a kept file's download header is well formed; the
// next cell runs; the server stays healthy.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, startCellbox, stderr, stdout, type Cellbox } from '../helpers/cellbox';
import { expectRecovered } from '../helpers/hostile';

let box: Cellbox;

beforeAll(async () => {
  box = await startCellbox({ CELLBOX_WALL_SECONDS: '20' });
});

afterAll(async () => {
  await box?.stop();
});

/** Files the cell writes honestly, name → content: every one must be kept, byte for byte. */
const HONEST: Record<string, string> = {
  'honest.txt': 'an honest file\n',
  '%2e%2e%2fcellbox.sqlite': 'only a name that looks like a path once decoded\n',
  'quotes "and"; filename=evil.html': 'a name made to break the download header\n',
  "it's (1).txt": 'apostrophes and brackets\n',
  [`${'n'.repeat(251)}.txt`]: 'the longest name the kernel allows\n',
};

/**
 * Traps, by the name they are planted under, and the reason the collector must give. Two
 * cells plant them, links and the rest, so that each note lists all of its cell's (a note
 * names ten and counts the others).
 */
const LINK_TRAPS: Record<string, string> = {
  'database.sqlite': 'symlink',
  'through-proc.sqlite': 'symlink',
  'relative.sqlite': 'symlink',
  'passwd.txt': 'symlink',
  'root-dir': 'symlink',
  'data-dir': 'symlink',
};
const OTHER_TRAPS: Record<string, string> = {
  // Inside a folder as at the top: the folder's honest file is kept, its link is not followed.
  'subdir/database.sqlite': 'symlink',
  'hard-a.txt': 'hard link',
  'hard-b.txt': 'hard link',
  fifo: 'FIFO',
  socket: 'socket',
  'line\nbreak.txt': 'control character in name',
  'back\\slash.txt': 'name contains "\\"',
};

function databasePaths(): Record<string, string> {
  const db = path.join(box.dataDir, 'cellbox.sqlite');
  return {
    'database.sqlite': db,
    'through-proc.sqlite': `/proc/${box.device.pid}/root${db}`,
    'relative.sqlite': `${'../'.repeat(12)}${db.slice(1)}`,
    'passwd.txt': '/etc/passwd',
    'root-dir': '/',
    'data-dir': box.dataDir,
  };
}

const PYTHON_LINKS = (links: Record<string, string>) => `
import os
for name, content in ${JSON.stringify(HONEST)}.items():
    with open(name, "w") as f:
        f.write(content)
for name, target in ${JSON.stringify(links)}.items():
    os.symlink(target, name)
`;

const PYTHON_OTHERS = (db: string) => `
import errno, os, socket, stat
os.mkdir("subdir")
open("subdir/inside.txt", "w").write("inside a directory\\n")
os.symlink(${JSON.stringify(db)}, "subdir/database.sqlite")
open("hard-a.txt", "w").write("linked twice\\n")
os.link("hard-a.txt", "hard-b.txt")
os.mkfifo("fifo")
socket.socket(socket.AF_UNIX).bind("socket")
open("line\\nbreak.txt", "w").write("newline\\n")
open("back\\\\slash.txt", "w").write("backslash\\n")
def attempt(f):
    try:
        f()
        return "made"
    except OSError as e:
        return errno.errorcode[e.errno]
print("dotdot", attempt(lambda: open("../escaped.txt", "w")))
print("long", attempt(lambda: open("x" * 10_000, "w")))
print("chardev", attempt(lambda: os.mknod("null-device", 0o666 | stat.S_IFCHR, os.makedev(1, 3))))
print("blockdev", attempt(lambda: os.mknod("disk-device", 0o666 | stat.S_IFBLK, os.makedev(254, 0))))
print("hardlink out", attempt(lambda: os.link("/usr/bin/env", "env-link")))
`;

const BASH_LINKS = (links: Record<string, string>) => `
${Object.entries(HONEST).map(([name, content]) => `printf '%s' ${shellQuote(content)} > ${shellQuote(name)}`).join('\n')}
${Object.entries(links).map(([name, target]) => `ln -s ${shellQuote(target)} ${shellQuote(name)}`).join('\n')}
`;

const BASH_OTHERS = (db: string) => `
mkdir subdir && echo inside > subdir/inside.txt && ln -s ${shellQuote(db)} subdir/database.sqlite
echo linked twice > hard-a.txt && ln hard-a.txt hard-b.txt
mkfifo fifo
python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("socket")'
echo newline > $'line\\nbreak.txt'
echo backslash > 'back\\slash.txt'
(echo x > ../escaped.txt) 2>/dev/null && echo "dotdot made" || echo "dotdot refused"
(echo x > "$(printf 'x%.0s' $(seq 10000))") 2>/dev/null && echo "long made" || echo "long refused"
mknod null-device c 1 3 2>/dev/null && echo "chardev made" || echo "chardev refused"
mknod disk-device b 254 0 2>/dev/null && echo "blockdev made" || echo "blockdev refused"
ln /usr/bin/env env-link 2>/dev/null && echo "hardlink out made" || echo "hardlink out refused"
`;

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

const DB_MAGIC = 'SQLite format 3';

/** Runs one planting cell; checks it ended on its own and kept exactly `honest`, byte for byte. */
async function plant(code: string, language: 'python' | 'bash', honest: Record<string, string>, traps: Record<string, string>): Promise<void> {
  const r = await post(`${box.url}/api/v1/execute`, { code, language });
  expect(r.status).toBe(200);
  const { id, messages: ms } = r.body;
  // Ended on its own: no hang on the FIFO or the socket, no error.
  expect(r.body.status, stderr(ms)).toBe('ok');
  // Nothing planted outside the working directory, no impossible name, no device node.
  for (const line of stdout(ms).split('\n').filter(Boolean)) expect(line).toMatch(/ (refused|EACCES|EROFS|ENAMETOOLONG|EPERM|EXDEV|ENOENT)$/);

  const cell = (await get(`${box.url}/api/v1/cells/${id}`)).body;
  expect(cell.files.map((f: { name: string }) => f.name).sort()).toEqual(Object.keys(honest).sort());
  for (const f of cell.files as { name: string; url: string }[]) {
    const res = await fetch(`${box.url}${f.url}`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toBe(honest[f.name]);
    expect(body).not.toContain(DB_MAGIC);
    // RFC 8187: the file name in the header is attr-chars and percent escapes only.
    expect(res.headers.get('content-disposition')).toMatch(/^inline; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]+$/);
  }

  // Every trap is named as not kept, with its reason, and none is served.
  const note = stderr(ms);
  const shown = (name: string) => name.replace('\n', '\\u000a');
  expect(note).toMatch(new RegExp(`^${Object.keys(traps).length} files not kept: `));
  for (const [name, reason] of Object.entries(traps)) {
    expect(note, name).toContain(`${shown(name)} (${reason})`);
    const res = await fetch(`${box.url}/files/${id}/${name.split('/').map(encodeURIComponent).join('/')}`);
    expect([400, 404], name).toContain(res.status);
    expect(await res.text()).not.toContain(DB_MAGIC);
  }
}

async function attack(language: 'python' | 'bash'): Promise<void> {
  const links = databasePaths();
  // The links' targets exist on the host: a collector that followed one would find it.
  for (const target of Object.values(links)) expect(fs.existsSync(target), target).toBe(true);
  await Promise.all([
    plant(language === 'python' ? PYTHON_LINKS(links) : BASH_LINKS(links), language, HONEST, LINK_TRAPS),
    plant(language === 'python' ? PYTHON_OTHERS(links['database.sqlite']) : BASH_OTHERS(links['database.sqlite']), language,
      { 'subdir/inside.txt': language === 'python' ? 'inside a directory\n' : 'inside\n' }, OTHER_TRAPS),
  ]);
  await expectRecovered(box, [language]);
}

describe('tricking the file collector', () => {
  it('Python: links, FIFOs, sockets, device nodes and bad names are not kept, honest files are', () => attack('python'));
  it('Bash: links, FIFOs, sockets, device nodes and bad names are not kept, honest files are', () => attack('bash'));
});
