import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';

/** An exposition parsed by a real parser, with lookups by name and labels. */
export class Scrape {
  readonly families: ReadonlyMap<string, MetricFamily>;

  constructor(readonly text: string) {
    this.families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
  }

  family(name: string): MetricFamily {
    const family = this.families.get(name);
    if (family === undefined) throw new Error(`no metric ${name} in the scrape; it has: ${[...this.families.keys()].join(', ')}`);
    return family;
  }

  /** The value of the sample of `name` whose labels include `labels`; throws if there is none. */
  value(name: string, labels: Readonly<Record<string, string>> = {}): number {
    const sample = this.family(name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    if (sample?.value === undefined) throw new Error(`no sample of ${name} with ${JSON.stringify(labels)}`);
    return Number(sample.value);
  }
}
