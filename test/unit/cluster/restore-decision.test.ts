import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideRestore, pendingClearApplies, type RestoreFacts } from '../../../src/cluster/restore-decision';

describe('decideRestore (the takeover decision table, without clocks)', () => {
  const rows: ReadonlyArray<readonly [string, RestoreFacts, ReturnType<typeof decideRestore>]> = [
    ['no local profile, a saved version', { current: 3, last: 3, localVersion: null, local: false }, 'restore'],
    ['the local profile is an older version', { current: 3, last: 3, localVersion: 2, local: true }, 'restore'],
    ['the local profile is that very version (RemoteAuth would delete it)', { current: 3, last: 3, localVersion: 3, local: true }, 'keep'],
    ['its record says 3 but the parts are gone', { current: 3, last: 3, localVersion: 3, local: false }, 'restore'],
    ['a local profile never saved, a version saved elsewhere', { current: 4, last: 4, localVersion: null, local: true }, 'restore'],
    ['cleared elsewhere since our version 3 was saved', { current: null, last: 5, localVersion: 3, local: true }, 'forget'],
    ['a new database that never had our version 7', { current: null, last: 0, localVersion: 7, local: true }, 'keep'],
    ['nothing anywhere', { current: null, last: 0, localVersion: null, local: false }, 'keep'],
    ['a local profile never saved, nothing in the database', { current: null, last: 2, localVersion: null, local: true }, 'keep'],
  ];
  for (const [what, facts, expected] of rows) {
    it(`${what}: ${expected}`, () => assert.equal(decideRestore(facts), expected));
  }

  it('a clear made while the database was away deletes versions up to it, not one saved after', () => {
    assert.equal(pendingClearApplies(4, 4), true);
    assert.equal(pendingClearApplies(3, 4), true);
    assert.equal(pendingClearApplies(5, 4), false);
    assert.equal(pendingClearApplies(null, 4), false);
  });
});
