import { readProcFile } from './proc-files';

/** Memory of a set of processes, in bytes, from `/proc/<pid>/smaps_rollup`. */
export interface ProcessMemory {
  /** Proportional set size: shared pages split between their users. Sums without double counting. */
  readonly pss: number;
  /** Unique set size: Private_Clean + Private_Dirty, freed if the processes exit. */
  readonly uss: number;
  /** Resident set size: over-counts pages shared between the processes. */
  readonly rss: number;
  readonly processes: number;
}

const FIELDS = { Pss: 'pss', Rss: 'rss', Private_Clean: 'uss', Private_Dirty: 'uss' } as const;

/** Sums the memory of `pids`; processes that vanished meanwhile count as zero. Zeros off Linux. */
export async function measureProcesses(pids: readonly number[]): Promise<ProcessMemory> {
  const totals = { pss: 0, uss: 0, rss: 0, processes: 0 };
  await Promise.all(
    pids.map(async (pid) => {
      let text: string;
      try {
        text = (await readProcFile(`/proc/${pid}/smaps_rollup`)).toString('utf8');
      } catch {
        return;
      }
      totals.processes++;
      for (const line of text.split('\n')) {
        const match = /^(\w+):\s+(\d+) kB/.exec(line);
        const field = match?.[1] as keyof typeof FIELDS | undefined;
        if (match?.[2] === undefined || field === undefined || !(field in FIELDS)) continue;
        totals[FIELDS[field]] += Number(match[2]) * 1024;
      }
    }),
  );
  return totals;
}
