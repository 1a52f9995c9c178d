import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextAttempt } from '../../../src/webhooks/retry-schedule';

const POLICY = { baseMs: 5_000, maxMs: 3_600_000, maxAgeMs: 86_400_000 };

describe('nextAttempt', () => {
  it('doubles from the base up to the cap (no jitter at random 0.5)', () => {
    const delays = [1, 2, 3, 4, 5, 10, 11, 12, 20].map((attempts) => {
      const next = nextAttempt(attempts, 0, 0, POLICY, () => 0.5);
      assert.equal(next.kind, 'retry');
      return next.kind === 'retry' ? next.at : -1;
    });
    assert.deepEqual(delays, [5_000, 10_000, 20_000, 40_000, 80_000, 2_560_000, 3_600_000, 3_600_000, 3_600_000]);
  });

  it('jitters within +/-20%', () => {
    for (const random of [0, 0.25, 0.75, 0.999]) {
      const next = nextAttempt(3, 0, 0, POLICY, () => random);
      assert.ok(next.kind === 'retry' && next.at >= 16_000 && next.at <= 24_000, JSON.stringify(next));
    }
  });

  it('is dead once the next try would fall past the maximum age, counted from retryFrom', () => {
    const day = POLICY.maxAgeMs;
    assert.equal(nextAttempt(3, day - 25_000, 0, POLICY, () => 0.5).kind, 'retry');
    assert.equal(nextAttempt(3, day - 15_000, 0, POLICY, () => 0.5).kind, 'dead');
    assert.equal(nextAttempt(3, day - 15_000, day - 60_000, POLICY, () => 0.5).kind, 'retry', 'a manual retry starts a new window');
  });
});
