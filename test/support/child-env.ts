import os from 'node:os';
import path from 'node:path';

/**
 * No env file for the processes tests start. The daemon and the doctor read `.env` from the
 * working directory, the repository when tests run, where a developer following the README
 * keeps their own settings (an API_TOKEN, a WEBHOOK_URL, a DATABASE_URL): each would reach every
 * daemon a test starts. DOTENV_CONFIG_PATH (dotenv's own variable) points them at a file that
 * is not there.
 */
export const NO_ENV_FILE = path.join(os.tmpdir(), 'wa-tether-tests-read-no-env-file', '.env');

/**
 * What every process a test starts begins from, and nothing else of the test runner's
 * environment: where programs are, a home, no env file. Each test adds the variables it
 * depends on.
 */
export function childEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.tmpdir(),
    DOTENV_CONFIG_PATH: NO_ENV_FILE,
    ...extra,
  };
}
