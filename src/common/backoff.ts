export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * Delay before reconnect attempt `attempt` (1-based): exponential from `baseMs`, with
 * +/-20% jitter so a fleet restarted together does not reconnect in lockstep, never above `maxMs`.
 */
export function computeBackoff(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const nominal = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const jittered = nominal * (0.8 + 0.4 * random());
  return Math.round(Math.min(policy.maxMs, jittered));
}
