// The warm pools: every cell gets a fresh worker (nothing one cell does is seen by the next),
// and a pool whose workers crash fills up again.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, run, startCellbox, stdout, until, type Cellbox } from '../helpers/cellbox';

let box: Cellbox;
/** A copy of workers/ of this Cellbox's own: its path in a sandbox's command line marks its sandboxes. */
const workersCopy = mkdtempSync(path.join(os.tmpdir(), 'cellbox-pool-workers-'));

beforeAll(async () => {
  cpSync(path.resolve(import.meta.dirname, '..', '..', 'workers'), workersCopy, { recursive: true });
  box = await startCellbox({ CELLBOX_CONCURRENCY: '1', CELLBOX_WORKERS_DIR: workersCopy });
});

afterAll(async () => {
  await box?.stop();
  rmSync(workersCopy, { recursive: true, force: true });
});

/** Every process on the host: its pid, its parent's and its command line. */
function psRows() {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' }).trim().split('\n').map((l) => {
    const [pid, ppid, ...args] = l.trim().split(/\s+/);
    return { pid: Number(pid), ppid: Number(ppid), args: args.join(' ') };
  });
}

/** This Cellbox's Python worker processes: the fork servers (zygotes), their forkers and the cells. */
function pythonProcesses() {
  // The device is the ancestor: only workers of this test's Cellbox count.
  const rows = psRows();
  const parent = new Map(rows.map((r) => [r.pid, r.ppid]));
  const under = (pid: number) => {
    for (let p = parent.get(pid); p; p = parent.get(p)) if (p === box.device.pid) return true;
    return false;
  };
  const python = rows.filter((r) => /^\/usr\/bin\/python3 -I \S*kernel\.py( --fork-server=.*)?$/.test(r.args) && under(r.pid));
  const isPython = new Set(python.map((r) => r.pid));
  const hasChild = (pid: number) => python.some((c) => c.ppid === pid);
  // How deep in PID namespaces a process is: a cell's own processes are one level below the sandbox.
  // A process that ended since `ps` listed it has no depth (0), so it counts as no worker.
  const depth = (pid: number) => {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      return 0;
    }
    return /^NSpid:(.*)$/m.exec(status)?.[1].trim().split(/\s+/).length ?? 0;
  };
  return {
    /** Warm workers waiting for code: the cells' own processes, forked into namespaces of their own, with nothing below them. */
    workers: python.filter((r) => isPython.has(r.ppid) && !hasChild(r.pid) && depth(r.pid) === 3).map((r) => r.pid),
    /** The fork servers: the Python processes bwrap started, parents of the forkers. */
    zygotes: python.filter((r) => !isPython.has(r.ppid) && hasChild(r.pid)).map((r) => r.pid),
    /** Each zygote's forker, the cells' parent: its child in the sandbox's own PID namespace. */
    forkers: python.filter((r) => isPython.has(r.ppid) && !isPython.has(parent.get(r.ppid) ?? 0) && depth(r.pid) === 2).map((r) => r.pid),
  };
}

function pythonWorkers(): number[] {
  return pythonProcesses().workers;
}

/**
 * Kills each Python fork server's zygote or forker, waits for new fork servers with full pools
 * (their warm cells die with them; new ones are forked), and runs a cell on each.
 */
async function killAndSeeReplaced(which: 'zygotes' | 'forkers', said: string): Promise<void> {
  // Python has two: the full zygote and the light one (nothing preloaded), two warm cells each.
  await until('full python pools', () => pythonWorkers().length >= 4 && pythonProcesses()[which].length === 2);
  const { zygotes, workers, [which]: killed } = pythonProcesses();
  for (const pid of killed) process.kill(pid, 'SIGKILL');
  await until('new fork servers with full pools', () => {
    const now = pythonProcesses();
    return now.zygotes.length === 2 && now.zygotes.every((p) => !zygotes.includes(p)) && now.workers.length >= 4 && now.workers.every((p) => !workers.includes(p));
  });
  expect(stdout(await run(box.url, `print("${said}")`))).toBe(`${said}\n`);
  expect(stdout(await run(box.url, 'import numpy\nprint("and the full one")'))).toBe('and the full one\n');
}

/**
 * Kills the one parent `processes()` names (its children die with it), and waits until there is
 * one new parent again, with children that are all new.
 */
async function killAndSeeNew(what: string, processes: () => { parents: number[]; children: number[] }): Promise<void> {
  const { parents, children } = processes();
  process.kill(parents[0], 'SIGKILL');
  await until(what, () => {
    const now = processes();
    return now.parents.length === 1 && now.parents[0] !== parents[0] && now.children.length >= 1 && now.children.every((p) => !children.includes(p));
  });
}

