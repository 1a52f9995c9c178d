import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load-config';
import {
  configVariables,
  DOCUMENTED_IN_EXAMPLE_COMMENTS,
  envExampleValues,
  mentionedInEnvExampleComment,
  ROOT,
} from '../../support/config-variables';

// The operator's one reference for configuration: a variable the code reads but the
// example omits is a setting nobody finds; one the example lists but the code ignores is a lie.
// docs/configuration.md is held to the same set by config-docs.test.ts.
describe('.env.example', () => {
  it('lists every variable the configuration reads', () => {
    const example = envExampleValues();
    const missing = [...configVariables()].filter((name) => !example.has(name) && !DOCUMENTED_IN_EXAMPLE_COMMENTS.has(name));
    assert.deepEqual(missing, []);
  });

  it('lists only variables the configuration reads', () => {
    const read = configVariables();
    const unknown = [...envExampleValues().keys()].filter((name) => !read.has(name));
    assert.deepEqual(unknown, []);
  });

  it('documents in a comment each variable it has no line for, and each is one the configuration reads', () => {
    const read = configVariables();
    for (const name of DOCUMENTED_IN_EXAMPLE_COMMENTS) {
      assert.ok(read.has(name), `${name} is not read`);
      assert.ok(mentionedInEnvExampleComment(name), `${name} is in no comment of .env.example`);
      assert.ok(!envExampleValues().has(name), `${name} has a line of its own: drop it from DOCUMENTED_IN_EXAMPLE_COMMENTS`);
    }
  });

  it('loads as it stands: every example value is valid', () => {
    const env = Object.fromEntries(envExampleValues());
    assert.doesNotThrow(() => loadConfig(env, { cwd: ROOT }));
  });
});
