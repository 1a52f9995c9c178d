/**
 * Node flag sweep for the daemon's own process: ready-state memory of node alone (and of
 * the tree), plus /api/health throughput, for each set of node flags. Not part of `npm run bench`.
 *
 *   npx tsx bench/node-flags.ts [--runs 3] [--settle-ms 5000] [--load-sec 5] [--set "--flag --flag"]...
 *
 * Runs the built daemon (`npm run build` first), restored starts of one paired profile,
 * alternating the sets; medians.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Cleanup } from './lib/cleanup';
import { type BenchContext, benchBrowsers, startDaemon } from './lib/contenders';
import { BenchDirs } from './lib/dirs';
import type { TreeMemory } from './lib/memory';
import { pairTemplate } from './lib/pairing';
import { sampleMemory } from './lib/sample';
import { median, mib, table } from './lib/stats';

const DEFAULT_SETS = ['', '--max-semi-space-size=1', '--max-semi-space-size=2', '--max-old-space-size=128', '--optimize-for-size', '--lite-mode'];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      'settle-ms': { type: 'string', default: '5000' },
      'load-sec': { type: 'string', default: '5' },
      set: { type: 'string', multiple: true },
    },
  });
  const sets = values.set ?? DEFAULT_SETS;
  const cleanup = new Cleanup();
  cleanup.installSignalHandlers();
  try {
    const dirs = await BenchDirs.create(cleanup);
    const ctx: BenchContext = { cleanup, dirs, browsers: benchBrowsers(), daemonNodeFlags: [] };
    const template = await pairTemplate(ctx, 'daemon');
    const results = new Map<string, Array<{ memory: TreeMemory; rps: number; p99: number }>>();
    for (let i = 0; i < Number(values.runs); i++) {
      for (const set of i % 2 === 0 ? sets : [...sets].reverse()) {
        const flags = set.split(/\s+/).filter((f) => f !== '');
        const daemon = await startDaemon({ ...ctx, daemonNodeFlags: flags }, await dirs.copyOf(template, 'node'));
        try {
          await daemon.waitForReady();
          await sleep(Number(values['settle-ms']));
          const memory = await sampleMemory(daemon);
          const load = await autocannon({ url: daemon.url('/api/health'), connections: 10, duration: Number(values['load-sec']) });
          await sleep(2_000);
          const afterLoad = await sampleMemory(daemon);
          results.set(set, [...(results.get(set) ?? []), { memory: afterLoad, rps: load.requests.average, p99: load.latency.p99 }]);
          process.stderr.write(
            `${set || '(none)'}: node PSS ${mib(memory.node.pss)} anon ${mib(memory.node.anon)} -> after load ${mib(afterLoad.node.pss)} / ${mib(afterLoad.node.anon)} MiB; tree PSS ${mib(afterLoad.pss)}; ${Math.round(load.requests.average)} req/s p99 ${load.latency.p99} ms\n`,
          );
        } finally {
          await daemon.stop();
        }
      }
    }
    const rows = [['node flags', 'node PSS MiB', 'node anon MiB', 'node RSS MiB', 'tree PSS MiB', 'health req/s', 'p99 ms']];
    for (const [set, runs] of results) {
      rows.push([
        set || '(none)',
        String(mib(median(runs.map((r) => r.memory.node.pss)))),
        String(mib(median(runs.map((r) => r.memory.node.anon)))),
        String(mib(median(runs.map((r) => r.memory.node.rss)))),
        String(mib(median(runs.map((r) => r.memory.pss)))),
        String(Math.round(median(runs.map((r) => r.rps)))),
        String(median(runs.map((r) => r.p99))),
      ]);
    }
    process.stdout.write(`${table(rows)}\n`);
  } finally {
    await cleanup.runAll();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`node flag sweep failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 1;
});
