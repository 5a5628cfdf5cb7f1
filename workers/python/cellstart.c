// The start of each forked cell's process, in C because it is on the path of every cell: the
// forker's loop that forks it (at the end of this file), then its first steps (forkserver.py's
// become_cell()): copying the zygote's pages the cell will write first (and mapping those it
// will read), putting its pipes in place, joining the namespaces the maker made, a user
// namespace of its own, the limits, the seccomp filter, and dropping every capability.
//
// These steps were Python, run in a process that had just forked from the zygote: each step ran
// interpreter code (ctypes, the os and resource modules), and every page of the zygote it wrote
// was a copy-on-write fault, some 20 us on the VMs this runs on. Here they are one foreign
// call, whose own writes are its stack and a few of the C library's pages.
//
// A shared library loaded by the zygote with ctypes before any fork, so that no cell loads it;
// its steps are called once in each cell's process, which has one thread. Its calls and
// structures are in cellstart.h; the JavaScript forker (workers/node/forker.c) compiles it in.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cellstart.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14
#define MADV_POPULATE_WRITE 23
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

const char *cellstart_step = "";

// Copies the given runs of the zygote's pages into this process (MADV_POPULATE_WRITE), or maps
// them (MADV_POPULATE_READ): one call per run, no fault. A run that fails (one the zygote has
// since unmapped) costs this cell only its faults. With `touch`, then writes one byte of each
// page back as it was (the cell has one thread yet, so nothing else writes it meanwhile): on the
// VMs this runs on, a process's first write to a page copied this way still cost some 4 us, and
// a plot's code took twice as long (12 ms against 25 for `plt.plot` inside a cell). Called by
// the forker in each cell's process (`start`'s runs).
static void populate(const struct cellstart_run *runs, size_t count, int advice, int touch) {
  long page = sysconf(_SC_PAGESIZE);
  for (size_t i = 0; i < count; i++) {
    if (madvise(runs[i].address, runs[i].length, advice) != 0 || !touch) continue;
    for (size_t offset = 0; offset < runs[i].length; offset += (size_t)page) {
      volatile char *byte = (volatile char *)runs[i].address + offset;
      *byte = *byte;
    }
  }
}

static int close_from(unsigned low, unsigned high) {
  if (low > high) return 0;
  if (syscall(SYS_close_range, low, high, 0U) == 0) return 0;
  if (errno != ENOSYS) return -1;
  // Before Linux 5.9: one by one, up to the descriptor limit.
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = low; fd <= (long)high && fd < max; fd++) close((int)fd);
  return 0;
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t length = strlen(text);
  ssize_t n = write(fd, text, length);
  int saved = errno;
  close(fd);
  errno = saved;
  if (n == (ssize_t)length) return 0;
  if (n >= 0) errno = EIO;
  return -1;
}

// --- the pages a cell writes first, learnt by a probe -------------------------------------------
//
// A forked cell's first steps write to pages it shares with the forker (Python's reference counts
// live in every object; V8's heap, Node's state): each such write is a copy-on-write fault, some
// 20 us on these VMs. It reads pages too that the fork gave it no mapping of: the kernel copies
// no page table entries of a file mapping nothing wrote (the interpreter's code and constants),
// and each page of those a cell touches is a fault of its own. The forker learns once which of
// its pages a probe writes and reads, a child of its own that runs a small cell as every cell
// runs, from its fork to its exit; populate() then copies and maps just those in each cell's
// process right after its fork: one madvise per run, no fault, about a third of the cost.
//
// The probe takes the cell's own path, back out of the forker's loop into the runtime and
// through the cell's steps: a probe that ran a copy of those steps missed the pages written on
// the way back (some 16 of a light Python cell's before its code, 2 of a console.log's 3 faults
// in Node).

#define PAGEMAP_PRESENT (1ULL << 63)  // /proc/<pid>/pagemap, Documentation/admin-guide/mm/pagemap.rst
#define PAGEMAP_FILE_OR_SHARED (1ULL << 61)
#define PAGEMAP_EXCLUSIVE (1ULL << 56)
#define PROBE_FDS_FROM 10  // a probe's report pipe, and its own pipes while it sets 0-3

