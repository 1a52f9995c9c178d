import type { Clock } from './clock';

/**
 * A token bucket: `perMinute` tokens a minute, at most `burst` saved up. A fractional bucket
 * refills continuously, so the rate holds over any window, not per calendar minute.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.tokens = burst;
    this.refilledAt = clock.now();
  }

  /** Takes a token if one is there. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Takes a token whether or not one is there (never below empty). */
  take(): void {
    this.refill();
    this.tokens = Math.max(0, this.tokens - 1);
  }

  /** The earliest time a token is there: now, if one is. */
  readyAt(): number {
    const now = this.refill();
    return this.tokens >= 1 ? now : now + Math.ceil((1 - this.tokens) * (60_000 / this.perMinute));
  }

  /** Full again: nothing to remember about it. */
  get isFull(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) * this.perMinute) / 60_000);
    this.refilledAt = now;
    return now;
  }
}
