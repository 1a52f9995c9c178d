/**
 * Section 8: the browser table. A bare whatsapp-web.js Client on each browser build with the
 * library's default flags and with the daemon's lean set, in rotating order, medians: what
 * the build itself is worth, apart from our code.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { endLeftovers } from '../../test/support/leftovers';
import { type BareRun, type BenchContext, DAEMON_FLAGS, startBare } from './contenders';
import { pairTemplate } from './pairing';
import { sampleMemory } from './sample';
import { median } from './stats';

export interface BrowserSetup {
  readonly browser: 'full' | 'shell';
  readonly flags: 'library defaults' | "wa-tether's lean set";
}

export interface BrowserRow extends BrowserSetup {
  readonly pss: number;
  readonly processes: number;
  readonly readyMs: number;
  readonly runs: number;
}

const SETUPS: readonly BrowserSetup[] = [
  { browser: 'full', flags: 'library defaults' },
  { browser: 'full', flags: "wa-tether's lean set" },
  { browser: 'shell', flags: 'library defaults' },
  { browser: 'shell', flags: "wa-tether's lean set" },
];

function start(ctx: BenchContext, setup: BrowserSetup, authPath: string): BareRun {
  return startBare(ctx, authPath, { browser: setup.browser, ...(setup.flags === 'library defaults' ? {} : { chromiumArgs: DAEMON_FLAGS }) });
}

export async function browserTable(
  ctx: BenchContext,
  options: { runs: number; settleMs: number; log: (line: string) => void },
): Promise<BrowserRow[]> {
  const templates = [];
  for (const setup of SETUPS)
    templates.push(await pairTemplate(ctx, setup.browser === 'full' ? 'bare' : 'bare-shell', (authPath) => start(ctx, setup, authPath)));
  const samples = SETUPS.map(() => ({ pss: [] as number[], processes: [] as number[], readyMs: [] as number[] }));
  for (let i = 0; i < options.runs; i++) {
    for (let k = 0; k < SETUPS.length; k++) {
      const index = (k + i) % SETUPS.length;
      const setup = SETUPS[index] as BrowserSetup;
      const run = start(ctx, setup, await ctx.dirs.copyOf(templates[index] as string, 'table'));
      try {
        const readyMs = await run.waitForReady();
        await sleep(options.settleMs);
        const memory = await sampleMemory(run);
        const sample = samples[index];
        sample?.pss.push(memory.pss);
        sample?.processes.push(memory.processes.length);
        sample?.readyMs.push(readyMs);
        options.log(
          `  ${setup.browser} / ${setup.flags}: PSS ${(memory.pss / 2 ** 20).toFixed(1)} MiB in ${memory.processes.length} processes, ready ${Math.round(readyMs)} ms`,
        );
      } finally {
        await run.stop();
        await endLeftovers(run.profileDir);
      }
    }
  }
  return SETUPS.map((setup, index) => {
    const sample = samples[index] ?? { pss: [], processes: [], readyMs: [] };
    return { ...setup, pss: median(sample.pss), processes: median(sample.processes), readyMs: median(sample.readyMs), runs: sample.pss.length };
  });
}
