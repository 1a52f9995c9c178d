/** What happened during a run, in order: faults, checks, violations and the daemon's transitions. */
export interface TimelineEntry {
  /** Milliseconds since the run started. */
  readonly at: number;
  readonly kind: 'fault' | 'check' | 'violation' | 'note';
  readonly what: string;
  readonly detail?: Record<string, unknown>;
}

export class Timeline {
  readonly entries: TimelineEntry[] = [];
  readonly startedAt = Date.now();

  private add(kind: TimelineEntry['kind'], what: string, detail?: Record<string, unknown>): void {
    this.entries.push({ at: Date.now() - this.startedAt, kind, what, ...(detail ? { detail } : {}) });
  }

  fault(what: string, detail?: Record<string, unknown>): void {
    this.add('fault', what, detail);
  }

  check(what: string, detail?: Record<string, unknown>): void {
    this.add('check', what, detail);
  }

  note(what: string, detail?: Record<string, unknown>): void {
    this.add('note', what, detail);
  }

  violation(what: string, detail?: Record<string, unknown>): void {
    this.add('violation', what, detail);
  }

  violations(): TimelineEntry[] {
    return this.entries.filter((e) => e.kind === 'violation');
  }
}
