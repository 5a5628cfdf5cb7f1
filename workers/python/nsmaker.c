// The namespace maker of a Python fork server (forkserver.py), in C because it is on the path of
// every cell: for each request it clones the first process of the cell's new PID, mount,
// network, IPC and UTS namespaces (their init, which reaps what the cell orphans), which mounts
// a fresh /cell, /tmp, /dev/shm, /dev/pts and /proc there, brings up its loopback and tells the
// zygote its pid. The zygote then forks the cell's process straight into those namespaces.
//
// It was Python, forked from the zygote: each init was a copy of an interpreter, and every page
// it and its maker wrote after the clone was a copy-on-write fault (some 20 us on the VMs this
// runs on): machine CPU per cell fell from 59-62 ms to 43-50 when this replaced it.
//
// Usage: nsmaker <bytes of /cell> <bytes of /tmp and /dev/shm>
//   fd 0: requests from the zygote, one cell id per line; at its end the maker exits.
//   fd 1: replies, one line per request: "<id> <init's pid>" once its namespaces are ready (the
//         pid as the sandbox numbers it), or "<id> 0 <why not>". Each line is one write of less
//         than PIPE_BUF bytes, so the inits' replies never interleave.
// Runs with the zygote's capabilities (ambient, from bwrap) over the sandbox's user namespace.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CELL_DIR "/cell"
#define MAX_ID 200  // cell ids are nanoids; a longer line is not a request

static const char *const PROC_COVERED[] = {"sys", "sysrq-trigger", "irq", "bus"};

static char cell_bytes[32], tmp_bytes[32];

// Writes one reply line in one write(2).
static void reply(const char *id, const char *format, ...) {
  char line[512];
  int n = snprintf(line, sizeof line, "%s ", id);
  va_list args;
  va_start(args, format);
  n += vsnprintf(line + n, sizeof line - n - 1, format, args);
  va_end(args);
  if (n > (int)sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  if (write(STDOUT_FILENO, line, n) < 0) _exit(1);
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

// The steps of an init before it can take a cell; on failure, `failed` names the step.
static int make_mounts(const char **failed) {
  char data[96];
  const unsigned long hidden = MS_NOSUID | MS_NODEV;
#define STEP(what, call)      \
  do {                        \
    if ((call) != 0) {        \
      *failed = what;         \
      return -1;              \
    }                         \
  } while (0)
  STEP("mount / private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
  // A fresh working directory, /tmp and /dev/shm: nothing another cell wrote is visible.
  snprintf(data, sizeof data, "size=%s,mode=0755", cell_bytes);
  STEP("mount " CELL_DIR, mount("tmpfs", CELL_DIR, "tmpfs", hidden, data));
  snprintf(data, sizeof data, "size=%s,mode=1777", tmp_bytes);
  STEP("mount /tmp", mount("tmpfs", "/tmp", "tmpfs", hidden, data));
  if (is_dir("/dev/shm")) STEP("mount /dev/shm", mount("tmpfs", "/dev/shm", "tmpfs", hidden | MS_NOEXEC, data));
  // Terminals of its own: bwrap's /dev/pts is one for the whole sandbox, where a cell could list
  // and type into the terminals another cell opened.
  if (is_dir("/dev/pts"))
    STEP("mount /dev/pts", mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620"));
  // The new network namespace's own loopback, up, as bwrap sets it: it reaches nothing else.
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  STEP("socket", s < 0 ? -1 : 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
  STEP("loopback up", ioctl(s, SIOCSIFFLAGS, &ifr));
  close(s);
  // Its own /proc shows the cell's processes only; what bwrap covers read-only in its /proc is
  // covered here too.
  STEP("mount /proc", mount("proc", "/proc", "proc", hidden | MS_NOEXEC, NULL));
  for (size_t i = 0; i < sizeof PROC_COVERED / sizeof *PROC_COVERED; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%s", PROC_COVERED[i]);
    if (access(path, F_OK) != 0) continue;
    STEP(path, mount(path, path, NULL, MS_BIND | MS_REC, NULL));
    STEP(path, mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL));
  }
#undef STEP
  return 0;
}

static void on_child(int sig) { (void)sig; }

// The init of a cell's namespaces: mounts, replies, then reaps until it is killed.
static void init(const char *id) {
  // Our pid as the zygote numbers it: the /proc we still see is the sandbox's.
  char self[32];
  ssize_t n = readlink("/proc/self", self, sizeof self - 1);
  if (n <= 0) {
    reply(id, "0 readlink /proc/self: %s", strerror(errno));
    _exit(0);
  }
  self[n] = '\0';
  const char *failed = NULL;
  if (make_mounts(&failed) != 0) {
    reply(id, "0 %s: %s", failed, strerror(errno));
    _exit(0);
  }
  // It holds nothing but the reply pipe: not the requests, not anything the cell could use.
  close(STDIN_FILENO);
  syscall(SYS_close_range, 2U, ~0U, 0U);
  // Orphans of the cell come here; each one's end wakes the wait below. SIGCHLD is blocked but
  // while waiting, so an end between wait() and the suspend is not missed.
  sigset_t blocked, open_mask;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGCHLD);
  sigprocmask(SIG_BLOCK, &blocked, &open_mask);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_child;
  sigaction(SIGCHLD, &sa, NULL);
  reply(id, "%s", self);
  close(STDOUT_FILENO);
  sigdelset(&open_mask, SIGCHLD);
  for (;;) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    sigsuspend(&open_mask);
  }
}

int main(int argc, char **argv) {
  if (argc != 3 || strlen(argv[1]) >= sizeof cell_bytes || strlen(argv[2]) >= sizeof tmp_bytes) {
    fprintf(stderr, "usage: nsmaker <bytes of /cell> <bytes of /tmp>\n");
    return 2;
  }
  strcpy(cell_bytes, argv[1]);
  strcpy(tmp_bytes, argv[2]);
  // It must not outlive the zygote, nor hold anything of it but the two pipes and stderr.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  syscall(SYS_close_range, 3U, ~0U, 0U);
  signal(SIGCHLD, SIG_IGN);  // no zombies: the zygote watches each init's end by pidfd
  char buffer[4096], line[MAX_ID + 1];
  size_t used = 0;
  int overlong = 0;
  for (;;) {
    ssize_t got = read(STDIN_FILENO, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return 0;
    for (ssize_t i = 0; i < got; i++) {
      if (buffer[i] != '\n') {
        if (used < MAX_ID) line[used++] = buffer[i];
        else overlong = 1;
        continue;
      }
      line[used] = '\0';
      used = 0;
      if (overlong) {
        overlong = 0;
        continue;
      }
      // Like fork(), but the child is the first process of new namespaces: unshare() gives a new
      // PID namespace to the caller's children only, which took a second process per cell.
      long pid = syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
      if (pid < 0) reply(line, "0 clone: %s", strerror(errno));
      else if (pid == 0) init(line);
    }
  }
}
