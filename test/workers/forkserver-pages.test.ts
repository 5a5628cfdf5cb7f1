// The fork server's forker learns which of its pages a forked cell writes first, and which of its
// file pages it reads, from probes that run cells as cells run, and copies or maps them in each
// cell's process right after the fork (forkserver.py's give_pages() and start_forker(),
// cellstart.c's cellstart_learn() and cellstart_forker()). Checked on forkserver.py itself,
// under the system Python the workers run on, with the real forker in namespaces of the
// script's own, by counting page faults: a count, not a time.
import { describe, expect, it } from 'vitest';
import { FORKER_HELPERS, runWithForkServer } from '../helpers/forkserver-script';

// A 16 MiB buffer the "zygote" has written, and a 16 MiB file it mapped read-only, as the
// interpreter's code is. Two probes run the "cell" below, each with its code on stdin: one
// writes a byte in each page of the buffer's first quarter, the other in each of its second,
// and both read one in each page of the file's first half. A plain forked child and a cell of
// the forker given the learnt pages each report the faults their own writes and reads of the
// same pages took.
const SCRIPT = FORKER_HELPERS + String.raw`
import json, mmap, os, resource, sys, tempfile
PAGE = fs.PAGE_SIZE
data = bytearray(b'z' * (16 << 20))
half = range(0, 8 << 20, PAGE)
quarters = {b'first': range(0, 4 << 20, PAGE), b'second': range(4 << 20, 8 << 20, PAGE)}
# On tmpfs: the kernel maps a file's small pages 16 at a time around a fault, where ext4's
# large folios would map a megabyte at a time and leave too few faults to count.
with tempfile.TemporaryFile(dir='/dev/shm') as f:
    f.write(b'c' * (16 << 20))
    f.flush()
    code = mmap.mmap(f.fileno(), 16 << 20, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
# Where the file is mapped.
CODE_AT = next(int(line.split('-')[0], 16) for line in open('/proc/self/maps') if '/dev/shm/' in line)

def code_mappings():
    """The bytes of the file's address range on huge pages, and still mapped from the file."""
    huge = from_file = 0
    low = high = 0
    for line in open('/proc/self/smaps'):
        fields = line.split()
        if '-' in fields[0] and len(fields) >= 5:
            low, high = (int(x, 16) for x in fields[0].split('-'))
            inside = CODE_AT <= low < CODE_AT + (16 << 20)
            if inside and len(fields) >= 6:
                from_file += high - low
        elif fields[0] == 'AnonHugePages:' and CODE_AT <= low < CODE_AT + (16 << 20):
            huge += int(fields[1]) << 10
    return huge, from_file

def faults(step):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    step()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

def write():
    for i in half:
        data[i] = 2

def read():
    for i in half:
        code[i]

def report(populated):
    return json.dumps([populated, faults(write), faults(read), data.count(b'z') == len(data) - len(half)]).encode()

def learnt(runs, count):
    return sum(runs[i].length for i in range(count))

def cell_main(populated):
    # A probe's code comes on stdin, as a cell's does, and its output goes nowhere.
    probe = os.read(0, 100)
    if probe:
        assert populated and os.fstat(1).st_rdev == os.stat('/dev/null').st_rdev
        for i in quarters[probe]:
            data[i] = 1
        for i in half:
            code[i]
        return
    huge, from_file = code_mappings()
    pages = {'written': learnt(start.written, start.written_count), 'read': learnt(start.read, start.read_count),
             'runs': [(start.written[i].address, start.written[i].length) for i in range(start.written_count)],
             'huge': huge, 'fromFile': from_file}
    os.write(1, json.dumps([pages, json.loads(report(populated))]).encode())

result = {}
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(w, report(False))
    os._exit(0)
os.close(w)
result['plain'] = json.loads(os.read(r, 1000))
os.waitpid(pid, 0)
r, w = os.pipe()
helper = os.fork()
if helper == 0:
    try:
        in_own_namespaces()
        start = cell_start_here()
        fs.give_pages(start, ['first', 'second'])
        forker, exits, _ = fs.start_forker(start, cell_main)
        os.write(w, fork_cell(forker, exits)[1])
    finally:
        os._exit(0)
os.close(w)
out = b''
while chunk := os.read(r, 1 << 20):
    out += chunk
pages, result['populated'] = json.loads(out)
result.update(pages)
os.waitpid(helper, 0)
print(json.dumps(result))
`;

type Report = [populated: boolean, writeFaults: number, readFaults: number, intact: boolean];

describe('the fork server\'s copy of the pages a cell writes first', () => {
  const out = runWithForkServer(SCRIPT);
  const r = JSON.parse(out) as {
    written: number; read: number; runs: [number, number][]; huge: number; fromFile: number; plain: Report; populated: Report;
  };
  const pages = (8 << 20) / 4096;

  it('learns just the pages the probes wrote, both probes\' in one list, and a cell that copied them takes no fault writing them', () => {
    // The written half, and little else (the interpreter's own writes), not the untouched half.
    expect(r.written).toBeGreaterThanOrEqual(8 << 20);
    expect(r.written).toBeLessThan(12 << 20);
    // One list in address order, the runs the two probes shared or that touch made one.
    for (let i = 1; i < r.runs.length; i++) expect(r.runs[i][0]).toBeGreaterThan(r.runs[i - 1][0] + r.runs[i - 1][1]);
    // Without the copy each write is a copy-on-write fault; with it, next to none.
    expect(r.plain[0]).toBe(false);
    expect(r.plain[1]).toBeGreaterThanOrEqual(pages);
    expect(r.populated[0]).toBe(true);
    expect(r.populated[1]).toBeLessThan(pages / 10);
    // Copying changes nothing in the pages' contents.
    expect(r.plain[3]).toBe(true);
    expect(r.populated[3]).toBe(true);
  });

  it('learns the file pages the probes read, and a cell that mapped them takes next to no fault reading them', () => {
    // The file's read half, and the interpreter's own code it ran, not the untouched half:
    // mapped ahead, or on huge pages.
    expect(r.read + r.huge).toBeGreaterThanOrEqual(8 << 20);
    expect(r.read).toBeLessThan(16 << 20);
    // A forked child has no mapping of a file page until it touches it (a fault maps 16 small
    // pages around it: some 130 faults for 2,048 pages; a tmpfs with huge pages would map 2 MiB
    // at a time, 4 faults); mapped ahead, next to none.
    expect(r.plain[2]).toBeGreaterThanOrEqual(4);
    expect(r.populated[2]).toBeLessThan(Math.min(r.plain[2], pages / 100));
  });

  it('copies the 2 MiB chunks of a file mapping the probes read onto huge pages, and leaves the rest mapped from the file', () => {
    // The read half holds 3 or 4 whole aligned chunks (4 when the mapping is aligned), and a
    // chunk across its end was read enough too when the mapping is not.
    expect(r.huge).toBeGreaterThanOrEqual(6 << 20);
    expect(r.huge).toBeLessThanOrEqual(10 << 20);
    // The unread half is still the file's, as is what lies outside whole chunks.
    expect(r.fromFile).toBeGreaterThanOrEqual(6 << 20);
    expect(r.huge + r.fromFile).toBe(16 << 20);
  });
});
