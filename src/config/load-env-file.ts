import dotenv from 'dotenv';

/**
 * Adds the variables of the env file to `env`, never overriding one already set: `.env` in the
 * working directory, or the file DOTENV_CONFIG_PATH names (dotenv's own variable, as its
 * `dotenv/config` preload reads it). A missing file is no error: the environment alone is a
 * complete configuration.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv): void {
  const file = env.DOTENV_CONFIG_PATH;
  dotenv.config({ quiet: true, processEnv: env, ...(file === undefined || file === '' ? {} : { path: file }) });
}
