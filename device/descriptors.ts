// Descriptors the device inherited from whoever started it. Node's spawn (libuv) passes every
// descriptor without close-on-exec to its children, and bwrap passes what it got on to the
// worker it runs in the sandbox: a descriptor left open by a shell, a supervisor or a CI runner
// (a pipe, a log file, a database) would reach every sandbox. Each worker closes what it does not
// know as it starts, but a sandbox should not get it at all, and bwrap's own processes keep such
// a descriptor for as long as they hang in their start-up. The device closes them before it
// starts anything. Its own descriptors, and Node's, are all close-on-exec.
import fs from 'node:fs';

const O_CLOEXEC = 0o2000000;

/** Whether `fd` of this process is passed on to children (its fdinfo flags lack O_CLOEXEC). */
function inheritable(fd: number): boolean {
  const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const flags = /^flags:\s*([0-7]+)$/m.exec(info);
  return flags !== null && (parseInt(flags[1], 8) & O_CLOEXEC) === 0;
}

/**
 * Closes every inheritable descriptor above 2, except Node's IPC channel to a parent that
 * asked for one. Returns the numbers it closed, for the log.
 */
export function closeInheritedDescriptors(): number[] {
  const keep = new Set([0, 1, 2]);
  if (process.env.NODE_CHANNEL_FD) keep.add(Number(process.env.NODE_CHANNEL_FD));
  const closed: number[] = [];
  for (const name of fs.readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (keep.has(fd)) continue;
    try {
      if (!inheritable(fd)) continue;
      fs.closeSync(fd);
      closed.push(fd);
    } catch {
      // gone in between: readdir's own descriptor, for one
    }
  }
  return closed;
}