describe('warm pools', () => {
  it('give every cell a fresh worker: no variable, file, environment or module survives', async () => {
    const first = await run(box.url, [
      'import os, sys, json',
      'secret = 42',
      'open("left-behind.txt", "w").write("x")',
      'os.environ["CELLBOX_LEAK"] = "1"',
      'json.dumps = None',
      'sys.modules["planted"] = sys',
      'print("planted")',
    ].join('\n'));
    expect(stdout(first)).toBe('planted\n');
    const second = await run(box.url, [
      'import os, sys, json',
      'print("secret" in globals(), os.path.exists("left-behind.txt"), os.listdir("."), "CELLBOX_LEAK" in os.environ, json.dumps is None, "planted" in sys.modules)',
    ].join('\n'));
    expect(stdout(second)).toBe('False False [] False False False\n');
  });

  it('give every JavaScript cell a fresh worker too', async () => {
    await run(box.url, 'globalThis.leak = 1; process.env.CELLBOX_LEAK = "1"; require("fs").writeFileSync("left.txt", "x")', 'javascript');
    const next = await run(box.url, 'console.log(typeof leak, process.env.CELLBOX_LEAK, require("fs").readdirSync(".").length)', 'javascript');
    expect(stdout(next)).toBe('undefined undefined 0\n');
  });

  it("give each forked JavaScript cell its own Math.random: V8's, seeded once in the forker, gave every cell the same numbers", async () => {
    const draws: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ms = await run(box.url, 'const xs = [Math.random(), Math.random(), ...Array.from({ length: 600 }, Math.random)];\nconsole.log(xs.every((x) => x >= 0 && x < 1), new Set(xs).size, xs[0])', 'javascript');
      const [inRange, distinct, first] = stdout(ms).trim().split(' ');
      expect([inRange, distinct]).toEqual(['true', '602']);
      draws.push(first);
    }
    expect(new Set(draws).size).toBe(3);
  });

  it('give a forked JavaScript cell its own pid: process.pid, process.ppid, and process.kill(process.pid) reach the cell', async () => {
    // Node reads process.pid once, at its start: a forked cell had the forker's, which in the
    // cell's PID namespace could be one of the cell's own children.
    const code = `
const cp = require('child_process'), fs = require('fs');
const children = [cp.spawn('sleep', ['5']), cp.spawn('sleep', ['5']), cp.spawn('sleep', ['5'])];
const stat = fs.readFileSync('/proc/self/stat', 'utf8');
const report = (signalled) => {
  clearTimeout(fallback);
  console.log(JSON.stringify({
    signalled, pid: process.pid === Number(fs.readlinkSync('/proc/self')),
    ppid: process.ppid === Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]),
    childrenSignalled: children.map((c) => c.signalCode),
  }));
  for (const c of children) c.kill('SIGKILL');
};
process.on('SIGTERM', () => report(true));
const fallback = setTimeout(() => report(false), 2000);
process.kill(process.pid, 'SIGTERM');`;
    const ms = await run(box.url, code, 'javascript');
    expect(errorOf(ms)).toBeUndefined();
    expect(JSON.parse(stdout(ms))).toEqual({ signalled: true, pid: true, ppid: true, childrenSignalled: [null, null, null] });
  });

  it('fork JavaScript cells from a warm Node, each ending as `node` would: after a fetch, a Worker, process.exit', async () => {
    /** This Cellbox's JavaScript forker (workers/node/forker.c) and its children, the warm cells. */
    const javascript = () => {
      const rows = psRows();
      const parent = new Map(rows.map((r) => [r.pid, r.ppid]));
      const under = (pid: number) => {
        for (let p = parent.get(pid); p; p = parent.get(p)) if (p === box.device.pid) return true;
        return false;
      };
      const nodes = rows.filter((r) => / \S*node\/kernel\.cjs --forker$/.test(r.args) && under(r.pid));
      const forkers = nodes.filter((r) => !nodes.some((n) => n.pid === r.ppid)).map((r) => r.pid);
      return { forkers, cells: nodes.filter((r) => forkers.includes(r.ppid)).map((r) => r.pid) };
    };
    await until('a JavaScript forker with warm cells', () => javascript().forkers.length === 1 && javascript().cells.length >= 1);

    // undici compiles its HTTP parser (WebAssembly) with V8 helper tasks, which a forked process
    // runs on its own thread: without that, the cell never ended (its wall-time limit did).
    const fetched = await run(box.url, "await fetch('http://127.0.0.1:1/')", 'javascript');
    expect(errorOf(fetched)).toMatchObject({ ename: 'TypeError', evalue: 'fetch failed' });
    const worker = "const { Worker } = require('node:worker_threads');\n" +
      "new Worker('require(\"node:worker_threads\").parentPort.postMessage(6 * 7)', { eval: true }).on('message', (m) => console.log(m));";
    expect(stdout(await run(box.url, worker, 'javascript'))).toBe('42\n');
    const exited = await run(box.url, "console.log('leaving');\nsetTimeout(() => process.exit(3), 10);", 'javascript');
    expect(stdout(exited)).toBe('leaving\n');
    expect(errorOf(exited)).toMatchObject({ ename: 'ProcessExit', evalue: 'process.exit(3)' });
    expect(stdout(await run(box.url, "setTimeout(() => console.log('later'), 20);", 'javascript'))).toBe('later\n');
    // The cell's own listeners run as under `node`, and `done` comes after all they print.
    const listeners = await run(box.url, [
      "process.on('beforeExit', () => { if (!globalThis.again) { globalThis.again = true; setTimeout(() => console.log('more'), 5); } });",
      "process.on('exit', (code) => console.log('exit', code));",
      "console.log('start')",
    ].join('\n'), 'javascript');
    expect(stdout(listeners)).toBe('start\nmore\nexit 0\n');
    const failedListener = await run(box.url, "process.on('exit', () => console.log('last words'));\nnull.x", 'javascript');
    expect(stdout(failedListener)).toBe('last words\n');
    expect(errorOf(failedListener)).toMatchObject({ ename: 'TypeError' });
    // The forker had gc() to collect before serving; a cell's contexts do not.
    expect(stdout(await run(box.url, "console.log(typeof gc, require('node:vm').runInNewContext('typeof gc'))", 'javascript'))).toBe('undefined undefined\n');

    // The forker's pages a cell's path writes were copied into it before its code came (forker.c
    // learn_pages(), from a probe that runs a cell as cells run): its first console.log took some
    // 50 copy-on-write faults without, 3 when the probe called the cell's steps itself, 0-1 after
    // that, 6-8 since the worker wraps process.emit, 2 since it takes import declarations (the
    // same in every run of one build: where this cell's own allocations land, which the probe's
    // differ from, moves with the worker's code).
    const faults = await run(box.url, 'const before = process.resourceUsage().minorPageFault;\nconsole.log(1 + 1);\nconsole.log(process.resourceUsage().minorPageFault - before);', 'javascript');
    const [two, taken] = stdout(faults).trim().split('\n');
    expect(two).toBe('2');
    expect(Number(taken)).toBeLessThan(12);

    // A forker that dies takes its warm cells along; its zygote ends and a new fork server comes.
    await killAndSeeNew('a new JavaScript forker with warm cells', () => {
      const { forkers, cells } = javascript();
      return { parents: forkers, children: cells };
    });
    expect(stdout(await run(box.url, 'console.log("after the forker died")', 'javascript'))).toBe('after the forker died\n');
  });

  it('fill up again when warm workers are killed, and cells still run', async () => {
    await until('a full python pool', () => pythonWorkers().length >= 2);
    const before = pythonWorkers();
    for (const pid of before) process.kill(pid, 'SIGKILL');
    await until('the pool to refill with new workers', () => {
      const now = pythonWorkers();
      return now.length >= before.length && now.every((p) => !before.includes(p));
    });
    expect(stdout(await run(box.url, 'print("after the crash")'))).toBe('after the crash\n');
  });

  it('start new fork servers when the old ones are killed, and cells still run', async () => {
    await killAndSeeReplaced('zygotes', 'after the fork server died');
  });

  it('make Python spares at the lowest CPU priority, and run each cell at the normal one', async () => {
    // Only a device running as root can raise a spare again (device/sandbox.ts SPARE_NICE).
    const spareNice = process.getuid?.() === 0 ? 19 : 0;
    const nice = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
    // Warm pools (each spare has started its output flusher, just before it says ready): a cell
    // that found none warm would wait, and spares made while it waits are raised for it. At
    // the lowest priority on a busy machine (the other test files' cells), that takes a while.
    const tasks = (pid: number) => {
      try {
        return readdirSync(`/proc/${pid}/task`).length;
      } catch {
        return 0;
      }
    };
    await until('warm python pools', () => {
      const workers = pythonWorkers();
      return workers.length >= 4 && workers.every((p) => tasks(p) >= 2);
    }, 60_000);
    await new Promise((r) => setTimeout(r, 500)); // their `ready` read by the device
    // Spares made while a cell waited (an earlier test's) were raised for it and may stay warm
    // at the normal priority; the replacements of the spares taken here are made while none
    // waits: at the spare's.
    const before = pythonWorkers();
    // Each thread's priority: the worker's output flusher thread starts before the code comes.
    const threads = 'print(sorted({int(open(f"/proc/self/task/{t}/stat").read().rsplit(") ", 1)[1].split()[16]) for t in os.listdir("/proc/self/task")}))';
    expect(stdout(await run(box.url, `import os\n${threads}`))).toBe('[0]\n');
    expect(stdout(await run(box.url, `import numpy, os\n${threads}`))).toBe('[0]\n');
    await until('two replacements at the spare priority', () => pythonWorkers().filter((p) => !before.includes(p) && nice(p) === spareNice).length >= 2);
  }, 120_000);

  it('start new fork servers when their forkers are killed, and cells still run', async () => {
    // The cells die with their parent; a zygote whose forker is gone ends, and is replaced.
    await killAndSeeReplaced('forkers', 'after the forker died');
  });

  it('start sandboxes without a fork server from the spawner, never from the device, and survive its death', async () => {
    /** The spawner under this test's device, and the Bash sandboxes (bwrap) under any process. */
    const processes = () => {
      const rows = psRows();
      const spawners = rows.filter((r) => r.ppid === box.device.pid && / \S*device\/spawner\.py$/.test(r.args)).map((r) => r.pid);
      const sandboxes = rows.filter((r) => /^(setpriv .* -- )?bwrap .*\/bash\/kernel\.sh$/.test(r.args));
      return { spawners, bash: sandboxes.filter((r) => spawners.includes(r.ppid)).map((r) => r.pid), fromDevice: sandboxes.filter((r) => r.ppid === box.device.pid) };
    };
    await until('warm Bash workers under the spawner', () => processes().spawners.length === 1 && processes().bash.length >= 1);
    expect(processes().fromDevice).toEqual([]);
    // Its sandboxes die with it (bwrap's --die-with-parent); a new spawner starts new ones.
    await killAndSeeNew('a new spawner with new Bash workers', () => {
      const { spawners, bash } = processes();
      return { parents: spawners, children: bash };
    });
    expect(stdout(await run(box.url, 'echo "after the spawner died"', 'bash'))).toBe('after the spawner died\n');
  });

  it('end a cell whose worker dies mid-run with WorkerCrashed, and run the next', async () => {
    const ms = await run(box.url, 'import os, signal\nprint("going", flush=True)\nos.kill(os.getpid(), signal.SIGKILL)');
    expect(stdout(ms)).toBe('going\n');
    expect(errorOf(ms)?.ename).toBe('WorkerCrashed');
    expect(stdout(await run(box.url, 'print("next")'))).toBe('next\n');
  });

  it('leave no process of a sandbox behind when the device stops while sandboxes are starting', async () => {
    // bubblewrap 0.8 leaves a sandbox's init blocked for ever if bwrap is killed between making
    // it and setting up its user namespace; the spawner, as subreaper, kills such orphans.
    const processes = () => psRows().filter((r) => r.args.includes('bwrap') || r.args.includes('kernel'));
    /** The folder bound as the workers in this Cellbox's sandboxes (a copy, as root). */
    const boundWorkers = () => {
      for (const r of processes()) {
        const m = / --ro-bind (\S+) \/opt\/cellbox\/workers /.exec(r.args);
        if (m && (m[1] === workersCopy || m[1].includes('cellbox-workers-'))) {
          // As root the device binds a copy of its own: find the one under this device.
          const parent = new Map(psRows().map((x) => [x.pid, x.ppid]));
          for (let p = parent.get(r.pid); p; p = parent.get(p)) if (p === box.device.pid) return m[1];
        }
      }
      return null;
    };
    /** Processes of this Cellbox's sandboxes still alive after 3 s: none may outlive the device. */
    const leftBehind = async (marker: string) => {
      const find = () => readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(marker);
        } catch {
          return false;
        }
      });
      for (const end = Date.now() + 3000; find().length && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
      return find();
    };
    for (let round = 0; round < 3; round++) {
      await until('full pools', () => pythonWorkers().length >= 4 && boundWorkers() !== null);
      await until('warm sandboxes of every language', () => psRows().filter((r) => / \/opt\/cellbox\/workers\/(node|bash)\//.test(r.args)).length >= 2);
      const marker = boundWorkers()!;
      // Kill the fork servers and the other languages' warm sandboxes (bwrap), so that new
      // sandboxes are starting as the device stops.
      const spawner = psRows().find((r) => r.ppid === box.device.pid && / \S*device\/spawner\.py$/.test(r.args))!;
      for (const r of psRows()) if (r.ppid === spawner.pid) process.kill(r.pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, round * 5));
      await box.killDevice('SIGTERM');
      expect(await leftBehind(marker)).toEqual([]);
      await box.startDevice();
    }
    expect(stdout(await run(box.url, 'print("after the restarts")'))).toBe('after the restarts\n');
  });
});
