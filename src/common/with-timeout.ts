import type { Clock } from './clock';

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** Settles like `promise`, or rejects with TimeoutError after `ms` on `clock`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, clock: Clock, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    promise.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimeout(timer);
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the original rejection, passed on as it is
        reject(error);
      },
    );
  });
}

/** Waits for `promise` to settle either way, at most `ms`; never rejects. */
export async function settleWithin(promise: Promise<unknown>, ms: number, clock: Clock): Promise<boolean> {
  try {
    await withTimeout(promise, ms, clock, 'settle');
    return true;
  } catch (error) {
    return !(error instanceof TimeoutError);
  }
}
