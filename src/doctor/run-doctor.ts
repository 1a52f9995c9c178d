import type { Logger } from '../logging/logger';
import type { CheckResult } from './check';
import { checkAuthPath } from './checks/check-auth-path';
import { checkBrowser } from './checks/check-browser';
import { checkConfig } from './checks/check-config';
import { checkDatabase } from './checks/check-database';
import { checkPortAndDaemon } from './checks/check-daemon';
import { checkLock } from './checks/check-lock';
import { checkBuild, checkLibrary, checkNode } from './checks/check-runtime';
import { checkSession } from './checks/check-session';
import { checkWebCache } from './checks/check-web-cache';
import { skip } from './check';

export interface DoctorOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The package root, where package.json, node_modules and dist are. */
  readonly root: string;
  /** For the stores the checks reuse; the doctor's own output is its report. */
  readonly logger: Logger;
}

const AFTER_CONFIG = ['browser', 'launch', 'auth path', 'port', 'daemon', 'lock', 'session', 'web cache'];

/** Every check, in the order an operator would fix things; none changes what a start will find. */
export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [checkNode(), checkLibrary(options.root), checkBuild(options.root)];
  const { results: configResults, config } = checkConfig(options.env, options.cwd);
  results.push(...configResults);
  if (config === null) return [...results, ...AFTER_CONFIG.map((name) => skip(name, 'the config is invalid'))];

  results.push(...(await checkBrowser(config, options.env)));
  const authPath = await checkAuthPath(config.authPath);
  results.push(authPath);
  const daemon = await checkPortAndDaemon({ host: config.host, port: config.port });
  results.push(...daemon.results);
  if (authPath.verdict === 'fail')
    return [...results, ...['lock', 'session'].map((name) => skip(name, 'AUTH_PATH is not usable')), await checkWebCache(config)];
  const where = { authPath: config.authPath, clientId: config.clientId, logger: options.logger };
  results.push(await checkLock({ ...where, port: config.port, daemonAnswers: daemon.daemonAnswers }));
  results.push(await checkSession(where));
  results.push(await checkWebCache(config));
  if (config.database !== null) results.push(await checkDatabase(config.database, config.clientId));
  return results;
}
