/**
 * Memory of a whole process tree, from /proc/<pid>/smaps_rollup: a node process plus every
 * Chromium process that belongs to it.
 *
 * "Belongs" needs three rules, because Chromium does not stay a plain descendant:
 * - descendants of the root by ppid (the browser when it is not detached, its zygotes, ...);
 * - processes using the profile dir (`--user-data-dir`), and their descendants: puppeteer
 *   launches Chromium detached, and a browser reparented to init is still ours;
 * - Chromium's crashpad handlers, which double-fork away to init and carry no
 *   `--user-data-dir`: they inherit the browser's stdout/stderr, so a crashpad process whose
 *   stdio is the same pipe as one of our browsers' is ours.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { findProfileProcesses, readProcStat } from '../../src/chromium/chromium-processes';

export interface Smaps {
  /** Resident set size: counts every shared page in full, in every process. */
  readonly rss: number;
  /** Proportional set size: a shared page counts 1/n in each of the n processes mapping it. */
  readonly pss: number;
  /** Unique set size: Private_Clean + Private_Dirty, what ending the tree gives back. */
  readonly uss: number;
  /**
   * Pss_Anon + Pss_Shmem: heaps, stacks and the tree's own shared memory. Unlike PSS and USS
   * it does not depend on what else maps the same libraries (other Chromiums on the machine
   * turn our "private" library pages into shared ones), so it is the steadiest of the four.
   */
  readonly anon: number;
}

export interface ProcessMemory extends Smaps {
  readonly pid: number;
  /** node, browser, renderer, gpu-process, utility:<service>, zygote, crashpad, other. */
  readonly role: string;
}

export interface TreeMemory extends Smaps {
  readonly processes: readonly ProcessMemory[];
  /** Sums for node alone and for everything Chromium. */
  readonly node: Smaps;
  readonly chromium: Smaps;
}

export const ZERO: Smaps = Object.freeze({ rss: 0, pss: 0, uss: 0, anon: 0 });

interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly args: readonly string[];
}

/** Every process of the tree rooted at `rootPid`, with Chromium using `profileDir` included. */
export async function findTree(rootPid: number, profileDirs: readonly string[]): Promise<ProcInfo[]> {
  const all = await listProcesses();
  const byPid = new Map(all.map((p) => [p.pid, p]));
  const children = new Map<number, ProcInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);

  const members = new Map<number, ProcInfo>();
  const addWithDescendants = (pid: number): void => {
    const queue = [pid];
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      const info = byPid.get(next);
      if (info === undefined || members.has(next)) continue;
      members.set(next, info);
      queue.push(...(children.get(next) ?? []).map((c) => c.pid));
    }
  };
  addWithDescendants(rootPid);
  for (const dir of profileDirs) {
    for (const { pid } of await findProfileProcesses(dir)) addWithDescendants(pid);
  }

  const browserPipes = new Set<string>();
  for (const p of members.values()) {
    if (roleOf(p, rootPid) === 'browser') for (const target of await stdioPipes(p.pid)) browserPipes.add(target);
  }
  if (browserPipes.size > 0) {
    for (const p of all) {
      if (members.has(p.pid) || !isCrashpad(p)) continue;
      const pipes = await stdioPipes(p.pid);
      if (pipes.some((target) => browserPipes.has(target))) addWithDescendants(p.pid);
    }
  }
  return [...members.values()];
}

/** Sums smaps_rollup over the tree. Processes that exit while we read are skipped. */
export async function measureTree(rootPid: number, profileDirs: readonly string[]): Promise<TreeMemory> {
  const tree = await findTree(rootPid, profileDirs);
  const read = await Promise.all(
    tree.map(async (p): Promise<ProcessMemory | null> => {
      const smaps = await readSmaps(p.pid);
      return smaps === null ? null : { pid: p.pid, role: roleOf(p, rootPid), ...smaps };
    }),
  );
  const processes = read.filter((p): p is ProcessMemory => p !== null);
  return {
    ...sum(processes),
    processes,
    node: sum(processes.filter((p) => p.role === 'node')),
    chromium: sum(processes.filter((p) => p.role !== 'node')),
  };
}

/** Bytes, from the kB figures of /proc/<pid>/smaps_rollup; null when the process is gone. */
export async function readSmaps(pid: number): Promise<Smaps | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return null;
  }
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return match?.[1] === undefined ? 0 : Number(match[1]) * 1024;
  };
  return {
    rss: field('Rss'),
    pss: field('Pss'),
    uss: field('Private_Clean') + field('Private_Dirty'),
    anon: field('Pss_Anon') + field('Pss_Shmem'),
  };
}

export function sum(items: readonly Smaps[]): Smaps {
  return items.reduce((a, b) => ({ rss: a.rss + b.rss, pss: a.pss + b.pss, uss: a.uss + b.uss, anon: a.anon + b.anon }), ZERO);
}

/** A short per-role summary, e.g. "node 62, browser 70, renderer 2x41, ..." (PSS in MiB). */
export function describeRoles(memory: TreeMemory): string {
  const byRole = new Map<string, number[]>();
  for (const p of memory.processes) byRole.set(p.role, [...(byRole.get(p.role) ?? []), p.pss]);
  return [...byRole.entries()]
    .map(([role, values]) => {
      const mib = Math.round(values.reduce((a, b) => a + b, 0) / 2 ** 20);
      return values.length === 1 ? `${role} ${mib}` : `${role} ${values.length}x=${mib}`;
    })
    .join(', ');
}

function roleOf(p: ProcInfo, rootPid: number): string {
  if (p.pid === rootPid) return 'node';
  if (isCrashpad(p)) return 'crashpad';
  const joined = p.args.join(' ');
  const type = /--type=([\w-]+)/.exec(joined)?.[1];
  if (type === undefined) return /chrom/i.test(p.args[0] ?? '') ? 'browser' : 'other';
  if (type === 'utility') return `utility:${/--utility-sub-type=([\w.]+)/.exec(joined)?.[1]?.split('.')[0] ?? '?'}`;
  return type;
}

function isCrashpad(p: ProcInfo): boolean {
  return /crashpad/.test(p.args[0] ?? '');
}

/** `pipe:[inode]` / `socket:[inode]` targets of fds 1 and 2. */
async function stdioPipes(pid: number): Promise<string[]> {
  const targets = await Promise.all([1, 2].map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return targets.filter((t) => /^(pipe|socket):\[\d+\]$/.test(t));
}

async function listProcesses(): Promise<ProcInfo[]> {
  const names = await readdir('/proc').catch(() => [] as string[]);
  const infos = await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (name): Promise<ProcInfo | null> => {
        const pid = Number(name);
        const [stat, cmdline] = await Promise.all([readProcStat(pid), readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null)]);
        if (stat === null || cmdline === null || stat.state === 'Z') return null;
        const args = cmdline.split('\0');
        while (args.at(-1) === '') args.pop();
        // Chromium rewrites its children's titles into one space-separated string.
        const split = args.length === 1 ? (args[0] ?? '').split(' ') : args;
        return { pid, ppid: stat.ppid, args: split };
      }),
  );
  return infos.filter((p): p is ProcInfo => p !== null);
}
