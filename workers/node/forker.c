// The JavaScript fork server's forker: a Node.js addon that turns a warm Node process (kernel.cjs
// --forker) into the process every JavaScript cell is forked from. A Node start was some 60-90 ms
// of CPU here before a cell's first line; a forked cell costs some 20, most of it in the spare
// before its code comes, and its first steps are already compiled.
//
// The Python zygote (workers/python/forkserver.py, started with a `forker` command) keeps the
// device's protocol, the namespace maker and the cells' ends; it starts this process with its
// request socket at fd 3 and the exits pipe at fd 4, and the loop is cellstart.c's, as Python's
// forker runs it. What differs from forking Python:
//   - V8 maps its heap MADV_DONTFORK: a child would find no heap at all. Every mapping is made
//     copyable again before the loop (MADV_DOFORK); the forker then runs no more JavaScript, so
//     no new mapping comes.
//   - A child has only the thread that forked. V8 is started with --single-threaded (the worker's
//     command), so that it hands little work to helper threads, and what it still hands them (a
//     WebAssembly module's compile job: any `fetch`) runs on the cell's own thread from its event
//     loop (run_worker_tasks_here()): left to the platform's threads, which the child lacks, Node
//     waited for it forever once the loop was empty. libuv's thread pool starts afresh in the
//     child at first use (its own at-fork handler), and the event loop's epoll, eventfd and
//     signal pipe are made anew with uv_loop_fork(). A cell must leave with _exit() (exit()
//     below): Node's own exit joins the platform's threads.
// The child closes every descriptor the forker had (its internal pipes and epolls are shared by
// all its cells, a channel between them), keeps what the at-fork handlers made in the child, and
// then isolates itself as a Python cell does (cellstart_isolate()).
//
// Exports: serve(hello, probe) → false in the forker when the zygote is gone, true in each cell's
// process (isolated, fds 0-3 its pipes) and once in a probe, a child that runs the cell `probe`
// to learn the pages each cell gets copied ahead (cellstart_learn()); endWith(events, code) keeps
// the cell's last events for its way out; exit(code) → never returns; pid() → this process's pid
// as its PID namespace numbers it (Node's process.pid is the forker's, read at its start). A cell
// leaves by exit() or, when its event loop empties, by the environment's cleanup (natural_end()),
// both through leave_now().
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellstart.h"

// Node-API (js_native_api.h, node_api.h), declared here: its C ABI is stable across Node versions,
// and the build then needs no Node headers, which a Node installed from Debian lacks.
typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
typedef int napi_status;  // napi_ok is 0
struct uv_loop_s;
extern napi_status napi_get_cb_info(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
                                    napi_value *this_arg, void **data);
extern napi_status napi_get_value_int32(napi_env env, napi_value value, int32_t *result);
extern napi_status napi_get_value_string_utf8(napi_env env, napi_value value, char *buffer, size_t size, size_t *length);
extern napi_status napi_get_boolean(napi_env env, bool value, napi_value *result);
extern napi_status napi_create_int32(napi_env env, int32_t value, napi_value *result);
extern napi_status napi_create_function(napi_env env, const char *name, size_t length, napi_callback cb, void *data,
                                        napi_value *result);
extern napi_status napi_set_named_property(napi_env env, napi_value object, const char *name, napi_value value);
extern napi_status napi_throw_error(napi_env env, const char *code, const char *message);
extern napi_status napi_get_uv_event_loop(napi_env env, struct uv_loop_s **loop);
extern napi_status napi_get_buffer_info(napi_env env, napi_value value, void **data, size_t *length);
extern napi_status napi_add_env_cleanup_hook(napi_env env, void (*hook)(void *arg), void *arg);
typedef struct napi_threadsafe_function__ *napi_threadsafe_function;
extern napi_status napi_create_threadsafe_function(napi_env env, napi_value func, napi_value async_resource,
                                                   napi_value async_resource_name, size_t max_queue_size,
                                                   size_t initial_thread_count, void *thread_finalize_data,
                                                   void *thread_finalize_cb, void *context, void *call_js_cb,
                                                   napi_threadsafe_function *result);
extern napi_status napi_call_threadsafe_function(napi_threadsafe_function func, void *data, int is_blocking);
extern napi_status napi_unref_threadsafe_function(napi_env env, napi_threadsafe_function func);
extern napi_status napi_ref_threadsafe_function(napi_env env, napi_threadsafe_function func);
extern napi_status napi_create_string_utf8(napi_env env, const char *str, size_t length, napi_value *result);
extern napi_status napi_get_typedarray_info(napi_env env, napi_value typedarray, int *type, size_t *length, void **data,
                                            napi_value *arraybuffer, size_t *byte_offset);
