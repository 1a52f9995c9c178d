import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { MUTATIONS } from '../../../scripts/mutations';

const ROOT = path.resolve(__dirname, '..', '..', '..');

// A mutation whose text is no longer in its file would stop `npm run test:mutate` midway, or
// (had it been skipped) let a hole in the tests go unseen: each must still apply, once.
describe('npm run test:mutate', () => {
  for (const mutation of MUTATIONS) {
    it(`still applies: ${mutation.bug}`, () => {
      const content = readFileSync(path.join(ROOT, mutation.file), 'utf8');
      const first = content.indexOf(mutation.from);
      assert.notEqual(first, -1, `not in ${mutation.file}: ${mutation.from}`);
      assert.equal(content.indexOf(mutation.from, first + 1), -1, `more than once in ${mutation.file}`);
      assert.notEqual(mutation.from, mutation.to);
    });
  }
});