// Python's own steps around a fork (the stable C API), as os.fork() takes them: the at-fork
// hooks (os.register_at_fork: the worker's emit lock, logging's locks, the import lock), and in
// the child the interpreter's threading state and the rest of its after-fork work. The
// interpreter that loaded this library provides them, and the forker runs holding the GIL; in
// another runtime's forker (workers/node/forker.c) they are absent, weak symbols left null.
// The forker takes the before-fork step once, as it enters its loop, and never the parent's
// after-fork step: it has one thread and runs no Python again, so the locks the hooks take stay
// taken for nobody, and each child finds the interpreter as a child of os.fork() does. Taken
// around each fork, those steps wrote some 20-50 of the forker's pages that its newest cell
// still shared, each a copy-on-write fault: 0.6 ms of the light forker's CPU a cell, 1.4 of
// the full one's.
extern void PyOS_BeforeFork(void) __attribute__((weak));
extern void PyOS_AfterFork_Child(void) __attribute__((weak));

static int add_span(struct cellstart_spans *list, uintptr_t low, uintptr_t high) {
  if (list->count == list->capacity) {
    size_t capacity = list->capacity ? list->capacity * 2 : 64;
    struct cellstart_span *items = realloc(list->items, capacity * sizeof *items);
    if (!items) return -1;
    list->items = items;
    list->capacity = capacity;
  }
  list->items[list->count++] = (struct cellstart_span){low, high};
  return 0;
}

// One line of /proc/<pid>/maps: its span, its permissions ("rw-p") and its path, "" for none.
struct mapping {
  uintptr_t low, high;
  char perms[8];
  const char *path;
};

// Reads the next line of `maps` into `line` and `m` (whose path points into `line`, cut at
// `size` for a longer one); false at the end.
static bool next_mapping(FILE *maps, char *line, size_t size, struct mapping *m) {
  while (fgets(line, (int)size, maps)) {
    char *newline = strchr(line, '\n');
    if (newline) {
      *newline = '\0';
    } else {  // a longer line's rest
      int c;
      while ((c = fgetc(maps)) != EOF && c != '\n') {
      }
    }
    unsigned long low, high;
    int path_at = 0;
    m->perms[0] = '\0';
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &low, &high, m->perms, &path_at) < 3) continue;
    m->low = low;
    m->high = high;
    m->path = path_at ? line + path_at : "";
    return true;
  }
  return false;
}

// This process's mappings, in address order, each into the lists given (any may be NULL): all
// of them; its private writable ones (what copy-on-write applies to); its private read-only
// mappings of files (code and constants, which a fork leaves unmapped in the child).
int cellstart_mappings(struct cellstart_spans *all, struct cellstart_spans *writable,
                       struct cellstart_spans *file_read) {
  FILE *maps = fopen("/proc/self/maps", "re");
  if (!maps) return -1;
  char line[4096];
  struct mapping m;
  int result = 0;
  while (result == 0 && next_mapping(maps, line, sizeof line, &m)) {
    if (all) result = add_span(all, m.low, m.high);
    if (result == 0 && writable && !strcmp(m.perms, "rw-p"))
      result = add_span(writable, m.low, m.high);
    else if (result == 0 && file_read && (!strcmp(m.perms, "r-xp") || !strcmp(m.perms, "r--p")) && m.path[0] == '/')
      result = add_span(file_read, m.low, m.high);
  }
  fclose(maps);
  return result;
}

// Runs of pages in `mappings` whose pagemap entry passes the test (written: present, anonymous,
// this process's alone, which in a child of the forker means written since the fork; read:
// present), appended to `runs` in address order.
static int pages(int pagemap, const struct cellstart_spans *mappings, bool written, struct cellstart_spans *runs) {
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uint64_t entries[512];
  for (size_t m = 0; m < mappings->count; m++) {
    uintptr_t run = 0;
    for (uintptr_t at = mappings->items[m].low; at < mappings->items[m].high;) {
      size_t n = (mappings->items[m].high - at) / page;
      if (n > 512) n = 512;
      if (pread(pagemap, entries, n * 8, (off_t)(at / page * 8)) != (ssize_t)(n * 8)) return -1;
      for (size_t i = 0; i < n; i++, at += page) {
        uint64_t e = entries[i];
        bool taken = written ? (e & PAGEMAP_PRESENT) && (e & PAGEMAP_EXCLUSIVE) && !(e & PAGEMAP_FILE_OR_SHARED)
                             : (e & PAGEMAP_PRESENT) != 0;
        if (taken && !run) run = at;
        if (!taken && run) {
          if (add_span(runs, run, at) != 0) return -1;
          run = 0;
        }
      }
    }
    if (run && add_span(runs, run, mappings->items[m].high) != 0) return -1;
  }
  return 0;
}