extern napi_status napi_get_value_uint32(napi_env env, napi_value value, uint32_t *result);
extern napi_status napi_call_function(napi_env env, napi_value recv, napi_value func, size_t argc, const napi_value *argv,
                                      napi_value *result);
extern napi_status napi_get_undefined(napi_env env, napi_value *result);
#define NAPI_UINT32_ARRAY 6  // napi_typedarray_type's napi_uint32_array
// libuv (uv.h), as stable within its major version as Node-API is.
typedef void (*uv_callback)(void *handle);
#define UV_ASYNC 1
#define UV_IDLE 6
extern int uv_loop_fork(struct uv_loop_s *loop);
extern size_t uv_handle_size(int type);
extern int uv_async_init(struct uv_loop_s *loop, void *async, uv_callback callback);
extern int uv_async_send(void *async);
extern int uv_idle_init(struct uv_loop_s *loop, void *idle);
extern int uv_idle_start(void *idle, uv_callback callback);
extern int uv_idle_stop(void *idle);
extern void uv_unref(void *handle);

#define REQUESTS 3  // the zygote's request socket (SOCK_SEQPACKET)
#define EXITS 4     // the pipe the cells' ends go to the zygote on
#define MAX_HELLO 4096
#define MAX_DIRECTORY 4096
#define MAX_FILTER 4096  // instructions, a classic BPF program's most (BPF_MAXINSNS)
#define MAX_FDS 1024

#define EVENT_FD (CELL_PIPES - 1)  // the cell's events: kernel.cjs writes them there too

static struct cellstart start;
static struct sock_filter filter[MAX_FILTER];
static char directory[MAX_DIRECTORY];
// The forker's own descriptors as it enters the loop, each cell closes them: by what they are,
// not their numbers, since libuv's at-fork handler closes its signal lock's pipe in the child and
// makes a new one, likely at the same numbers.
struct open_fd {
  int fd;
  dev_t device;
  ino_t inode;
};
static struct open_fd forker_fds[MAX_FDS];
static int forker_fd_count;

// --- V8's worker tasks, on the cell's own thread ------------------------------------------------
//
// V8 hands work to helper threads through its platform's CallOnWorkerThread and
// CallDelayedOnWorkerThread (node::NodePlatform's, virtual). In the forker, before any fork, both
// slots of NodePlatform's vtable are pointed here: each task is queued, and an idle handle on the
// event loop runs the queue, keeping the loop alive meanwhile. A task is v8::Task: its vtable holds
// the destructors, then Run(). The task comes as std::unique_ptr<Task>, which the C++ ABI passes as
// a pointer to the caller's unique_ptr (one pointer): taken, and left empty.

#define NODE_PLATFORM_VTABLE "_ZTVN4node12NodePlatformE"
#define NODE_CALL_ON_WORKER "_ZN4node12NodePlatform18CallOnWorkerThreadESt10unique_ptrIN2v84TaskESt14default_deleteIS3_EE"
#define NODE_CALL_DELAYED_ON_WORKER \
  "_ZN4node12NodePlatform25CallDelayedOnWorkerThreadESt10unique_ptrIN2v84TaskESt14default_deleteIS3_EEd"
#define VTABLE_SLOTS 64  // far more than v8::Platform's virtual functions
#define TASK_RUN 2       // v8::Task's vtable: complete destructor, deleting destructor, Run()
#define TASK_DELETE 1

static struct {
  pthread_mutex_t lock;
  void **tasks;
  size_t count, capacity;
} queue = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};
// Made in each cell's process (take_worker_tasks()); until then a task only waits in the queue.
static void *idle, *wake;
static pthread_t loop_thread;

static void run_queued(void *handle) {
  (void)handle;
  pthread_mutex_lock(&queue.lock);
  void **tasks = queue.tasks;
  size_t count = queue.count;
  queue.tasks = NULL;
  queue.count = queue.capacity = 0;
  // What these tasks post comes in a later turn of the loop, which polls in between.
  if (!count) uv_idle_stop(idle);
  pthread_mutex_unlock(&queue.lock);
  for (size_t i = 0; i < count; i++) {
    void (**vtable)(void *) = *(void (***)(void *))tasks[i];
    vtable[TASK_RUN](tasks[i]);
    vtable[TASK_DELETE](tasks[i]);
  }
  free(tasks);
}

