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

#define STEP(what, call)     \
  do {                       \
    cellstart_step = (what); \
    if ((call) != 0) return -1; \
  } while (0)

// In the cell's process, forked by the forker into the PID namespace the maker made: puts the
// pipes at 0-3 and closes everything else of the zygote's, then isolates it (cellstart_isolate()).
// Returns 0 with nothing of the zygote's power left, or -1 with errno and cellstart_step set (the
// caller must then exit: the process is half isolated).
int cellstart_enter(const struct cellstart *start) {
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

// Python's own steps around a fork (the stable C API), as os.fork() takes them: the at-fork
// hooks (os.register_at_fork: the worker's emit lock, logging's locks, the import lock), and in
// the child the interpreter's threading state and the rest of its after-fork work. The
// interpreter that loaded this library provides them, and the loop runs holding the GIL; in
// another runtime's forker (workers/node/forker.c) they are absent, weak symbols left null.
extern void PyOS_BeforeFork(void) __attribute__((weak));
extern void PyOS_AfterFork_Parent(void) __attribute__((weak));
extern void PyOS_AfterFork_Child(void) __attribute__((weak));

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

// Reaps each watched cell that has ended and writes {pid, wait status} on `exits`.
static int reap_children(struct children *c, int exits) {
  for (size_t i = 1; i < c->count;) {
    int report[2];
    if (!c->watched[i].revents || waitpid(c->pids[i], &report[1], WNOHANG) <= 0) {
      i++;
      continue;
    }
    report[0] = c->pids[i];
    if (write(exits, report, sizeof report) != sizeof report) return -1;
    close(c->watched[i].fd);
    c->count--;
    c->watched[i] = c->watched[c->count];
    c->pids[i] = c->pids[c->count];
  }
  return 0;
}

// In the forker (started with its parent's death signal set), called holding the GIL: for each
// request on `requests` (a SOCK_SEQPACKET socket) it joins the cell's PID namespace, so that
// its next child is born there, fills `start` with the cell's descriptors and forks as
// os.fork() does. It answers each request with one int: the cell's pid, or -errno. When a
// cell's process ends it writes {pid, wait status}, two ints, on `exits` (a pipe: each record
// one atomic write). Returns 0 in each cell's process, with `start` filled in and Python's
// after-fork work done; -1 in the forker when the zygote is gone.
int cellstart_forker(int requests, int exits, struct cellstart *start) {
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
      if (PyOS_BeforeFork) PyOS_BeforeFork();
      pid_t pid = fork();
      if (pid == 0) {
        // A spare is made at a low priority, so that making it never slows a running cell; the
        // device raises it to normal when a cell takes it or waits for it (device/pool.ts).
        if (start->nice > 0) setpriority(PRIO_PROCESS, 0, start->nice);
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
      if (PyOS_AfterFork_Parent) PyOS_AfterFork_Parent();
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