int cellstart_write_all(int fd, const void *data, size_t length) {
  const char *at = data;
  while (length) {
    ssize_t n = write(fd, at, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    at += n;
    length -= (size_t)n;
  }
  return 0;
}

static size_t read_all(int fd, void *data, size_t length) {
  char *at = data;
  size_t got = 0;
  while (got < length) {
    ssize_t n = read(fd, at + got, length - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
  }
  return got;
}

// In a probe: where it reports (-1 elsewhere), and the forker's mappings as it had them at the
// fork, before the probe made its own.
static int probe_out = -1;
static struct cellstart_spans probe_writable, probe_file_read;

int cellstart_probing(void) { return probe_out >= 0; }

// In a probe, as it leaves: the runs of the forker's pages it wrote and read, on `probe_out`:
// their counts, then each run as struct cellstart_run.
static _Noreturn void report_pages(void) {
  struct cellstart_spans written = {0}, read = {0};
  int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pagemap < 0 || pages(pagemap, &probe_writable, true, &written) != 0 ||
      pages(pagemap, &probe_file_read, false, &read) != 0)
    _exit(1);
  uint64_t counts[2] = {written.count, read.count};
  if (cellstart_write_all(probe_out, counts, sizeof counts) != 0) _exit(1);
  for (struct cellstart_spans *list = &written; list; list = list == &written ? &read : NULL)
    for (size_t i = 0; i < list->count; i++) {
      struct cellstart_run r = {(void *)list->items[i].low, list->items[i].high - list->items[i].low};
      if (cellstart_write_all(probe_out, &r, sizeof r) != 0) _exit(1);
    }
  _exit(0);
}

// The end of a cell's process, once its pipes are closed: in a probe, its report first.
_Noreturn void cellstart_leave(int code) {
  if (probe_out >= 0) report_pages();
  _exit(code & 0xff);
}

// A descriptor moved to PROBE_FDS_FROM or above, close-on-exec: out of the way of 0-3.
static int above_cell_pipes(int fd) {
  if (fd < 0) return -1;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, PROBE_FDS_FROM);
  close(fd);
  return moved;
}