static void start_running(void *handle) {
  (void)handle;
  uv_idle_start(idle, run_queued);
}

static void post(void *task) {
  pthread_mutex_lock(&queue.lock);
  if (queue.count == queue.capacity) {
    size_t capacity = queue.capacity ? queue.capacity * 2 : 16;
    void **tasks = realloc(queue.tasks, capacity * sizeof *tasks);
    if (!tasks) abort();  // as V8 does when it cannot allocate
    queue.tasks = tasks;
    queue.capacity = capacity;
  }
  queue.tasks[queue.count++] = task;
  pthread_mutex_unlock(&queue.lock);
  if (!idle) return;
  // A handle is started from its loop's thread only; a Worker's isolate posts from its own.
  if (pthread_equal(pthread_self(), loop_thread))
    start_running(NULL);
  else
    uv_async_send(wake);
}

static void call_on_worker_thread(void *platform, void **task) {
  (void)platform;
  void *taken = *task;
  *task = NULL;
  if (taken) post(taken);
}

static void call_delayed_on_worker_thread(void *platform, void **task, double delay) {
  (void)delay;  // sooner is allowed: V8 posts them for work that may wait, not must
  call_on_worker_thread(platform, task);
}

// In the forker: NodePlatform's worker-thread slots, pointed at the queue.
static int run_worker_tasks_here(void) {
  void **vtable = dlsym(RTLD_DEFAULT, NODE_PLATFORM_VTABLE);
  void *call = dlsym(RTLD_DEFAULT, NODE_CALL_ON_WORKER);
  void *delayed = dlsym(RTLD_DEFAULT, NODE_CALL_DELAYED_ON_WORKER);
  if (!vtable || !call || !delayed) {
    errno = ENOSYS;
    return -1;
  }
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  int found = 0;
  for (int i = 0; i < VTABLE_SLOTS; i++) {
    if (vtable[i] != call && vtable[i] != delayed) continue;
    void *at = (void *)((uintptr_t)&vtable[i] & ~(page - 1));
    if (mprotect(at, page, PROT_READ | PROT_WRITE) != 0) return -1;
    vtable[i] = vtable[i] == call ? (void *)call_on_worker_thread : (void *)call_delayed_on_worker_thread;
    if (mprotect(at, page, PROT_READ) != 0) return -1;
    found++;
  }
  if (found != 2) {
    errno = ENOSYS;
    return -1;
  }
  return 0;
}

// In a cell's process, once its loop is made anew: the handles that run the queue.
static int take_worker_tasks(struct uv_loop_s *loop) {
  void *i = calloc(1, uv_handle_size(UV_IDLE)), *w = calloc(1, uv_handle_size(UV_ASYNC));
  if (!i || !w || uv_idle_init(loop, i) != 0 || uv_async_init(loop, w, start_running) != 0) return -1;
  uv_unref(w);  // it wakes the loop, but must not keep it alive
  loop_thread = pthread_self();
  idle = i;
  wake = w;
  pthread_mutex_lock(&queue.lock);
  size_t waiting = queue.count;
  pthread_mutex_unlock(&queue.lock);
  if (waiting) start_running(NULL);
  return 0;
}

// --- Stop: SIGINT where the cell is ----------------------------------------------------------------
//
// The reader's Stop comes as SIGINT (the zygote's `interrupt`). As in Node's REPL, it ends the
// cell's JavaScript where it runs, a busy loop too, and the cell's error shows where that was.
// Node's own way (vm's breakOnSigint) throws an error whose stack has none of the cell's frames,
// and a cell waiting on a timer or promise would not see it at all. So, with V8's C++ API (Node
// exports it; found by name, as NodePlatform's vtable is above): the handler only wakes a thread
// of the cell's (a signal handler may not take V8's locks); the thread asks V8 to interrupt the
// JavaScript running (capture(), on the cell's thread at its next stack check, which every loop
// has), and queues kernel.cjs's handler on the event loop. capture() writes the stack down and,
// unless it is the handler that runs, terminates that JavaScript: V8 clears the termination once no
// JavaScript is left on the stack, and the event loop goes on to the handler, which ends the
// cell with the stack kept (interruptedAt()). A cell idle in its event loop gets the handler
// alone, with no stack: its code was nowhere.

