// The first steps of a forked cell's process (cellstart.c): what the zygote gives them, and
// the calls. Shared by Python's fork server (forkserver.py mirrors these structures with ctypes)
// and the JavaScript forker (workers/node/forker.c), which compiles cellstart.c in.
#ifndef CELLSTART_H
#define CELLSTART_H
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#define CELL_PIPES 4   // stdin (the code), stdout, stderr, events: fds 0-3 in the cell
#define JOINED 4       // net, IPC, UTS, mount: the mount namespace last (it moves root and cwd)
#define MAX_LIMITS 16

struct cellstart_run {
  void *address;
  size_t length;
};

// A cell's code, as its stdin would hold it: what a probe runs (cellstart_learn()).
struct cellstart_code {
  const char *text;
  size_t length;
};

struct cellstart_limit {
  int resource;
  uint64_t soft, hard;
};

struct cellstart {
  int pipes[CELL_PIPES];             // the cell's ends, all above 3, to become fds 0-3
  int namespaces[JOINED];            // fds of /proc/<init>/ns/..., joined in this order
  int namespace_flags[JOINED];       // CLONE_NEW* of each
  int limit_count;
  struct cellstart_limit limits[MAX_LIMITS];
  const struct sock_filter *filter;  // the namespace filter (forkserver.py namespace_filter())
  unsigned short filter_length;      // in instructions
  int last_capability;               // /proc/sys/kernel/cap_last_cap
  unsigned uid, gid;                 // the cell's, inside its user namespace as outside
  const char *directory;             // its working directory, in the joined mount namespace
  int nice;                          // a spare's CPU priority until the device raises it, or 0
  // The forker's pages a cell writes and reads first (cellstart_learn()), copied and mapped in
  // each cell's process before Python's after-fork work, and whether each copied page is
  // written once too (populate()). Each list is in address order, and cellstart.c's own.
  const struct cellstart_run *written, *read;
  size_t written_count, read_count;
  int touch;
  // The cells probes run to learn those pages, one probe each, in the forker before its first
  // fork (cellstart_forker()); none where the kernel cannot copy pages ahead.
  const struct cellstart_code *probes;
  size_t probe_count;
};

// Spans of this process's address space, [low, high).
struct cellstart_span {
  uintptr_t low, high;
};

struct cellstart_spans {
  struct cellstart_span *items;
  size_t count, capacity;
};

extern const char *cellstart_step;

int cellstart_forker(int requests, int exits, struct cellstart *start);
int cellstart_learn(struct cellstart *start, const struct cellstart_code *probe);
void cellstart_huge_reads(struct cellstart *start);
int cellstart_probing(void);
_Noreturn void cellstart_leave(int code);
int cellstart_write_all(int fd, const void *data, size_t length);
int cellstart_mappings(struct cellstart_spans *all, struct cellstart_spans *writable, struct cellstart_spans *file_read);
int cellstart_enter(const struct cellstart *start);
int cellstart_isolate(const struct cellstart *start);

#endif