// In a probe: its code on fd 0 (a pipe holding all of it), /dev/null for 1-3, as a cell has
// its pipes there.
static int probe_fds(const struct cellstart_code *probe) {
  int ends[2];
  if (probe->length > 65536 || pipe2(ends, O_CLOEXEC) != 0) return -1;
  int in = above_cell_pipes(ends[0]), feed = above_cell_pipes(ends[1]);
  int null = above_cell_pipes(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (in < 0 || feed < 0 || null < 0 || cellstart_write_all(feed, probe->text, probe->length) != 0) return -1;
  close(feed);
  if (dup2(in, 0) < 0) return -1;
  close(in);
  for (int fd = 1; fd < CELL_PIPES; fd++)
    if (dup2(null, fd) < 0) return -1;
  close(null);
  return 0;
}

// The union of two lists of runs, each in address order, as one in address order, runs that
// overlap or touch made one; NULL when out of memory.
static struct cellstart_run *merge(const struct cellstart_run *a, size_t a_count, const struct cellstart_run *b,
                                   size_t b_count, size_t *count) {
  struct cellstart_run *out = malloc((a_count + b_count + 1) * sizeof *out);
  if (!out) return NULL;
  size_t n = 0;
  for (size_t i = 0, j = 0; i < a_count || j < b_count;) {
    const struct cellstart_run *r =
        j == b_count || (i < a_count && (uintptr_t)a[i].address <= (uintptr_t)b[j].address) ? &a[i++] : &b[j++];
    uintptr_t low = (uintptr_t)r->address, high = low + r->length;
    uintptr_t last = n ? (uintptr_t)out[n - 1].address + out[n - 1].length : 0;
    if (n && low <= last) {
      if (high > last) out[n - 1].length = high - (uintptr_t)out[n - 1].address;
    } else {
      out[n++] = *r;
    }
  }
  *count = n;
  return out;
}

// Adds `runs` to the list at `list` (this file's own, or NULL).
static int add_runs(const struct cellstart_run **list, size_t *count, const struct cellstart_run *runs, size_t n) {
  size_t merged_count;
  struct cellstart_run *merged = merge(*list, *count, runs, n, &merged_count);
  if (!merged) return -1;
  free((void *)*list);
  *list = merged;
  *count = merged_count;
  return 0;
}

// Forks a probe that runs the cell `probe` and adds the pages it wrote and read to `start`'s
// (which stay as they were if it fails: the cells then fault those pages in as they go).
// Returns 1 in the probe, forked as a cell is (Python's after-fork work done) with its code on
// fd 0 and /dev/null for 1-3, whose runtime then takes a cell's path and leaves through
// cellstart_leave(); 0 in the forker.
int cellstart_learn(struct cellstart *start, const struct cellstart_code *probe) {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) return 0;
  int from = above_cell_pipes(ends[0]), to = above_cell_pipes(ends[1]);
  if (from < 0 || to < 0) {
    close(from);
    close(to);
    return 0;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(from);
    if (cellstart_mappings(NULL, &probe_writable, &probe_file_read) != 0 || probe_fds(probe) != 0) _exit(1);
    probe_out = to;
    if (PyOS_AfterFork_Child) PyOS_AfterFork_Child();
    return 1;
  }
  close(to);
  uint64_t counts[2];
  struct cellstart_run *runs = NULL;
  bool whole = false;
  if (pid > 0 && read_all(from, counts, sizeof counts) == sizeof counts && counts[0] + counts[1] < (1u << 20) &&
      (runs = malloc((counts[0] + counts[1] + 1) * sizeof *runs))) {
    size_t bytes = (counts[0] + counts[1]) * sizeof *runs;
    whole = read_all(from, runs, bytes) == bytes;
  }
  close(from);
  int status = -1;
  if (pid > 0) waitpid(pid, &status, 0);
  if (!whole || status != 0 || add_runs(&start->written, &start->written_count, runs, counts[0]) != 0 ||
      add_runs(&start->read, &start->read_count, runs + counts[0], counts[1]) != 0) {
    char message[160];
    int n = snprintf(message, sizeof message, "cellstart: a probe cell did not tell its pages (wait status %d)\n", status);
    if (n > 0 && write(2, message, (size_t)n) < 0) {
      // nobody to tell
    }
  }
  free(runs);
  return 0;
}

// --- the code cells read, on huge pages -----------------------------------------------------------
//
// On the VMs this runs on, the first touch of each 4 KiB page in a new process is a trip to the
// hypervisor, whether the page was mapped ahead or not: a forked child read its parent's small
// anonymous pages at ~3.9 us a page and file pages at ~1.4 (mapped 16 at a time), where the
// pages of a 2 MiB huge page cost nothing measurable (1,024 pages in 11 us). A light Python cell
// reads some 1,250 pages of code and constants, 860 of them the interpreter's; a JavaScript
// cell some 3,000 of Node's. So once the probes have run, the forker copies each 2 MiB-aligned
// chunk of its read-only file mappings that they read at least an eighth of onto a huge page
// of anonymous memory, in place: a fork copies its page table entry whole, and no cell faults
// or maps those pages. The rest stays file mappings: as small anonymous pages they would cost
// more than mapped from the page cache.

#define HUGE_PAGE (2UL << 20)
#define HUGE_READ_PAGES 64  // of a chunk's 512, the probes' reads that earn it a huge page
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25  // Linux 6.1
#endif