#define V8_GET_CURRENT "_ZN2v87Isolate10GetCurrentEv"
#define V8_REQUEST_INTERRUPT "_ZN2v87Isolate16RequestInterruptEPFvPS0_PvES2_"
#define V8_TERMINATE "_ZN2v87Isolate18TerminateExecutionEv"
#define V8_CANCEL_TERMINATE "_ZN2v87Isolate24CancelTerminateExecutionEv"
#define V8_SCOPE_OPEN "_ZN2v811HandleScopeC1EPNS_7IsolateE"
#define V8_SCOPE_CLOSE "_ZN2v811HandleScopeD1Ev"
#define V8_CURRENT_TRACE "_ZN2v810StackTrace17CurrentStackTraceEPNS_7IsolateEiNS0_17StackTraceOptionsE"
#define V8_FRAME_COUNT "_ZNK2v810StackTrace13GetFrameCountEv"
#define V8_FRAME "_ZNK2v810StackTrace8GetFrameEPNS_7IsolateEj"
#define V8_LOCATION "_ZNK2v810StackFrame11GetLocationEv"
#define V8_SCRIPT_NAME "_ZNK2v810StackFrame13GetScriptNameEv"
#define V8_FUNCTION_NAME "_ZNK2v810StackFrame15GetFunctionNameEv"
#define V8_WRITE_UTF8 "_ZNK2v86String9WriteUtf8EPNS_7IsolateEPciPii"
#define STACK_TRACE_DETAILED 127  // v8::StackTrace::kDetailed
#define MAX_FRAMES 64             // deep enough to reach the cell under Node's own frames (console.log)
#define NAME_BYTES 256

// v8::Local<T> is one pointer, returned as one; a member function takes `this` first. A
// v8::Location is two ints (0-based line, column), returned in one register.
static struct {
  void *(*current)(void);
  void (*request)(void *isolate, void (*callback)(void *isolate, void *data), void *data);
  void (*terminate)(void *isolate);
  void (*cancel_terminate)(void *isolate);
  void (*scope_open)(void *scope, void *isolate);
  void (*scope_close)(void *scope);
  void *(*trace)(void *isolate, int frames, int options);
  int (*frame_count)(void *trace);
  void *(*frame)(void *trace, void *isolate, uint32_t index);
  uint64_t (*location)(void *frame);
  void *(*script_name)(void *frame);
  void *(*function_name)(void *frame);
  int (*write_utf8)(void *string, void *isolate, char *buffer, int capacity, int *chars, int options);
} v8;

static void *cell_isolate;
static int interrupts[2] = {-1, -1};
static napi_threadsafe_function interrupt_handler;
static napi_env cell_env;
// Node's switch for its async-hooks stack checks (async_hook_fields[kCheck]), when kernel.cjs could
// hand it over: see capture().
static uint32_t *async_hook_checks;
// The stack capture() found: lines as Error.stack has them, each ending in a newline.
static char interrupted_at[MAX_FRAMES * (2 * NAME_BYTES + 64)];
static size_t interrupted_at_length;
static char capturing[sizeof interrupted_at];
// The worker's handler is running (call_handler()): capture() leaves it be.
static bool in_handler;

static napi_value fail(napi_env env, const char *what);

static int find_v8(void) {
  void **slots[] = {(void **)&v8.current, (void **)&v8.request, (void **)&v8.terminate, (void **)&v8.cancel_terminate, (void **)&v8.scope_open,
                    (void **)&v8.scope_close, (void **)&v8.trace, (void **)&v8.frame_count, (void **)&v8.frame,
                    (void **)&v8.location, (void **)&v8.script_name, (void **)&v8.function_name, (void **)&v8.write_utf8};
  const char *names[] = {V8_GET_CURRENT, V8_REQUEST_INTERRUPT, V8_TERMINATE, V8_CANCEL_TERMINATE, V8_SCOPE_OPEN, V8_SCOPE_CLOSE, V8_CURRENT_TRACE,
                         V8_FRAME_COUNT, V8_FRAME, V8_LOCATION, V8_SCRIPT_NAME, V8_FUNCTION_NAME, V8_WRITE_UTF8};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    *slots[i] = dlsym(RTLD_DEFAULT, names[i]);
    if (!*slots[i]) {
      errno = ENOSYS;
      return -1;
    }
  }
  return 0;
}

static void utf8_of(void *string, void *isolate, char *buffer) {
  buffer[0] = '\0';
  if (string) v8.write_utf8(string, isolate, buffer, NAME_BYTES - 1, NULL, 0);
  buffer[NAME_BYTES - 1] = '\0';
}

