/** The run's summary, and on a violation everything needed to reproduce and understand it. */
import type { ChaosReport } from './chaos-run';

const AROUND_MS = 3_000;

export function formatReport(report: ChaosReport): string {
  const lines = [
    `chaos: seed ${report.seed}, ${report.faultsApplied} faults, ${report.recovered} recovered, ${report.violations.length} invariant violations, ${report.seconds} s`,
    `  health samples ${report.stats.healthSamples} (slowest ${report.stats.slowestHealthMs} ms), process samples ${report.stats.samples}, most browsers at once ${report.stats.maxBrowsers}`,
    `  API sends accepted ${report.session.accepted.size}, repeated after an interrupted attempt ${report.session.repeats}`,
    `  faults: ${Object.entries(report.byFault)
      .map(([name, n]) => `${name} x${n}`)
      .join(', ')}`,
  ];
  if (report.violations.length === 0) return lines.join('\n');
  lines.push(
    '',
    `Reproduce: npm run chaos -- --faults ${report.faultsApplied} --seed ${report.seed}${report.only === undefined ? '' : ` --only '${report.only}'`}`,
    '',
    'Violations:',
  );
  for (const v of report.violations) lines.push(`  +${v.at} ms  ${v.what} ${v.detail ? JSON.stringify(v.detail) : ''}`);
  lines.push('', 'Timeline:');
  for (const e of report.timeline.entries)
    lines.push(`  +${e.at} ms  ${e.kind.padEnd(9)} ${e.what}${e.detail ? ` ${JSON.stringify(e.detail)}` : ''}`);
  const first = report.violations[0];
  if (first !== undefined) {
    const at = report.timeline.startedAt + first.at;
    lines.push('', `The daemon's log within ${AROUND_MS / 1000} s of the first violation:`);
    for (const record of report.session.records()) {
      const time = record.timestamp === undefined ? Number.NaN : Date.parse(record.timestamp);
      if (Math.abs(time - at) <= AROUND_MS) lines.push(`  [${record.incarnation}] ${JSON.stringify(record)}`);
    }
  }
  return lines.join('\n');
}
