/**
 * Idle cost: CPU time the whole tree (node and every Chromium process of it) burns while
 * `ready` with nothing to do, from /proc/<pid>/stat (utime + stime, in clock ticks). A
 * process that starts during the window counts from zero; one that ends is missed, which
 * in an idle window does not happen.
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Contender } from './contenders';
import { findTree } from './memory';

/** Linux's USER_HZ: /proc reports CPU times in 1/100 s on every architecture node runs on. */
const TICKS_PER_SECOND = 100;

export interface IdleCpu {
  /** CPU seconds per minute of wall time, summed over the tree (1 core flat out = 60). */
  readonly cpuSecPerMin: number;
  readonly windowMs: number;
}

async function ticks(pid: number): Promise<number | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

async function snapshot(run: Contender): Promise<Map<number, number>> {
  const tree = await findTree(run.child.pid, [run.profileDir]);
  const entries = await Promise.all(tree.map(async (p) => [p.pid, await ticks(p.pid)] as const));
  return new Map(entries.filter((e): e is readonly [number, number] => e[1] !== null));
}

export async function measureIdleCpu(run: Contender, windowMs: number): Promise<IdleCpu> {
  const before = await snapshot(run);
  const started = performance.now();
  await sleep(windowMs);
  const after = await snapshot(run);
  const elapsed = performance.now() - started;
  let used = 0;
  for (const [pid, now] of after) used += now - (before.get(pid) ?? 0);
  return { cpuSecPerMin: (used / TICKS_PER_SECOND / (elapsed / 1000)) * 60, windowMs: elapsed };
}
