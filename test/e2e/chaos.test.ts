// The bounded chaos run: a seeded sequence of faults (test/chaos) against the real daemon, with
// the lifecycle's invariants checked continuously. The long run is `npm run chaos`.
//   CHAOS_SEED=<n> to try another seed; the report prints the command that reproduces a failure.
//   CHAOS_SECONDS=<s> for another time budget (the browser-wrapper pass runs a second seed for 55 s).
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { disposeChaos, runChaos, type ChaosReport } from '../chaos/chaos-run';
import { formatReport } from '../chaos/report';

const SEED = Number(process.env.CHAOS_SEED ?? 20_261_201);
const SECONDS = Number(process.env.CHAOS_SECONDS ?? 110);
let report: ChaosReport | undefined;

after(async () => {
  if (report) await disposeChaos(report);
});

it(
  `survives a seeded run of faults (seed ${SEED}, about ${SECONDS} s) with no invariant violated`,
  { timeout: (SECONDS + 190) * 1_000 },
  async (t) => {
    report = await runChaos({ faults: 60, seed: SEED, maxSeconds: SECONDS, log: (line) => t.diagnostic(line) });
    const text = formatReport(report);
    t.diagnostic(text);
    assert.deepEqual(report.violations, [], text);
    assert.equal(report.recovered, report.faultsApplied, text);
    assert.ok(report.faultsApplied >= 15, `only ${report.faultsApplied} faults fitted in the time budget:\n${text}`);
    // About 4.5 samples a second at the least (500 in the default 110 s).
    assert.ok(report.stats.healthSamples > (SECONDS * 500) / 110, `the watcher sampled health throughout (${report.stats.healthSamples} samples)`);
  },
);
