/** Codes asked for by themselves, unused, before the daemon stops asking: 5 x 3 min = 15 min. */
export const MAX_UNUSED_CODES = 5;
const RETRY_BASE_MS = 30_000;
/** After "too many attempts" WhatsApp wants a long pause; asking sooner extends it. */
const TOO_MANY_BASE_MS = 10 * 60_000;
const RETRY_MAX_MS = 60 * 60_000;

/** WhatsApp's refusal of a code for a number that asked too often. */
export function isTooManyAttempts(error: unknown): boolean {
  const text = error instanceof Error ? error.message : String(error);
  return /rate-overlimit|too many|rate.?limit|\b429\b/i.test(text);
}

/**
 * How many pairing codes may be asked for, and when: a code every interval while nobody types
 * one would notify the phone forever, and WhatsApp answers a number that asks too often with
 * "too many attempts" (and punishes asking again). Pure bookkeeping; the lifecycle acts on it.
 */
export class PairingCodeBudget {
  private unused = 0;
  private failures = 0;
  private retryAtMs: number | null = null;

  /** A code arrived; `last` when no more are asked for by themselves after it. */
  issued(): { readonly last: boolean } {
    this.unused++;
    this.failures = 0;
    this.retryAtMs = null;
    return { last: this.unused >= MAX_UNUSED_CODES };
  }

  /** No more codes by themselves: the operator asks for the next one. */
  get paused(): boolean {
    return this.unused >= MAX_UNUSED_CODES;
  }

  /** A request was refused: when to ask again (doubling, longer after "too many attempts"). */
  failed(error: unknown, now: number): { readonly retryAt: number; readonly tooMany: boolean } {
    this.failures++;
    const tooMany = isTooManyAttempts(error);
    const base = tooMany ? TOO_MANY_BASE_MS : RETRY_BASE_MS;
    const delay = Math.min(RETRY_MAX_MS, base * 2 ** (this.failures - 1));
    this.retryAtMs = now + delay;
    return { retryAt: this.retryAtMs, tooMany };
  }

  /** Before this, asking again only extends WhatsApp's pause; null when nothing holds us back. */
  retryAt(now: number): number | null {
    return this.retryAtMs !== null && this.retryAtMs > now ? this.retryAtMs : null;
  }

  /** An operator asked (at the phone now), or the session paired: start counting again. */
  reset(): void {
    this.unused = 0;
    if (this.retryAtMs === null) this.failures = 0;
  }

  /** The session paired: everything forgotten. */
  clear(): void {
    this.unused = 0;
    this.failures = 0;
    this.retryAtMs = null;
  }
}