// Copies [from, from + length) (2 MiB-aligned, read-only, unchanging) onto huge pages mapped in
// its place with `protection`. Returns 0, or -1 where it changed nothing (no huge page to be had:
// as small anonymous pages the chunk would cost the cells more than as it is).
static int onto_huge_pages(uintptr_t from, size_t length, int protection) {
  char *mapped = mmap(NULL, length + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) return -1;
  char *copy = (char *)(((uintptr_t)mapped + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
  if (copy > mapped) munmap(mapped, (size_t)(copy - mapped));
  munmap(copy + length, (size_t)(mapped + HUGE_PAGE - copy));
  madvise(copy, length, MADV_HUGEPAGE);
  memcpy(copy, (const void *)from, length);
  if (madvise(copy, length, MADV_COLLAPSE) != 0 || mprotect(copy, length, protection) != 0 ||
      mremap(copy, length, length, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)from) == MAP_FAILED) {
    munmap(copy, length);
    return -1;
  }
  return 0;
}

// How many of the pages in [low, high) the learned runs `read` (in address order) hold.
static size_t pages_read(const struct cellstart *start, uintptr_t low, uintptr_t high) {
  size_t bytes = 0;
  for (size_t i = 0; i < start->read_count; i++) {
    uintptr_t a = (uintptr_t)start->read[i].address, b = a + start->read[i].length;
    if (b <= low) continue;
    if (a >= high) break;
    bytes += (b < high ? b : high) - (a > low ? a : low);
  }
  return bytes / (size_t)sysconf(_SC_PAGESIZE);
}

// The learned reads less [low, high), which no cell needs to map any more. The runs are
// disjoint, so at most one is cut in two: one more than there were is room enough.
static void forget_reads(struct cellstart *start, uintptr_t low, uintptr_t high) {
  struct cellstart_run *kept = malloc((start->read_count + 1) * sizeof *kept);
  if (!kept) return;  // mapping those pages ahead again is harmless
  size_t n = 0;
  for (size_t i = 0; i < start->read_count; i++) {
    uintptr_t a = (uintptr_t)start->read[i].address, b = a + start->read[i].length;
    if (b <= low || a >= high) {
      kept[n++] = start->read[i];
      continue;
    }
    if (a < low) kept[n++] = (struct cellstart_run){(void *)a, low - a};
    if (b > high) kept[n++] = (struct cellstart_run){(void *)high, b - high};
  }
  free((void *)start->read);
  start->read = kept;
  start->read_count = n;
}

// In the forker, once the probes have run: the chunks of its read-only file mappings they read
// enough of, onto huge pages. A chunk lies within one file's adjacent mappings; it is made
// executable where it holds some of their code.
void cellstart_huge_reads(struct cellstart *start) {
  FILE *maps = fopen("/proc/self/maps", "re");
  if (!maps) return;
  struct chunk {
    uintptr_t low;
    int protection;
  } *chosen = NULL;
  size_t count = 0, capacity = 0;
  char line[4096], path[4096] = "";
  struct mapping m;
  uintptr_t span_low = 0, span_high = 0, code_low = 0, code_high = 0;  // the span's code: [code_low, code_high)
  for (bool more = true; more;) {
    more = next_mapping(maps, line, sizeof line, &m);
    bool file = more && m.path[0] == '/' && m.perms[1] != 'w' && m.perms[3] == 'p';
    bool code = file && m.perms[2] == 'x';
    if (file && m.low == span_high && !strcmp(m.path, path)) {
      span_high = m.high;
      if (code && !code_high) code_low = m.low;
      if (code) code_high = m.high;
      continue;
    }
    // The span before has ended: its chunks that were read enough.
    for (uintptr_t c = (span_low + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1); span_high && c + HUGE_PAGE <= span_high; c += HUGE_PAGE) {
      if (pages_read(start, c, c + HUGE_PAGE) < HUGE_READ_PAGES) continue;
      if (count == capacity) {
        capacity = capacity ? capacity * 2 : 16;
        struct chunk *grown = realloc(chosen, capacity * sizeof *grown);
        if (!grown) break;
        chosen = grown;
      }
      bool holds_code = code_low < c + HUGE_PAGE && c < code_high;
      chosen[count++] = (struct chunk){c, PROT_READ | (holds_code ? PROT_EXEC : 0)};
    }
    span_low = file ? m.low : 0;
    span_high = file ? m.high : 0;
    code_low = code ? m.low : 0;
    code_high = code ? m.high : 0;
    if (file) snprintf(path, sizeof path, "%s", m.path);
  }
  fclose(maps);
  // Remapped only now, /proc/self/maps read to its end.
  for (size_t i = 0; i < count; i++)
    if (onto_huge_pages(chosen[i].low, HUGE_PAGE, chosen[i].protection) == 0)
      forget_reads(start, chosen[i].low, chosen[i].low + HUGE_PAGE);
  free(chosen);
}

#define STEP(what, call)     \
  do {                       \
    cellstart_step = (what); \
    if ((call) != 0) return -1; \
  } while (0)

// In the cell's process, forked by the forker into the PID namespace the maker made: puts the
// pipes at 0-3 and closes everything else of the zygote's, then isolates it (cellstart_isolate()).
// Returns 0 with nothing of the zygote's power left, or -1 with errno and cellstart_step set (the
// caller must then exit: the process is half isolated). In a probe (cellstart_learn()), whose
// descriptors 0-3 are in place, it only closes the others but its report's: a probe has no
// namespaces to join, and learns nothing of the pages isolation writes (a few of the C
// library's and its stack).
int cellstart_enter(const struct cellstart *start) {
  if (probe_out >= 0) {
    STEP("close_range", close_from(CELL_PIPES, (unsigned)probe_out - 1));
    STEP("close_range", close_from((unsigned)probe_out + 1, ~0U));
    return 0;
  }
  for (int i = 0; i < CELL_PIPES; i++) STEP("dup2 a pipe", dup2(start->pipes[i], i) < 0);
  // Everything above the four pipes but the namespaces still to join, a range at a time.
  int keep[JOINED];
  memcpy(keep, start->namespaces, sizeof keep);
  for (int i = 1; i < JOINED; i++)
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  unsigned low = CELL_PIPES;
  for (int i = 0; i < JOINED; i++) {
    STEP("close_range", close_from(low, (unsigned)keep[i] - 1));
    low = (unsigned)keep[i] + 1;
  }
  STEP("close_range", close_from(low, ~0U));
  return cellstart_isolate(start);
}

// In the cell's process, its descriptors in place (0-3 its pipes, the namespaces to join still
// open, nothing else of the zygote's): makes a session of its own, joins the cell's other
// namespaces, then makes a user namespace of its own, sets the limits and drops every
// capability. Returns as cellstart_enter().
int cellstart_isolate(const struct cellstart *start) {
  STEP("prctl PR_SET_PDEATHSIG", prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0));
  // A session and process group of its own: kill(0) and killpg() reach a process group's
  // members in any PID namespace, and the cell was in its forker's, with the zygote and every
  // other cell of the fork server.
  STEP("setsid", setsid() < 0);
  for (int i = 0; i < JOINED; i++) {
    STEP("setns", setns(start->namespaces[i], start->namespace_flags[i]));
    close(start->namespaces[i]);
  }
  // A user namespace of its own: inside it the cell is its uid and keeps no capability
  // anywhere. Made before the limits are set: the kernel caps the processes of all cells
  // together by the RLIMIT_NPROC in force when the namespace is made, and this cell's alone by
  // the one set after.
  STEP("unshare user", unshare(CLONE_NEWUSER));
  char map[64];
  STEP("setgroups", write_file("/proc/self/setgroups", "deny"));
  snprintf(map, sizeof map, "%u %u 1", start->uid, start->uid);
  STEP("uid_map", write_file("/proc/self/uid_map", map));
  snprintf(map, sizeof map, "%u %u 1", start->gid, start->gid);
  STEP("gid_map", write_file("/proc/self/gid_map", map));
  if (start->limit_count < 0 || start->limit_count > MAX_LIMITS) {
    cellstart_step = "limits";
    errno = EINVAL;
    return -1;
  }
  for (int i = 0; i < start->limit_count; i++) {
    struct rlimit limit = {start->limits[i].soft, start->limits[i].hard};
    STEP("setrlimit", setrlimit(start->limits[i].resource, &limit));
  }
  STEP("prctl PR_SET_NO_NEW_PRIVS", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
  struct sock_fprog program = {start->filter_length, (struct sock_filter *)start->filter};
  STEP("seccomp", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0));
  for (int cap = 0; cap <= start->last_capability; cap++)
    STEP("prctl PR_CAPBSET_DROP", prctl(PR_CAPBSET_DROP, cap, 0, 0, 0));
  STEP("prctl PR_CAP_AMBIENT", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  STEP("capset", syscall(SYS_capset, &header, data));
  STEP("chdir", chdir(start->directory));
  return 0;
}

// --- the forker ---------------------------------------------------------------------------------
//
// The process every cell is forked from: a child of the zygote, forked once it is warm, that
// then runs only this loop. After a fork every page the parent writes while a cell still shares
// it is a copy-on-write fault; the zygote's Python loop wrote some 180 pages per cell (refcounts,
// frames, its bookkeeping), more than half of its CPU. This loop writes its stack and a few
// pages of the C library's. The zygote keeps the bookkeeping and asks for each fork.

#define REQUEST_FDS (1 + CELL_PIPES + JOINED)  // the cell's PID namespace, its pipes, the rest

// Receives one request: exactly REQUEST_FDS descriptors (a PID namespace, then what
// cellstart_enter() takes in `pipes` and `namespaces`). Returns 1, 0 when the zygote is gone,
// -1 with errno when the message was not a request (its descriptors closed).
static int receive(int requests, int fds[REQUEST_FDS]) {
  char byte;
  struct iovec data = {&byte, 1};
  union {
    struct cmsghdr align;
    char buffer[CMSG_SPACE(sizeof(int) * REQUEST_FDS)];
  } control;
  struct msghdr message = {0};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control.buffer;
  message.msg_controllen = sizeof control.buffer;
  ssize_t n;
  do n = recvmsg(requests, &message, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return 0;
  // The buffer has room for REQUEST_FDS: the kernel closes any beyond (MSG_CTRUNC).
  struct cmsghdr *c = CMSG_FIRSTHDR(&message);
  int count = 0;
  const unsigned char *received = NULL;
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
    count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    received = CMSG_DATA(c);
  }
  if (count == REQUEST_FDS && !(message.msg_flags & MSG_CTRUNC)) {
    memcpy(fds, received, sizeof(int) * REQUEST_FDS);
    return 1;
  }
  for (int i = 0; i < count; i++) {
    int fd;
    memcpy(&fd, received + i * sizeof(int), sizeof fd);
    close(fd);
  }
  errno = EINVAL;
  return -1;
}

// The cells the forker has forked and not yet reaped, each watched through a pidfd: a signalfd
// for SIGCHLD sees only signals no thread takes, and a Node forker has threads of its own, with
// SIGCHLD unblocked, that took some (the cell's end was then never reported).
struct children {
  struct pollfd *watched;  // [0] the requests; then one pidfd per cell
  pid_t *pids;             // pids[i] for watched[i], from 1
  size_t count, capacity;  // of watched, the requests included
};

static int watch_child(struct children *c, pid_t pid) {
  if (c->count == c->capacity) {
    size_t capacity = c->capacity * 2;
    struct pollfd *watched = realloc(c->watched, capacity * sizeof *watched);
    if (!watched) return -1;
    c->watched = watched;
    pid_t *pids = realloc(c->pids, capacity * sizeof *pids);
    if (!pids) return -1;
    c->pids = pids;
    c->capacity = capacity;
  }
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);  // close-on-exec, as every pidfd is
  if (fd < 0) return -1;
  c->watched[c->count] = (struct pollfd){fd, POLLIN, 0};
  c->pids[c->count] = pid;
  c->count++;
  return 0;
}

