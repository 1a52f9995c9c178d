import type { Config } from '../../config/config';
import { ConfigError } from '../../config/config-error';
import { loadConfig } from '../../config/load-config';
import { type CheckResult, fail, pass } from '../check';

/** The same validation as a start; the detail shows where things will be, never a token. */
export function checkConfig(env: NodeJS.ProcessEnv, cwd: string): { readonly results: readonly CheckResult[]; readonly config: Config | null } {
  try {
    const config = loadConfig(env, { cwd });
    const tokens = [config.adminToken && 'ADMIN_TOKEN', config.apiToken && 'API_TOKEN', config.metricsToken && 'METRICS_TOKEN'].filter(Boolean);
    const detail =
      `CLIENT_ID ${config.clientId}, AUTH_PATH ${config.authPath}, listening on ${config.host}:${config.port}; ` +
      (tokens.length > 0 ? `${tokens.join(', ')} set` : 'no ADMIN_TOKEN (this machine only)');
    return { results: [pass('config', detail)], config };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Each problem already says how to resolve it.
    return {
      results: error.problems.map((problem) => fail('config', problem, 'set it in the environment or in .env, as .env.example describes.')),
      config: null,
    };
  }
}