// On the cell's thread, inside whatever JavaScript runs: no JavaScript may be called from here.
static void capture(void *isolate, void *data) {
  (void)data;
  _Alignas(16) char scope[64];  // a v8::HandleScope: three pointers
  v8.scope_open(scope, isolate);
  void *trace = v8.trace(isolate, MAX_FRAMES, STACK_TRACE_DETAILED);
  int count = trace ? v8.frame_count(trace) : 0;
  size_t at = 0;
  for (int i = 0; i < count; i++) {
    void *frame = v8.frame(trace, isolate, (uint32_t)i);
    if (!frame) continue;
    char script[NAME_BYTES], function[NAME_BYTES];
    utf8_of(v8.script_name(frame), isolate, script);
    utf8_of(v8.function_name(frame), isolate, function);
    uint64_t location = v8.location(frame);
    int line = (int)(uint32_t)location + 1, column = (int)(uint32_t)(location >> 32) + 1;
    size_t room = sizeof capturing - at;
    // A position inside the wrapper of a cell with top-level await (kernel.cjs: asyncBody(), the
    // start of its async function, where a resumed `await` loop is met) is left of the negative
    // column offset that keeps the cell's own positions right: `<cell>:1:-3`. Its line is the
    // cell's; its column is none of the cell's, so none is shown, as Error.stack does for a
    // position it has no column for.
    char where[NAME_BYTES + 32];
    if (column >= 1) snprintf(where, sizeof where, "%s:%d:%d", script, line, column);
    else snprintf(where, sizeof where, "%s:%d", script, line);
    int n = function[0] ? snprintf(capturing + at, room, "    at %s (%s)\n", function, where)
                        : snprintf(capturing + at, room, "    at %s\n", where);
    if (n < 0 || (size_t)n >= room) break;
    at += (size_t)n;
  }
  v8.scope_close(scope);
  // Only the cell's code is stopped here: the worker's handler, run for the interrupt, comes
  // through this too, and must run to its end. Everything else that runs is on the cell's
  // behalf, with its frames on the stack or not: a cell that keeps the microtask queue full
  // (`for (;;) await null`) is met between two of its jobs, in Node's processTicksAndRejections
  // alone, and left to run, it never let the event loop reach the handler (it was killed at
  // the end of the grace, without a stack).
  if (in_handler) return;
  memcpy(interrupted_at, capturing, at);
  interrupted_at_length = at;
  // The handler's call is queued, but the handler does not keep the event loop alive (a cell
  // ends when its loop empties): once the cell's code is stopped, it must, or the loop the
  // cell left empty would end the process first.
  napi_ref_threadsafe_function(cell_env, interrupt_handler);
  // Code run from the event loop (a timer's callback, a promise's continuation) runs inside
  // async contexts that Node's JavaScript pops on its way out: terminated, it never does, and
  // Node's C++ side, finding its stack of them uneven, aborted the process with a native stack
  // on stderr. The cell ends next, by the handler: the check is no longer of use.
  if (async_hook_checks) *async_hook_checks = 0;
  v8.terminate(isolate);
}

// The handler's call, on the event loop with no JavaScript on the stack. A termination in a
// promise's continuation outlives the JavaScript it stopped (V8 keeps it scheduled after its
// microtasks): every later call failed, the handler's too, and the cell hung until the grace.
// Ended here, where nothing runs that it was meant to stop.
static void call_handler(napi_env env, napi_value handler, void *context, void *data) {
  (void)context;
  (void)data;
  if (!env || !handler) return;  // the environment is going
  v8.cancel_terminate(cell_isolate);
  in_handler = true;
  napi_value undefined;
  if (napi_get_undefined(env, &undefined) == 0) napi_call_function(env, undefined, handler, 0, NULL, NULL);
}

