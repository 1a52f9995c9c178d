import { AppError } from './errors';
import type { Clock } from './clock';

/**
 * Runs `operation`, and while it fails with DATABASE_UNAVAILABLE (PostgreSQL restarting) runs it
 * again: after 0.5 s, then 1 s, then every 2 s (a restart is over in seconds), for up to `maxMs`. Any other failure, or the last one,
 * is thrown. `retrying` is told the failure before each new try.
 */
export async function whileUnavailable<T>(
  operation: (retry: boolean) => Promise<T>,
  clock: Clock,
  maxMs: number,
  retrying: (error: unknown) => void = () => undefined,
): Promise<T> {
  const giveUpAt = clock.now() + maxMs;
  for (let delayMs = 500, retry = false; ; delayMs = Math.min(delayMs * 2, 2_000), retry = true) {
    try {
      return await operation(retry);
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'DATABASE_UNAVAILABLE') || clock.now() + delayMs > giveUpAt) throw error;
      retrying(error);
      await new Promise<void>((resolve) => clock.setTimeout(resolve, delayMs));
    }
  }
}
