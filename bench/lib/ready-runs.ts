/**
 * Sections 1-3: restored starts of the daemon and of the bare client, alternating. Each run
 * is a fresh copy of that contender's paired profile: spawn, time to `ready` (and, for the
 * daemon, to the first 200 of /api/health), wait the settle time, sample the tree's memory,
 * stop.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchContext, type Contender, startBare, startDaemon } from './contenders';
import { endLeftovers } from '../../test/support/leftovers';
import { describeRoles, type TreeMemory } from './memory';
import { sampleMemory } from './sample';

export interface ReadyRun {
  readonly kind: 'daemon' | 'bare';
  readonly readyMs: number;
  readonly healthMs: number | null;
  readonly memory: TreeMemory;
}

export interface ReadyRunsOptions {
  readonly runs: number;
  readonly settleMs: number;
  readonly templates: { readonly daemon: string; readonly bare: string };
  readonly log: (line: string) => void;
}

export async function readyRuns(ctx: BenchContext, options: ReadyRunsOptions): Promise<ReadyRun[]> {
  const results: ReadyRun[] = [];
  for (let i = 0; i < options.runs; i++) {
    // Alternate who goes first, so a neighbour's load or a warming page cache hits both alike.
    const order = i % 2 === 0 ? (['daemon', 'bare'] as const) : (['bare', 'daemon'] as const);
    for (const kind of order) {
      const result = await readyRun(ctx, kind, options);
      results.push(result);
      options.log(
        `  run ${i + 1}/${options.runs} ${kind.padEnd(6)} ready ${Math.round(result.readyMs)} ms` +
          (result.healthMs === null ? '' : `, health ${Math.round(result.healthMs)} ms`) +
          `, PSS ${mibText(result.memory.pss)} USS ${mibText(result.memory.uss)} RSS ${mibText(result.memory.rss)} MiB` +
          ` in ${result.memory.processes.length} processes [${describeRoles(result.memory)}]`,
      );
    }
  }
  return results;
}

async function readyRun(ctx: BenchContext, kind: 'daemon' | 'bare', options: ReadyRunsOptions): Promise<ReadyRun> {
  const authPath = await ctx.dirs.copyOf(options.templates[kind], kind);
  if (kind === 'bare') return measureRun(startBare(ctx, authPath), Promise.resolve(null), options.settleMs);
  const daemon = await startDaemon(ctx, authPath, { timeHealth: true });
  return measureRun(daemon, daemon.healthMs, options.settleMs);
}

async function measureRun(run: Contender, healthMs: Promise<number | null>, settleMs: number): Promise<ReadyRun> {
  try {
    const readyMs = await run.waitForReady();
    const health = await healthMs;
    await sleep(settleMs);
    const memory = await sampleMemory(run);
    return { kind: run.kind, readyMs, healthMs: health, memory };
  } finally {
    await run.stop();
    // A browser left running would share pages with the next run and skew its PSS.
    const left = await endLeftovers(run.profileDir);
    if (left > 0) process.stderr.write(`  (${run.kind}: ended ${left} Chromium processes left after stop)\n`);
  }
}

function mibText(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
