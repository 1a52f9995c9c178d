import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadEnvFile } from '../../../src/config/load-env-file';

describe('loadEnvFile', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wa-tether-envfile-'));
  const cwd = process.cwd();
  after(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(path.join(dir, '.env'), 'BOT_PREFIX=?\nPORT=4000\n');
  writeFileSync(path.join(dir, 'other.env'), 'BOT_PREFIX=/\n');

  it('.env in the working directory, never over a variable already set', () => {
    process.chdir(dir);
    const env: NodeJS.ProcessEnv = { PORT: '3000' };
    loadEnvFile(env);
    assert.deepEqual(env, { PORT: '3000', BOT_PREFIX: '?' });
  });

  it('DOTENV_CONFIG_PATH names another file instead; one that is not there adds nothing', () => {
    process.chdir(dir);
    const other: NodeJS.ProcessEnv = { DOTENV_CONFIG_PATH: path.join(dir, 'other.env') };
    loadEnvFile(other);
    assert.equal(other.BOT_PREFIX, '/');
    assert.equal(other.PORT, undefined, 'the .env of the working directory is not read as well');
    const none: NodeJS.ProcessEnv = { DOTENV_CONFIG_PATH: path.join(dir, 'missing', '.env') };
    loadEnvFile(none);
    assert.deepEqual(Object.keys(none), ['DOTENV_CONFIG_PATH']);
  });
});
