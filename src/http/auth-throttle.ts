import type { Clock } from '../common/clock';

export interface ThrottleOptions {
  readonly clock: Clock;
  /** Failed attempts allowed per address within `windowMs`; the next ones are refused. */
  readonly maxFailures?: number;
  readonly windowMs?: number;
  /** Addresses remembered at most (the oldest windows go first). */
  readonly maxAddresses?: number;
}

/**
 * Counts failed authentications per client address in a fixed window. Guessing a 16+
 * character token is hopeless anyway; this keeps a guesser from costing the daemon a hash
 * per request and from filling the log. Behind a proxy every client shares the proxy's
 * address, so a guesser there also locks out everyone else for the rest of the minute: the
 * price of not believing proxy headers.
 */
export class AuthThrottle {
  private readonly windows = new Map<string, { start: number; failures: number }>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;

  constructor(private readonly options: ThrottleOptions) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** Seconds until `address` may try again; 0 when it may now. */
  retryAfterSeconds(address: string): number {
    const window = this.current(address);
    if (window === null || window.failures <= this.maxFailures) return 0;
    return Math.max(1, Math.ceil((window.start + this.windowMs - this.options.clock.now()) / 1000));
  }

  fail(address: string): void {
    const now = this.options.clock.now();
    const window = this.current(address);
    if (window !== null) {
      window.failures++;
      return;
    }
    if (this.windows.size >= this.maxAddresses) {
      for (const [key, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(key);
      if (this.windows.size >= this.maxAddresses) this.windows.delete(this.windows.keys().next().value as string);
    }
    this.windows.set(address, { start: now, failures: 1 });
  }

  private current(address: string): { start: number; failures: number } | null {
    const window = this.windows.get(address);
    if (window === undefined) return null;
    if (this.options.clock.now() - window.start >= this.windowMs) {
      this.windows.delete(address);
      return null;
    }
    return window;
  }
}
