import { setTimeout as sleep } from 'node:timers/promises';
import type { Contender } from './contenders';
import { measureTree, type TreeMemory } from './memory';

/**
 * The tree's memory, sampled `count` times `gapMs` apart; the sample with the median PSS.
 * One sample can land on a GC or a page task; three rarely all do.
 */
export async function sampleMemory(run: Contender, count = 3, gapMs = 500): Promise<TreeMemory> {
  const samples: TreeMemory[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await sleep(gapMs);
    samples.push(await measureTree(run.child.pid, [run.profileDir]));
    // A tree without its node process is not the contender any more.
    if (run.child.hasExited) throw new Error(`${run.child.name} exited before its memory was sampled:\n${run.child.tail()}`);
  }
  samples.sort((a, b) => a.pss - b.pss);
  return samples[Math.floor(samples.length / 2)] as TreeMemory;
}
