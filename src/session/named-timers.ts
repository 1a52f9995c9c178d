import type { Clock, TimerHandle } from '../common/clock';

/**
 * At most one pending timer per name: arming a name replaces its timer. The supervisor's
 * start, ready, watchdog and retry timers are four names here.
 */
export class NamedTimers<Name extends string> {
  private readonly pending = new Map<Name, TimerHandle>();

  constructor(private readonly clock: Clock) {}

  arm(name: Name, ms: number, callback: () => void): void {
    this.disarm(name);
    this.pending.set(
      name,
      this.clock.setTimeout(() => {
        this.pending.delete(name);
        callback();
      }, ms),
    );
  }

  disarm(name: Name): void {
    const timer = this.pending.get(name);
    if (timer) this.clock.clearTimeout(timer);
    this.pending.delete(name);
  }

  has(name: Name): boolean {
    return this.pending.has(name);
  }

  cancelAll(): void {
    for (const timer of this.pending.values()) this.clock.clearTimeout(timer);
    this.pending.clear();
  }
}
