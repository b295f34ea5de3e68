import { readdirSync, readFileSync } from 'node:fs';

const PAGE_KB = 4; // Linux x86-64 and arm64 page size, in KiB.
const CLOCK_TICKS = 100; // USER_HZ; what /proc/<pid>/stat counts CPU time in on Linux.

interface ProcStat {
  pid: number;
  ppid: number;
  /** User plus system time of the process and of the children it has reaped, in ms. */
  cpuMs: number;
  rssKb: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // Gone between listing and reading.
  }
  // The command name may hold spaces and parentheses; fields resume after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    ppid: Number(fields[1]),
    // utime, stime, cutime, cstime: renderers of closed pages have exited, but their time stays
    // counted in the browser that reaped them.
    cpuMs: ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS,
    rssKb: Number(fields[21]) * PAGE_KB,
  };
}

function allProcesses(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.push(stat);
  }
  return stats;
}

/** A process and all its descendants, as /proc shows them now. */
export function processTree(rootPid: number): ProcStat[] {
  const all = allProcesses();
  const children = new Map<number, ProcStat[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const root = all.find((p) => p.pid === rootPid);
  if (!root) return [];
  const tree: ProcStat[] = [];
  const todo = [root];
  while (todo.length) {
    const p = todo.pop()!;
    tree.push(p);
    todo.push(...(children.get(p.pid) ?? []));
  }
  return tree;
}

/** Resident memory of a process tree in MiB; shared pages count once per process, as RSS does. */
export function treeRssMb(rootPid: number): number {
  return processTree(rootPid).reduce((sum, p) => sum + p.rssKb, 0) / 1024;
}

/** CPU time of a process tree in ms, exited members included once their parent has reaped them. */
export function treeCpuMs(rootPid: number): number {
  return processTree(rootPid).reduce((sum, p) => sum + p.cpuMs, 0);
}

/** CPU of the local stack's parts over a span of its work, ms: the stack's Node process, the browser's tree (NaN without one) and the emulators' process. */
export interface StackCpu {
  node: number;
  browser: number;
  emulators: number;
}

/** Starts reading the CPU the stack's parts use; the function returned gives what they used since. */
export function stackCpuSince(pids: { browser?: number; emulators: number }): () => StackCpu {
  const node0 = process.cpuUsage();
  const browser0 = pids.browser ? treeCpuMs(pids.browser) : Number.NaN;
  const emulators0 = treeCpuMs(pids.emulators);
  return () => {
    const node = process.cpuUsage(node0);
    return {
      node: (node.user + node.system) / 1000,
      browser: pids.browser ? treeCpuMs(pids.browser) - browser0 : Number.NaN,
      emulators: treeCpuMs(pids.emulators) - emulators0,
    };
  };
}
