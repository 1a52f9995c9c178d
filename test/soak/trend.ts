/**
 * Is a series flat? A least-squares line over the second half of a run (the first half holds
 * the warm-up: heaps sized up once, caches filled), its slope against the scatter around it.
 * A series is flat when the slope is within two standard errors of zero (no trend the samples
 * can tell from noise), or when the whole change it predicts over the half is under the
 * series' own floor (2 MiB of heap, 2 file descriptors). The soak compresses a life: its second
 * half at the 2-hour plan's pace holds about 200 reconnects and 12,500 messages, days of a busy
 * bot, so a change under the floor there is under some tens of MiB in a month.
 */
export interface Point {
  /** Hours since the run started. */
  readonly hours: number;
  readonly value: number;
}

export interface Trend {
  readonly samples: number;
  /** Units per hour. */
  readonly slopePerHour: number;
  /** The standard error of the slope. */
  readonly slopeError: number;
  /** Scatter around the line: the residuals' standard deviation. */
  readonly noise: number;
  /** What the slope adds over the second half's span. */
  readonly change: number;
  readonly first: number;
  readonly last: number;
  readonly flat: boolean;
}

/** The second half of a series (by time), at least three points. */
export function secondHalf(points: readonly Point[]): Point[] {
  if (points.length === 0) return [];
  const end = points.at(-1)?.hours ?? 0;
  const half = points.filter((p) => p.hours >= end / 2);
  return half.length >= 3 ? half : points.slice(-3);
}

/** The trend of `points` (already cut to what should be judged); `floor` in the series' own units. */
export function trendOf(points: readonly Point[], floor: number): Trend {
  const n = points.length;
  const first = points[0]?.value ?? 0;
  const last = points.at(-1)?.value ?? 0;
  if (n < 3)
    return { samples: n, slopePerHour: 0, slopeError: Infinity, noise: 0, change: last - first, first, last, flat: Math.abs(last - first) <= floor };
  const meanT = points.reduce((s, p) => s + p.hours, 0) / n;
  const meanV = points.reduce((s, p) => s + p.value, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.hours - meanT) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.hours - meanT) * (p.value - meanV), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const residuals = points.map((p) => p.value - (meanV + slope * (p.hours - meanT)));
  const noise = Math.sqrt(residuals.reduce((s, r) => s + r * r, 0) / (n - 2));
  const slopeError = sxx === 0 ? Infinity : noise / Math.sqrt(sxx);
  const span = (points.at(-1)?.hours ?? 0) - (points[0]?.hours ?? 0);
  const change = slope * span;
  const flat = Math.abs(slope) <= 2 * slopeError || Math.abs(change) <= floor;
  return { samples: n, slopePerHour: slope, slopeError, noise, change, first, last, flat };
}
