import { SERIES, type Sample, valueOf } from './probe';
import type { SoakResult } from './soak-run';
import { secondHalf, type Trend, trendOf } from './trend';

export interface JudgedSeries {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly trend: Trend;
}

/** Each series' trend over the second half of the run. */
export function judge(samples: readonly Sample[]): JudgedSeries[] {
  return SERIES.map((series) => ({
    key: series.key,
    label: series.label,
    unit: series.unit,
    trend: trendOf(secondHalf(samples.map((s) => ({ hours: s.hours, value: valueOf(s, series.key) }))), series.floor),
  }));
}

const scaled = (value: number, unit: string): string => (unit === 'MiB' ? (value / 2 ** 20).toFixed(2) : value.toFixed(1));

/** Classes whose listeners, or kinds whose handles, changed between the first and the last sample. */
function movers(first: Readonly<Record<string, number>>, last: Readonly<Record<string, number>>): string {
  const keys = new Set([...Object.keys(first), ...Object.keys(last)]);
  const moved = [...keys]
    .map((k) => [k, (last[k] ?? 0) - (first[k] ?? 0)] as const)
    .filter(([, d]) => d !== 0)
    .map(([k, d]) => `${k} ${d > 0 ? '+' : ''}${d}`);
  return moved.length === 0 ? 'none' : moved.join(', ');
}

function spaces(first: Readonly<Record<string, number>>, last: Readonly<Record<string, number>>): string {
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(2);
  return Object.keys(last)
    .filter((space) => (first[space] ?? 0) > 0 || (last[space] ?? 0) > 0)
    .map((space) => `${space} ${mib(first[space] ?? 0)} -> ${mib(last[space] ?? 0)}`)
    .join(', ');
}

export function formatSoak(result: SoakResult): string {
  const judged = judge(result.samples);
  const first = result.samples[0];
  const last = result.samples.at(-1);
  const reconnects = last?.reconnects ?? 0;
  const lines = [
    `soak: ${(result.durationMs / 60_000).toFixed(1)} min, ${result.samples.length} samples, ${reconnects} reconnects`,
    `  faults: ${Object.entries(result.faults)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; failed: ${result.faultFailures.length}`,
    `  incoming: ${result.incoming.sent} sent by the phone (${result.incoming.withMedia} with a file), ${result.incoming.delivered} delivered to the receiver, ${result.incoming.mediaChecked} files fetched by url`,
    `  API sends: ${result.sends.accepted} accepted (${result.sends.withMedia} with a file), ${result.sends.sent} sent, ${result.sends.refused} refused; receiver outages: ${result.receiverOutages}`,
    `  database: ${first && last ? `${(first.dbBytes / 2 ** 20).toFixed(1)} -> ${(last.dbBytes / 2 ** 20).toFixed(1)} MiB` : '?'} (${result.dbBytesPerMessage.toFixed(0)} bytes a message, kept 7 days then pruned)`,
    '',
    '| series (second half) | first | last | slope per hour | noise (sd) | change over the half | flat |',
    '|---|---|---|---|---|---|---|',
    ...judged.map(({ label, unit, trend }) => {
      const u = unit === '' ? '' : ` ${unit}`;
      return `| ${label} | ${scaled(trend.first, unit)}${u} | ${scaled(trend.last, unit)}${u} | ${scaled(trend.slopePerHour, unit)} ± ${scaled(2 * trend.slopeError, unit)}${u} | ${scaled(trend.noise, unit)}${u} | ${scaled(trend.change, unit)}${u} | ${trend.flat ? 'yes' : '**no**'} |`;
    }),
    '',
    `  heap by space (first -> last sample, MiB): ${first && last ? spaces(first.heapSpaces, last.heapSpaces) : '?'}`,
    `  listeners that moved (first -> last sample): ${first && last ? movers(first.listenersByEvent, last.listenersByEvent) : '?'}`,
    `  emitters that moved: ${first && last ? movers(first.emittersByClass, last.emittersByClass) : '?'}`,
    `  handles that moved: ${first && last ? movers(first.resources, last.resources) : '?'}`,
  ];
  if (result.faultFailures.length > 0) lines.push('  fault failures:', ...result.faultFailures.slice(0, 20).map((f) => `    ${f}`));
  if (result.violations.length > 0) lines.push('  VIOLATIONS:', ...result.violations.slice(0, 20).map((v) => `    ${v}`));
  return lines.join('\n');
}

/** Every series flat, nothing lost, every fault recovered. */
export function soakPassed(result: SoakResult): boolean {
  return result.violations.length === 0 && result.faultFailures.length === 0 && judge(result.samples).every((s) => s.trend.flat);
}
