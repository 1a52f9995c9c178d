/**
 * Sections 1-3: restored starts of the daemon and of both bare contenders, in rotating order.
 * Each run is a fresh copy of that contender's paired profile: spawn, time to `ready` (and, for
 * the daemon, to the first 200 of /api/health), wait the settle time, sample the tree's memory,
 * then measure its idle CPU, stop.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchContext, type Contender, type ContenderKind, startContender, startDaemon } from './contenders';
import { endLeftovers } from '../../test/support/leftovers';
import { measureIdleCpu, type IdleCpu } from './cpu';
import { describeRoles, type TreeMemory } from './memory';
import { sampleMemory } from './sample';

export const KINDS: readonly ContenderKind[] = ['daemon', 'bare', 'bare-shell'];

export interface ReadyRun {
  readonly kind: ContenderKind;
  readonly readyMs: number;
  readonly healthMs: number | null;
  readonly memory: TreeMemory;
  readonly idle: IdleCpu;
}

export interface ReadyRunsOptions {
  readonly runs: number;
  readonly settleMs: number;
  /** The idle CPU window, after the memory sample. */
  readonly idleMs: number;
  readonly templates: Readonly<Record<ContenderKind, string>>;
  readonly log: (line: string) => void;
}

export async function readyRuns(ctx: BenchContext, options: ReadyRunsOptions): Promise<ReadyRun[]> {
  const results: ReadyRun[] = [];
  for (let i = 0; i < options.runs; i++) {
    // Rotate who goes first, so a neighbour's load or a warming page cache hits all alike.
    const order = KINDS.map((_, k) => KINDS[(k + i) % KINDS.length] as ContenderKind);
    for (const kind of order) {
      const result = await readyRun(ctx, kind, options);
      results.push(result);
      options.log(
        `  run ${i + 1}/${options.runs} ${kind.padEnd(10)} ready ${Math.round(result.readyMs)} ms` +
          (result.healthMs === null ? '' : `, health ${Math.round(result.healthMs)} ms`) +
          `, PSS ${mibText(result.memory.pss)} USS ${mibText(result.memory.uss)} RSS ${mibText(result.memory.rss)} MiB` +
          ` in ${result.memory.processes.length} processes [${describeRoles(result.memory)}], idle CPU ${result.idle.cpuSecPerMin.toFixed(2)} s/min`,
      );
    }
  }
  return results;
}

async function readyRun(ctx: BenchContext, kind: ContenderKind, options: ReadyRunsOptions): Promise<ReadyRun> {
  const authPath = await ctx.dirs.copyOf(options.templates[kind], kind);
  if (kind !== 'daemon') return measureRun(startContender(ctx, kind, authPath), Promise.resolve(null), options);
  const daemon = await startDaemon(ctx, authPath, { timeHealth: true });
  return measureRun(daemon, daemon.healthMs, options);
}

async function measureRun(run: Contender, healthMs: Promise<number | null>, options: ReadyRunsOptions): Promise<ReadyRun> {
  try {
    const readyMs = await run.waitForReady();
    const health = await healthMs;
    await sleep(options.settleMs);
    const memory = await sampleMemory(run);
    const idle = await measureIdleCpu(run, options.idleMs);
    return { kind: run.kind, readyMs, healthMs: health, memory, idle };
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

/** The median of each contender's ready-state PSS, and the daemon's ratio to each bare client. */
export function formatReady(runs: readonly ReadyRun[]): string {
  const medianPss = (kind: ContenderKind): number => {
    const values = runs
      .filter((r) => r.kind === kind)
      .map((r) => r.memory.pss)
      .sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)] ?? NaN;
  };
  const daemon = medianPss('daemon');
  const bare = medianPss('bare');
  const shell = medianPss('bare-shell');
  return [
    `ready-state PSS (medians of ${runs.length / KINDS.length} runs): daemon ${mibText(daemon)}, bare ${mibText(bare)}, bare shell ${mibText(shell)} MiB`,
    `daemon / bare (library defaults, full Chromium): ${(daemon / bare).toFixed(3)}x (target <= 0.45x)`,
    `daemon / bare shell (the daemon's flags): ${(daemon / shell).toFixed(3)}x`,
  ].join('\n');
}
