import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../common/map-limit';
import { readProcFile } from './proc-files';

/** The fields of `/proc/<pid>/stat` the session code needs. */
export interface ProcStat {
  /** One letter: R, S, D, Z (zombie), X (dead), ... */
  readonly state: string;
  readonly ppid: number;
  /** Field 22: clock ticks after boot. Together with the pid it names one process, even when pids get reused. */
  readonly startTime: number;
}

/** A process found holding a profile. The start time guards against signalling a reused pid. */
export interface ProfileProcess {
  readonly pid: number;
  readonly startTime: number;
}

export interface EndProcessesResult {
  /** Processes that are gone, whichever signal ended them. */
  readonly ended: readonly number[];
  /** Still there after SIGKILL (e.g. stuck in uninterruptible I/O). */
  readonly survivors: readonly number[];
}

const POLL_MS = 50;
/** How long a SIGKILLed process may take to disappear before we report it as a survivor. */
const KILL_WAIT_MS = 5_000;
/** Processes described at once in a scan of /proc (see `mapLimit`). */
const SCAN_CONCURRENCY = 8;

/** Null when the process is gone, or when there is no /proc (not Linux). */
export async function readProcStat(pid: number): Promise<ProcStat | null> {
  let text: string;
  try {
    text = (await readProcFile(`/proc/${pid}/stat`)).toString('utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const ppid = Number(fields[1]);
  const startTime = Number(fields[19]);
  if (state === undefined || !Number.isInteger(ppid) || !Number.isInteger(startTime)) return null;
  return { state, ppid, startTime };
}

/**
 * Every live process using `profileDir` as its Chromium profile, and all their descendants.
 *
 * Puppeteer starts Chromium detached, so a daemon killed with SIGKILL leaves its whole
 * Chromium tree running, holding the profile. Debian's Chromium passes `--user-data-dir`
 * on to its zygotes, renderers and utility processes, but other builds and forked helpers
 * need not, hence the descendants. Our own process is never included. Empty off Linux.
 */
export async function findProfileProcesses(profileDir: string, only: ProcessFilter = {}): Promise<ProfileProcess[]> {
  const pids = await listPids();
  if (pids.length === 0) return [];
  const targets = await profilePathForms(profileDir);
  const executables =
    only.executables === undefined ? null : new Set(await Promise.all(only.executables().map((file) => realpath(file).catch(() => file))));
  const infos = await mapLimit(pids, SCAN_CONCURRENCY, describeProcess);
  const live = infos.filter(
    (info): info is ProcessInfo => info !== null && !isGone(info.stat.state) && (only.uid === undefined || info.uid === only.uid),
  );

  const childrenOf = new Map<number, ProcessInfo[]>();
  for (const info of live) {
    const siblings = childrenOf.get(info.stat.ppid) ?? [];
    siblings.push(info);
    childrenOf.set(info.stat.ppid, siblings);
  }

  const matched = new Map<number, ProcessInfo>();
  const uses = await mapLimit(
    live,
    SCAN_CONCURRENCY,
    async (info) => (await usesProfile(info, targets)) && (executables === null || (await runs(info.pid, executables))),
  );
  const queue = live.filter((_, index) => uses[index]);
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    if (matched.has(next.pid) || next.pid === process.pid) continue;
    matched.set(next.pid, next);
    queue.push(...(childrenOf.get(next.pid) ?? []));
  }
  return [...matched.values()].map(({ pid, stat }) => ({ pid, startTime: stat.startTime }));
}

/**
 * Narrows a scan to processes this daemon could have started: of our user, running one of
 * the browser's binaries. Argv text alone is not enough: any process (of another user, or a
 * script that merely mentions the path) can carry `--user-data-dir=<profile>`.
 */
export interface ProcessFilter {
  readonly uid?: number;
  /** `/proc/<pid>/exe` must resolve to one of these (compared by real path); asked at every scan, as they may be learned meanwhile. */
  readonly executables?: () => readonly string[];
}

async function runs(pid: number, executables: ReadonlySet<string>): Promise<boolean> {
  const exe = await readlink(`/proc/${pid}/exe`).catch(() => null);
  // A binary replaced by a package upgrade while it runs shows as "<path> (deleted)".
  return exe !== null && executables.has(exe.replace(/ \(deleted\)$/, ''));
}

/**
 * SIGTERM, up to `graceMs` for a clean exit (Chromium flushes its profile on SIGTERM),
 * then SIGKILL. A zombie counts as gone: it holds no files, only waits for its parent.
 */
export async function endProcesses(processes: readonly ProfileProcess[], graceMs: number): Promise<EndProcessesResult> {
  // Re-checked right before signalling so a pid reused since the scan is left alone.
  signalAll(await filterRunning(processes), 'SIGTERM');
  let remaining = await waitUntilGone(processes, graceMs);
  if (remaining.length > 0) {
    signalAll(remaining, 'SIGKILL');
    remaining = await waitUntilGone(remaining, KILL_WAIT_MS);
  }
  const survivors = new Set(remaining.map((p) => p.pid));
  return {
    ended: processes.map((p) => p.pid).filter((pid) => !survivors.has(pid)),
    survivors: [...survivors],
  };
}

/** Whether this process (same pid and start time) still runs. */
export async function isRunning(proc: ProfileProcess): Promise<boolean> {
  const stat = await readProcStat(proc.pid);
  return stat !== null && stat.startTime === proc.startTime && !isGone(stat.state);
}

interface ProcessInfo {
  readonly pid: number;
  readonly uid: number;
  readonly stat: ProcStat;
  readonly args: readonly string[];
}

async function listPids(): Promise<number[]> {
  try {
    const names = await readdir('/proc');
    return names.filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return [];
  }
}

async function describeProcess(pid: number): Promise<ProcessInfo | null> {
  // Processes vanish, or belong to users we may not inspect, between the listing and the read.
  const [stat, cmdline, owner] = await Promise.all([
    readProcStat(pid),
    readProcFile(`/proc/${pid}/cmdline`).catch(() => null),
    lstat(`/proc/${pid}`).catch(() => null),
  ]);
  if (stat === null || cmdline === null || owner === null) return null;
  const args = cmdline.toString('utf8').split('\0');
  // A rewritten title leaves the rest of the old argv area as NULs (libuv) or one NUL (Chromium).
  while (args.at(-1) === '') args.pop();
  return { pid, uid: owner.uid, stat, args };
}

function isGone(state: string): boolean {
  return state === 'Z' || state === 'X' || state === 'x';
}

/** The profile as given and as the kernel sees it (a symlinked /tmp, a bind mount's path). */
async function profilePathForms(profileDir: string): Promise<Set<string>> {
  const resolved = path.resolve(profileDir);
  const forms = new Set([resolved]);
  const real = await realpath(resolved).catch(() => null);
  if (real !== null) forms.add(real);
  return forms;
}

const FLAG = '--user-data-dir';

async function usesProfile(info: ProcessInfo, targets: ReadonlySet<string>): Promise<boolean> {
  for (const value of userDataDirs(info.args)) {
    const dir = value.replace(/^(["'])(.*)\1$/, '$2');
    if (dir === '') continue;
    // A relative value is relative to the process's working directory, not ours.
    const base = path.isAbsolute(dir) ? '/' : await readlink(`/proc/${info.pid}/cwd`).catch(() => null);
    if (base === null) continue;
    const absolute = path.resolve(base, dir);
    if (targets.has(absolute)) return true;
    // The same directory reached through a symlink: rare, so only resolved when the names agree.
    if (sameBaseName(absolute, targets)) {
      const real = await realpath(absolute).catch(() => null);
      if (real !== null && targets.has(real)) return true;
    }
  }
  return false;
}

function sameBaseName(candidate: string, targets: ReadonlySet<string>): boolean {
  const name = path.basename(candidate);
  return [...targets].some((target) => path.basename(target) === name);
}

/**
 * The values given to `--user-data-dir`, in each form a command line may carry them:
 * `--user-data-dir=DIR`, `--user-data-dir DIR`, and a title rewritten into one
 * space-separated string, where DIR ends at the next ` --`. Chromium rewrites the title
 * of every child (zygote, gpu, utility, renderer) that way, and values such as
 * `--enable-crash-reporter=,built on Debian ...` contain spaces, so splitting on spaces would not do.
 */
function userDataDirs(args: readonly string[]): string[] {
  const [only] = args;
  if (args.length === 1 && only !== undefined && only.includes(' ')) return userDataDirsInTitle(only);
  const dirs: string[] = [];
  args.forEach((arg, index) => {
    if (arg === FLAG) {
      const next = args[index + 1];
      if (next !== undefined) dirs.push(next);
    } else if (arg.startsWith(`${FLAG}=`)) {
      dirs.push(arg.slice(FLAG.length + 1));
    }
  });
  return dirs;
}

function userDataDirsInTitle(title: string): string[] {
  const dirs: string[] = [];
  for (let at = title.indexOf(` ${FLAG}=`); at !== -1; at = title.indexOf(` ${FLAG}=`, at + 1)) {
    const start = at + FLAG.length + 2;
    const end = title.indexOf(' --', start);
    dirs.push(title.slice(start, end === -1 ? undefined : end).trimEnd());
  }
  return dirs;
}

function signalAll(processes: readonly ProfileProcess[], signal: NodeJS.Signals): void {
  for (const { pid } of processes) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone (ESRCH), or not ours to signal (EPERM): nothing more we can do here.
    }
  }
}

async function waitUntilGone(processes: readonly ProfileProcess[], timeoutMs: number): Promise<ProfileProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = await filterRunning(processes);
    if (running.length === 0 || Date.now() >= deadline) return running;
    await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
  }
}

async function filterRunning(processes: readonly ProfileProcess[]): Promise<ProfileProcess[]> {
  const running = await Promise.all(processes.map(isRunning));
  return processes.filter((_, index) => running[index]);
}
