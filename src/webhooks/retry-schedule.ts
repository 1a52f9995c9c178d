import { computeBackoff } from '../common/backoff';

export interface RetryPolicy {
  /** The first retry's delay; each next one doubles, with +/-20% jitter. */
  readonly baseMs: number;
  readonly maxMs: number;
  /** No retry is scheduled past this long after the event (or after a manual retry). */
  readonly maxAgeMs: number;
}

export type NextAttempt = { readonly kind: 'retry'; readonly at: number } | { readonly kind: 'dead' };

/** After `attempts` failed attempts: when to try again, or that it is time to give up. */
export function nextAttempt(attempts: number, now: number, retryFrom: number, policy: RetryPolicy, random: () => number): NextAttempt {
  const at = now + computeBackoff(attempts, { baseMs: policy.baseMs, maxMs: policy.maxMs }, random);
  return at > retryFrom + policy.maxAgeMs ? { kind: 'dead' } : { kind: 'retry', at };
}