static void *watch_interrupts(void *unused) {
  (void)unused;
  for (;;) {
    char byte;
    ssize_t n = read(interrupts[0], &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return NULL;
    v8.request(cell_isolate, capture, NULL);
    napi_call_threadsafe_function(interrupt_handler, NULL, 0);  // napi_tsfn_nonblocking
  }
}

// Set by the first SIGINT, for interruptRequested(): an error the cell's code threw after the
// signal came and before capture() stopped it is the Stop's doing (a command execSync waited on
// died of the same SIGINT, sent to the cell's process group, and its Error came back first).
static volatile sig_atomic_t sigint_seen;

static void on_sigint(int signal) {
  (void)signal;
  sigint_seen = 1;
  int saved = errno;
  if (write(interrupts[1], "", 1) < 0) {
    // the pipe is full: an interrupt is on its way already
  }
  errno = saved;
}

// interruptOn(handler, checks, index) in a cell's process: SIGINT from now on calls `handler` on
// the event loop, after capture() stopped the cell's code; `checks[index]` is Node's switch for
// its async-hooks checks (a Uint32Array), or `checks` is null. Throws where it cannot (then the
// device kills at Stop).
static napi_value interrupt_on(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], name;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < 1) {
    napi_throw_error(env, NULL, "forker: interruptOn(handler, checks, index) takes a function");
    return NULL;
  }
  int type;
  size_t length;
  void *data;
  uint32_t index;
  if (argc >= 3 && napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) == 0 &&
      type == NAPI_UINT32_ARRAY && napi_get_value_uint32(env, argv[2], &index) == 0 && index < length)
    async_hook_checks = (uint32_t *)data + index;
  if (find_v8() != 0) return fail(env, "V8's API (a Node.js built without its symbols?)");
  cell_isolate = v8.current();
  cell_env = env;
  if (pipe2(interrupts, O_CLOEXEC | O_NONBLOCK) != 0) return fail(env, "the interrupt pipe");
  // The thread blocks on its end; the handler's end never blocks.
  fcntl(interrupts[0], F_SETFL, 0);
  if (napi_create_string_utf8(env, "cellbox interrupt", (size_t)-1, &name) != 0 ||
      napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, (void *)call_handler,
                                      &interrupt_handler) != 0 ||
      napi_unref_threadsafe_function(env, interrupt_handler) != 0) {
    napi_throw_error(env, NULL, "forker: the interrupt handler could not be made");
    return NULL;
  }
  // The thread takes no signal: they stay the cell's thread's, as a single-threaded cell had them.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  int error = pthread_create(&thread, &attr, watch_interrupts, NULL);
  pthread_sigmask(SIG_SETMASK, &saved, NULL);
  pthread_attr_destroy(&attr);
  if (error) {
    errno = error;
    return fail(env, "the interrupt thread");
  }
  struct sigaction action = {0};
  action.sa_handler = on_sigint;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGINT, &action, NULL) != 0) return fail(env, "SIGINT's handler");
  return NULL;
}

// interruptRequested(): whether Stop's SIGINT has come, its handler run or not.
static napi_value interrupt_requested(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  if (napi_get_boolean(env, sigint_seen != 0, &result) != 0) return NULL;
  return result;
}

// interruptedAt(): the stack capture() stopped the cell's code at, '' if it stopped none.
static napi_value interrupted_where(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  if (napi_create_string_utf8(env, interrupted_at, interrupted_at_length, &result) != 0) return NULL;
  return result;
}

// --- the pages a cell writes first ---------------------------------------------------------------
//
// A `console.log` cell took some 550 copy-on-write faults of the forker's pages (V8's heap, Node's
// state), a fifth of them after its code came. As Python's forker does, this one learns once
// which of its pages a probe writes and reads, a child that runs a small cell as every cell runs
// (serve() returns true in it too), and each cell gets them copied and mapped ahead
// (cellstart.c's cellstart_learn() and populate()).

static napi_value boolean(napi_env env, bool value) {
  napi_value result;
  napi_get_boolean(env, value, &result);
  return result;
}

