import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBackoff } from '../../../src/common/backoff';

const POLICY = { baseMs: 5_000, maxMs: 30_000 };
const middle = () => 0.5;

describe('computeBackoff', () => {
  it('doubles from baseMs per attempt (no jitter at random 0.5)', () => {
    assert.deepEqual(
      [1, 2, 3].map((attempt) => computeBackoff(attempt, POLICY, middle)),
      [5_000, 10_000, 20_000],
    );
  });

  it('is capped at maxMs', () => {
    assert.deepEqual(
      [4, 5, 10, 30].map((attempt) => computeBackoff(attempt, POLICY, middle)),
      [30_000, 30_000, 30_000, 30_000],
    );
  });

  it('jitter is -20% at random 0 and +20% at random 1, never above maxMs', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((attempt) => computeBackoff(attempt, POLICY, () => 0)),
      [4_000, 8_000, 16_000, 24_000],
    );
    assert.deepEqual(
      [1, 2, 3, 4].map((attempt) => computeBackoff(attempt, POLICY, () => 1)),
      [6_000, 12_000, 24_000, 30_000],
    );
  });

  it('stays within [0.8, 1.2] × nominal and ≤ maxMs for any random in [0, 1)', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const nominal = Math.min(POLICY.maxMs, POLICY.baseMs * 2 ** (attempt - 1));
      for (let i = 0; i <= 100; i++) {
        const delay = computeBackoff(attempt, POLICY, () => i / 101);
        assert.ok(delay >= Math.floor(nominal * 0.8) && delay <= Math.ceil(nominal * 1.2), `attempt ${attempt}: ${delay}`);
        assert.ok(delay <= POLICY.maxMs);
        assert.ok(Number.isInteger(delay));
      }
    }
  });

  it('actually varies with random (a fleet does not reconnect in lockstep)', () => {
    const delays = new Set([0, 0.25, 0.5, 0.75].map((r) => computeBackoff(2, POLICY, () => r)));
    assert.equal(delays.size, 4);
  });

  it('huge attempt numbers give maxMs, not Infinity or NaN', () => {
    for (const attempt of [31, 100, 1_000_000, Number.MAX_SAFE_INTEGER]) {
      assert.equal(computeBackoff(attempt, POLICY, middle), 30_000);
    }
  });

  it('attempt 0 or below is treated as the first attempt', () => {
    assert.equal(computeBackoff(0, POLICY, middle), 5_000);
    assert.equal(computeBackoff(-3, POLICY, middle), 5_000);
  });

  it('uses Math.random when no random is given, still within bounds', () => {
    for (let i = 0; i < 50; i++) {
      const delay = computeBackoff(1, POLICY);
      assert.ok(delay >= 4_000 && delay <= 6_000, String(delay));
    }
  });
});
