// Work on the page's layout done once per animation frame, for every cell of the page together:
// first every job reads (where a box is scrolled to), then every job writes (new text), then
// every job settles (reads the new size once, and scrolls). A stream's messages come many to a
// poll's answer, each one done at once read and wrote the layout in turn, and each read after
// a write made the browser lay the page out again: twice per message.

export interface FrameJob {
  /** Reads the layout; changes nothing. */
  read(): void;
  /** Changes the DOM; reads no layout. */
  write(): void;
  /** After every job wrote: may read the layout (laid out once for all) and scroll. */
  settle(): void;
}

const queues = new WeakMap<Window, Set<FrameJob>>();

/** Runs `job` in the next animation frame of `win` (once, however often it is asked for). */
export function inNextFrame(win: Window, job: FrameJob): void {
  let jobs = queues.get(win);
  if (!jobs) {
    jobs = new Set();
    queues.set(win, jobs);
    win.requestAnimationFrame(() => {
      const due = queues.get(win);
      queues.delete(win);
      if (due) run([...due]);
    });
  }
  jobs.add(job);
}

/** Runs the given jobs now, if they wait for a frame (a cell ended: its output is whole at once). */
export function runNow(win: Window, jobs: Iterable<FrameJob>): void {
  const queued = queues.get(win);
  const due = [...jobs].filter((j) => queued?.delete(j));
  run(due);
}

/** Takes jobs out of the next frame (their output was cleared). */
export function cancel(win: Window, jobs: Iterable<FrameJob>): void {
  const queued = queues.get(win);
  for (const j of jobs) queued?.delete(j);
}

function run(jobs: FrameJob[]): void {
  for (const j of jobs) j.read();
  for (const j of jobs) j.write();
  for (const j of jobs) j.settle();
}