static napi_value fail(napi_env env, const char *what) {
  char message[256];
  snprintf(message, sizeof message, "forker: %s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, message);
  return NULL;
}

// One message of the zygote's settings; its length must be `exact` when that is not 0.
static ssize_t receive_setting(void *buffer, size_t size, size_t exact) {
  ssize_t n;
  do n = recv(REQUESTS, buffer, size, MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -1;
  if ((size_t)n > size || (exact && (size_t)n != exact) || n == 0) {
    errno = EPROTO;
    return -1;
  }
  return n;
}

// What the zygote sends first (forkserver.py spawn_forker()): struct cellstart as its ctypes
// mirror lays it out, with no pages to copy; the namespace filter; the working directory.
static int receive_settings(void) {
  if (receive_setting(&start, sizeof start, sizeof start) < 0) return -1;
  ssize_t n = receive_setting(filter, sizeof filter, 0);
  if (n < 0) return -1;
  if (n % sizeof filter[0] || (size_t)n / sizeof filter[0] != start.filter_length) {
    errno = EPROTO;
    return -1;
  }
  n = receive_setting(directory, sizeof directory - 1, 0);
  if (n < 0) return -1;
  directory[n] = '\0';
  start.filter = filter;
  start.directory = directory;
  start.written = start.read = NULL;
  start.written_count = start.read_count = 0;
  start.probes = NULL;  // serve()'s probe is learnt before the loop
  start.probe_count = 0;
  return 0;
}

// Undoes V8's MADV_DONTFORK on each of this process's mappings.
static int copy_every_mapping(void) {
  struct cellstart_spans all = {0};
  if (cellstart_mappings(&all, NULL, NULL) != 0) {
    free(all.items);
    return -1;
  }
  // Special mappings ([vvar], [vsyscall]) refuse it and are left as they are.
  for (size_t i = 0; i < all.count; i++)
    madvise((void *)all.items[i].low, all.items[i].high - all.items[i].low, MADV_DOFORK);
  free(all.items);
  return 0;
}

static int list_forker_fds(void) {
  DIR *dir = opendir("/proc/self/fd");
  if (!dir) return -1;
  int own = dirfd(dir);
  struct dirent *entry;
  forker_fd_count = 0;
  while ((entry = readdir(dir))) {
    if (entry->d_name[0] == '.') continue;
    int fd = atoi(entry->d_name);
    if (fd == own) continue;
    struct stat st;
    if (fstat(fd, &st) != 0) continue;
    if (forker_fd_count == MAX_FDS) {
      closedir(dir);
      errno = EMFILE;
      return -1;
    }
    forker_fds[forker_fd_count++] = (struct open_fd){fd, st.st_dev, st.st_ino};
  }
  closedir(dir);
  return 0;
}

// In a cell's process: the cell's pipes at 0-3, the forker's descriptors closed. The namespaces
// to join stay for cellstart_isolate(); what the at-fork handlers made in this process (libuv's
// signal lock) stays too: it is not the forker's. (The cell's pipes and namespaces came after the
// list was made, so none of them is on it.)
static void close_forker_fds(void) {
  for (int i = 0; i < forker_fd_count; i++) {
    struct stat st;
    const struct open_fd *held = &forker_fds[i];
    if (held->fd >= CELL_PIPES && fstat(held->fd, &st) == 0 && st.st_dev == held->device && st.st_ino == held->inode)
      close(held->fd);
  }
}

static int arrange_fds(void) {
  for (int i = 0; i < CELL_PIPES; i++)
    if (dup2(start.pipes[i], i) < 0) return -1;
  close_forker_fds();
  for (int i = 0; i < CELL_PIPES; i++)
    if (start.pipes[i] >= CELL_PIPES) close(start.pipes[i]);
  return 0;
}

static void die(const char *what, int error) {
  char message[512];
  int n = snprintf(message, sizeof message, "the cell could not be isolated: %s: %s\n", what, strerror(error));
  if (n > 0 && write(2, message, (size_t)n) < 0) {
  }
  _exit(125);
}

static void natural_end(void *unused);

// A cell's process (or the probe), once forked: the event loop made anew, and the handles that
// run the worker tasks.
static void after_fork(struct uv_loop_s *loop) {
  int error = uv_loop_fork(loop);
  if (error) die("uv_loop_fork", -error);
  if (take_worker_tasks(loop) != 0) die("the worker tasks' handles", ENOMEM);
}

static napi_value serve(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char hello[MAX_HELLO];
  static char probe[65536];
  size_t length = 0, probe_length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < 2 ||
      napi_get_value_string_utf8(env, argv[0], hello, sizeof hello, &length) != 0 ||
      napi_get_value_string_utf8(env, argv[1], probe, sizeof probe, &probe_length) != 0) {
    napi_throw_error(env, NULL, "forker: serve(hello, probe) takes the ready event and a probe cell's code as strings");
    return NULL;
  }
  struct uv_loop_s *loop;
  if (napi_get_uv_event_loop(env, &loop) != 0) {
    napi_throw_error(env, NULL, "forker: no event loop");
    return NULL;
  }
  if (receive_settings() != 0) return fail(env, "the zygote's settings");
  if (copy_every_mapping() != 0) return fail(env, "/proc/self/maps");
  if (list_forker_fds() != 0) return fail(env, "/proc/self/fd");
  if (run_worker_tasks_here() != 0) return fail(env, "NodePlatform's worker tasks (a Node.js built without its symbols?)");
  struct cellstart_code cell = {probe, probe_length};
  if (cellstart_learn(&start, &cell)) {
    // The probe: the forker's descriptors closed but its report's, as a cell's are.
    close_forker_fds();
  } else {
    cellstart_huge_reads(&start);
    // Warm and about to fork: the zygote says ready on this.
    if (send(REQUESTS, hello, length, MSG_NOSIGNAL) != (ssize_t)length) return fail(env, "the ready message");
    if (cellstart_forker(REQUESTS, EXITS, &start) != 0) return boolean(env, false);
    // A cell's process.
    if (arrange_fds() != 0) die("dup2 a pipe", errno);
  }
  after_fork(loop);
  if (!cellstart_probing() && cellstart_isolate(&start) != 0) die(cellstart_step, errno);
  if (napi_add_env_cleanup_hook(env, natural_end, NULL) != 0) die("the exit hook", ENOMEM);
  return boolean(env, true);
}

// The events that end the cell (its error if any, then `done`), written as its process leaves:
// after every 'exit' listener, so that nothing the cell prints comes after its `done`.
static char *ending;
static size_t ending_length;
static int ending_code;

static napi_value end_with(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *data;
  size_t length;
  int32_t code = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < 2 ||
      napi_get_buffer_info(env, argv[0], &data, &length) != 0 || napi_get_value_int32(env, argv[1], &code) != 0) {
    napi_throw_error(env, NULL, "forker: endWith(events, code) takes a Buffer and an exit status");
    return NULL;
  }
  char *copy = malloc(length ? length : 1);
  if (!copy) {
    napi_throw_error(env, NULL, "forker: out of memory");
    return NULL;
  }
  memcpy(copy, data, length);
  free(ending);
  ending = copy;
  ending_length = length;
  ending_code = code;
  return NULL;
}

