// The fork server learns which of its pages a forked cell writes first and copies them in each
// cell before its code comes (forkserver.py's learn_pages() and populate_pages()). Checked on
// forkserver.py itself, under the system Python the workers run on, by counting page faults:
// a count, not a time.
import { describe, expect, it } from 'vitest';
import { runWithForkServer } from '../helpers/forkserver-script';

// A 16 MiB buffer the "zygote" has written; the probe (a stand-in for a cell's first steps)
// writes one byte in each page of its first half. Each child reports what learn_pages() found
// and the faults its own writes of the same pages took, with and without populate_pages().
const SCRIPT = String.raw`
import json, os, resource, sys
PAGE = fs.PAGE_SIZE
data = bytearray(b'z' * (16 << 20))
half = range(0, 8 << 20, PAGE)

def probe():
    for i in half:
        data[i] = 1

runs = fs.learn_pages(probe)
learned = [(r.address, r.length) for r in runs]
result = {'bytes': sum(n for _, n in learned)}
for populate in (False, True):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        populated = fs.populate_pages(runs) if populate else False
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for i in half:
            data[i] = 2
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
        intact = data.count(b'z') == len(data) - len(half)
        os.write(w, json.dumps([populated, faults, intact]).encode())
        os._exit(0)
    os.close(w)
    result['populated' if populate else 'plain'] = json.loads(os.read(r, 1000))
    os.waitpid(pid, 0)
print(json.dumps(result))
`;

describe('the fork server\'s copy of the pages a cell writes first', () => {
  it('learns just the pages the rehearsal wrote, and a cell that copied them takes no fault writing them', () => {
    const out = runWithForkServer(SCRIPT);
    const r = JSON.parse(out) as { bytes: number; plain: [boolean, number, boolean]; populated: [boolean, number, boolean] };
    const pages = (8 << 20) / 4096;
    // The written half, and little else (the interpreter's own writes), not the untouched half.
    expect(r.bytes).toBeGreaterThanOrEqual(8 << 20);
    expect(r.bytes).toBeLessThan(12 << 20);
    // Without the copy each write is a copy-on-write fault; with it, next to none.
    expect(r.plain[0]).toBe(false);
    expect(r.plain[1]).toBeGreaterThanOrEqual(pages);
    expect(r.populated[0]).toBe(true);
    expect(r.populated[1]).toBeLessThan(pages / 10);
    // Copying changes nothing in the pages' contents.
    expect(r.plain[2]).toBe(true);
    expect(r.populated[2]).toBe(true);
  });
});
