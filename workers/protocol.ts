// The wire contract between the device and a language worker running inside the sandbox.
// The worker side owns it; the device imports these types only. Workers are plain programs
// (Python, JavaScript, Bash) and follow this text, not this file.
//
// 1. The device starts the worker in a fresh sandbox with four descriptors: 0 stdin, 1 stdout,
//    2 stderr, 3 the event pipe (worker → device). Any other inherited descriptor the worker
//    closes at once.
// 2. When warm (runtime started, heavy imports done), the worker writes one `ready` event on
//    fd 3 and then reads the cell's code from stdin until end of file (UTF-8, no framing; the
//    device drops a byte-order mark the code was sent with).
// 3. It runs the code with fd 0 at /dev/null. Bytes the code writes to fd 1 and 2 become
//    stream output; richer output comes as events on fd 3, one JSON object per line.
//    A worker may route its language's own print function through `stream` events so that
//    text and displays keep their order.
// 4. When the code is finished, the worker writes `done` and may exit. The device then kills
//    the whole sandbox: anything the cell left running dies with it.
// A worker that exits, or is killed, without `done` has crashed (or hit a limit).
// 5. A worker whose `ready` says `"interrupt": true` takes a SIGINT (to its process, or, in a
//    sandbox of its own, to every process of the sandbox's process group, as Ctrl-C reaches a
//    terminal's foreground jobs) as the reader
//    stopping the cell (Jupyter's interrupt): it ends the cell at once with an `error` event
//    whose ename is `KeyboardInterrupt` and whose traceback shows where the cell was, then
//    `done`. The device names that error `Interrupted`, and kills the sandbox if the cell has
//    not ended within its grace (config `interruptGraceSeconds`). Other workers are killed.
// 6. A worker whose `ready` says `"options": true` reads, before the code, one line of JSON: the
//    cell's options, an object. `interact` is the values a page sent for the cell's interacts
//    (docs/api.md), an object of interact id to control name to value, or null. `linked` is
//    the code of the linked cells before the cell on its page, a list of strings in page order,
//    or null: the worker runs each first, in the cell's namespace, with its output (streams,
//    displays, the raw fds 1 and 2) thrown away, and ends the cell with an `error` naming the
//    first that fails (docs/api.md, "Linked cells"), its own code not run. `outputBytes` is the
//    cell's output limit (config `outputBytes`), a number, or null: what the device counts is
//    every byte of every event line and of fds 1 and 2, and each message's envelope; past it the
//    cell ends with `OutputLimitExceeded`. A worker with two ways to show something may take the
//    smaller where the larger would not fit in what is left (Sage: a 3D graphic's PNG for its
//    page). A limit per cell, so an option, not in `ready`, which comes before the worker knows
//    its cell (a pool's worker serves whichever cell comes next). The device
//    writes that line to such a worker only, whatever the cell's language; the rest of stdin
//    is the code, as in 2. (The values never travel in the environment, which the server's must
//    not reach, nor in a file the cell would list among its own.)
// Events from the cell's own code can be forged: the device treats them as untrusted output.

export type WorkerEvent =
  | { type: 'ready'; language: string; version: string; interrupt?: boolean; options?: boolean }
  | { type: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | { type: 'display_data'; data: Record<string, unknown>; metadata?: Record<string, unknown>; transient?: { display_id?: string } }
  | { type: 'update_display_data'; data: Record<string, unknown>; metadata?: Record<string, unknown>; transient: { display_id: string } }
  | { type: 'execute_result'; data: Record<string, unknown>; metadata?: Record<string, unknown> }
  | { type: 'clear_output'; wait?: boolean }
  | { type: 'error'; ename: string; evalue: string; traceback: string[] }
  | { type: 'done'; status: 'ok' | 'error' };

/** The fd number of the event pipe inside the sandbox. */
export const EVENT_FD = 3;

/** Where the worker programs are mounted inside the sandbox (read-only). */
export const WORKERS_MOUNT = '/opt/cellbox/workers';

/** The cell's working directory inside the sandbox: a private tmpfs, also $HOME. */
export const CELL_DIR = '/cell';
