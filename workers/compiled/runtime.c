/* Linked into every C and Fortran cell's program by kernel.sh, for what a cell's program
 * cannot have as on a terminal.
 *
 * stdin. A cell runs unattended, with
 * nothing on its stdin (/dev/null), and a program that read it got end of file without a word:
 * C's scanf and fgets left their variables as they were and the program went on with garbage
 * ("Hello " and whatever the buffer held); Fortran's read(*,*) stopped with "End of file". Here
 * the first read says why on stderr, once, then gives end of file as before: a program that
 * checks what scanf returns behaves as it did.
 *
 * C's stdio reads through glibc's own read, which nothing outside glibc can take the place of:
 * stdin becomes a stream (fopencookie) that says it. Fortran's runtime (libgfortran) calls
 * read(2) by its name, as does a C program's own read(0, …): the program's read, here, says it
 * first. Both only while the program's descriptor 0 is /dev/null, as the worker gives it (a
 * program that dup2()s a file there reads it). freopen() on
 * stdin (a program that takes its input from a file it wrote) opens the file as stdin: glibc's
 * own cannot reopen a stream made by fopencookie. read, freopen and freopen64 are weak, so that
 * a cell's own function of one of these names is the one linked, without a clash.
 *
 * void main(). Its program exits with whatever its last call left in the return register
 * (printf's count), and the cell failed with "exit status 21" after running as it should. For
 * such a program (gcc's -Wmain says so) kernel.sh links it again with --wrap=main: main is
 * called through __wrap_main, which returns 0, as the end of an int main does. Unused
 * otherwise: __real_main is weak, and nothing calls __wrap_main.
 *
 * Compiled once, by scripts/build.mjs, and linked with every cell's program: a function of the
 * cell's with the name of one this file calls is the one called, so the names a course might
 * use (stat) are system calls here. */
#undef _FORTIFY_SOURCE /* its inline read() would clash with the one here */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static int cellbox_stdin_is_null;
static FILE *cellbox_no_input;

static void cellbox_tell(void) {
  static const char why[] =
      "reading stdin: a cell runs unattended, with nothing to type into it; "
      "put the values in the code instead (stdin is at its end)\n";
  static int told;
  if (told) return;
  told = 1;
  fflush(stdout);
  if (syscall(SYS_write, 2, why, sizeof why - 1) < 0) {
    /* nowhere else to say it */
  }
}

/* /dev/null's device number, read once by the constructor. */
static dev_t cellbox_null_rdev;

/* A stat made by the system call itself: a cell's program may have a function of its own
 * named stat or fstat (a statistics course's stat(xs, n)), which a call by name from here
 * would run in place of libc's. */
static int cellbox_stat_at(int dirfd, const char *path, int flags, struct stat *st) {
  return (int)syscall(SYS_newfstatat, dirfd, path, st, flags);
}

/* Whether descriptor 0 is still /dev/null, as the worker gives it. Once the program has put
 * something else there (dup2 of a file it wrote), it is not asked again: a program reading a
 * large file that way paid a stat for every buffer it filled. */
static int cellbox_fd0_is_null(void) {
  struct stat in;
  if (!cellbox_stdin_is_null) return 0;
  if (cellbox_stat_at(0, "", AT_EMPTY_PATH, &in) == 0 && S_ISCHR(in.st_mode) && in.st_rdev == cellbox_null_rdev) return 1;
  cellbox_stdin_is_null = 0;
  return 0;
}

/* stdin's reads: nothing, said once; unless the program put a file of its own on descriptor 0
 * (dup2), which stdin then reads, as glibc's own stdin would. */
static ssize_t cellbox_read_nothing(void *cookie, char *buf, size_t size) {
  (void)cookie;
  if (!cellbox_fd0_is_null()) return syscall(SYS_read, 0, buf, size);
  cellbox_tell();
  return 0;
}

__attribute__((constructor)) static void cellbox_stdin(void) {
  cookie_io_functions_t io;
  FILE *stream;
  struct stat null;
  if (cellbox_stat_at(AT_FDCWD, "/dev/null", 0, &null) != 0) return;
  cellbox_null_rdev = null.st_rdev;
  cellbox_stdin_is_null = 1;
  if (!cellbox_fd0_is_null()) return;
  memset(&io, 0, sizeof io);
  io.read = cellbox_read_nothing;
  stream = fopencookie(NULL, "r", io);
  if (stream == NULL) return;
  /* fileno(stdin) is 0, as before: a stream of fopencookie's has no descriptor (-1), and a
   * program's read(fileno(stdin), …), isatty(fileno(stdin)) or fstat of it failed with EBADF
   * where it had read /dev/null. The stream's own reads never use it. */
  stream->_fileno = 0;
  cellbox_no_input = stream;
  stdin = stream;
}

__attribute__((weak)) ssize_t read(int fd, void *buf, size_t size) {
  if (fd == 0 && cellbox_fd0_is_null()) cellbox_tell();
  return syscall(SYS_read, fd, buf, size);
}

typedef FILE *(*cellbox_freopen_fn)(const char *, const char *, FILE *);

static FILE *cellbox_reopen(const char *name, const char *path, const char *mode, FILE *stream) {
  cellbox_freopen_fn real;
  if (stream != NULL && stream == cellbox_no_input) {
    FILE *opened;
    if (path == NULL) return stream; /* a new mode for the same nothing */
    opened = fopen(path, mode);
    if (opened == NULL) return NULL;
    fclose(stream);
    cellbox_no_input = NULL;
    stdin = opened;
    return opened;
  }
  /* A function pointer from dlsym's object pointer, as POSIX allows (memcpy: ISO C does not). */
  {
    void *found = dlsym(RTLD_NEXT, name);
    if (found == NULL) return NULL;
    memcpy(&real, &found, sizeof real);
  }
  return real(path, mode, stream);
}

__attribute__((weak)) FILE *freopen(const char *path, const char *mode, FILE *stream) {
  return cellbox_reopen("freopen", path, mode, stream);
}

__attribute__((weak)) FILE *freopen64(const char *path, const char *mode, FILE *stream) {
  return cellbox_reopen("freopen64", path, mode, stream);
}

extern void __real_main(int argc, char **argv, char **envp) __attribute__((weak));

int __wrap_main(int argc, char **argv, char **envp) {
  __real_main(argc, argv, envp);
  return 0;
}