// Reaps every child of the forker that has ended, and writes {pid, wait status} on `exits` for
// each watched cell among them. The others are reaped unreported: the cells' seccomp filter
// refuses clone(CLONE_PARENT), the way a cell could make a child of the forker, but one made
// some other way would stay a zombie for as long as the forker lives, holding a host pid. Any
// child, whatever its exit signal (__WALL): a clone with exit signal 0 is none of waitpid()'s
// otherwise. Called each time the loop wakes (a request, a cell's end), so such a child is
// reaped at the latest with the next cell's start or end.
static int reap_children(struct children *c, int exits) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG | __WALL);
    if (pid < 0 && errno == EINTR) continue;
    if (pid < 0 && errno == ECHILD) return 0;
    if (pid <= 0) return pid;
    for (size_t i = 1; i < c->count; i++) {
      if (c->pids[i] != pid) continue;
      int report[2] = {pid, status};
      if (write(exits, report, sizeof report) != sizeof report) return -1;
      close(c->watched[i].fd);
      c->count--;
      c->watched[i] = c->watched[c->count];
      c->pids[i] = c->pids[c->count];
      break;
    }
  }
}

// In the forker (started with its parent's death signal set), called holding the GIL: first runs
// `start`'s probes, each a child that returns from here as a cell does (cellstart_learn()); then
// for each request on `requests` (a SOCK_SEQPACKET socket) it joins the cell's PID namespace, so
// that its next child is born there, fills `start` with the cell's descriptors and forks, the
// child as a child of os.fork() (Python's before-fork step taken once, first: see
// PyOS_BeforeFork above). It answers each request with one int: the cell's pid, or -errno. When a
// cell's process ends it writes {pid, wait status}, two ints, on `exits` (a pipe: each record
// one atomic write). Returns 0 in each cell's process, with `start` filled in and Python's
// after-fork work done; 1 in a probe; -1 in the forker when the zygote is gone.
int cellstart_forker(int requests, int exits, struct cellstart *start) {
  if (PyOS_BeforeFork) PyOS_BeforeFork();
  for (size_t i = 0; i < start->probe_count; i++)
    if (cellstart_learn(start, &start->probes[i])) return 1;
  if (start->probe_count) cellstart_huge_reads(start);
  struct children c = {malloc(16 * sizeof(struct pollfd)), malloc(16 * sizeof(pid_t)), 1, 16};
  if (!c.watched || !c.pids) return -1;
  c.watched[0] = (struct pollfd){requests, POLLIN, 0};
  for (;;) {
    if (poll(c.watched, c.count, -1) < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (reap_children(&c, exits) != 0) return -1;
    if (!c.watched[0].revents) continue;
    int fds[REQUEST_FDS], answer;
    int got = receive(requests, fds);
    if (got == 0) return -1;
    if (got < 0) {
      answer = -errno;
    } else if (setns(fds[0], CLONE_NEWPID) != 0) {
      answer = -errno;
    } else {
      memcpy(start->pipes, fds + 1, sizeof start->pipes);
      memcpy(start->namespaces, fds + 1 + CELL_PIPES, sizeof start->namespaces);
      pid_t pid = fork();
      if (pid == 0) {
        // The pages first, before Python's after-fork work: the interpreter's state and the
        // at-fork hooks write some hundred of the zygote's pages, each a copy-on-write fault
        // (some 20 us here) where a page copied in a run costs a third of that.
        populate(start->read, start->read_count, MADV_POPULATE_READ, 0);
        populate(start->written, start->written_count, MADV_POPULATE_WRITE, start->touch);
        close(fds[0]);
        for (size_t i = 1; i < c.count; i++) close(c.watched[i].fd);
        close(requests);
        close(exits);
        if (PyOS_AfterFork_Child) PyOS_AfterFork_Child();
        return 0;
      }
      answer = pid < 0 ? -errno : pid;
      // A spare is made at a low priority, so that making it never slows a running cell; the
      // device raises it to normal when a cell takes it or waits for it (device/pool.ts). Set
      // here, before the pid is answered: set by the child itself, it could come after the
      // device had raised it for a waiting cell, which then ran at the lowest priority.
      if (pid > 0 && start->nice > 0) setpriority(PRIO_PROCESS, pid, start->nice);
      // Unwatched, a cell's end would never be reported: better to fail its fork than lose it.
      if (pid > 0 && watch_child(&c, pid) != 0) {
        answer = -errno;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
      }
    }
    if (got > 0)
      for (int i = 0; i < REQUEST_FDS; i++) close(fds[i]);
    if (send(requests, &answer, sizeof answer, MSG_NOSIGNAL) != sizeof answer) return -1;
  }
}