// Writes the ending, then closes the cell's pipes before the exit, as a Python cell does: the exit
// unmaps Node's memory first, and the device sees the end of the output only when they close.
static _Noreturn void leave_now(int code) {
  if (ending_length) {
    int flags = fcntl(EVENT_FD, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK)) fcntl(EVENT_FD, F_SETFL, flags & ~O_NONBLOCK);
    if (cellstart_write_all(EVENT_FD, ending, ending_length) != 0) {
      // the device is gone: nobody reads the end
    }
  }
  for (int fd = 0; fd < CELL_PIPES; fd++) close(fd);
  cellstart_leave(code);
}

// process.exit() in a cell: after its 'exit' listeners.
static napi_value leave(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t code = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == 0 && argc >= 1) napi_get_value_int32(env, argv[0], &code);
  leave_now(code);
}

// A cell whose event loop emptied: Node has emitted 'beforeExit' and 'exit' as for `node
// file.js`, and is tearing its environment down, which would join the platform's threads. The
// hook, added last, is the first to run.
static void natural_end(void *unused) {
  (void)unused;
  leave_now(ending_code);
}

static napi_value own_pid(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  if (napi_create_int32(env, (int32_t)getpid(), &result) != 0) return NULL;
  return result;
}

napi_value napi_register_module_v1(napi_env env, napi_value exports);
napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  napi_value function;
  if (napi_create_function(env, "serve", (size_t)-1, serve, NULL, &function) != 0 ||
      napi_set_named_property(env, exports, "serve", function) != 0 ||
      napi_create_function(env, "exit", (size_t)-1, leave, NULL, &function) != 0 ||
      napi_set_named_property(env, exports, "exit", function) != 0 ||
      napi_create_function(env, "endWith", (size_t)-1, end_with, NULL, &function) != 0 ||
      napi_set_named_property(env, exports, "endWith", function) != 0 ||
      napi_create_function(env, "pid", (size_t)-1, own_pid, NULL, &function) != 0 ||
      napi_set_named_property(env, exports, "pid", function) != 0 ||
      napi_create_function(env, "interruptOn", (size_t)-1, interrupt_on, NULL, &function) != 0 ||
      napi_set_named_property(env, exports, "interruptOn", function) != 0 ||
      napi_create_function(env, "interruptedAt", (size_t)-1, interrupted_where, NULL, &function) != 0 ||
      napi_set_named_property(env, exports, "interruptedAt", function) != 0 ||
      napi_create_function(env, "interruptRequested", (size_t)-1, interrupt_requested, NULL, &function) != 0 ||
      napi_set_named_property(env, exports, "interruptRequested", function) != 0)
    return NULL;
  return exports;
}
