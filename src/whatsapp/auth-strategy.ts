import type { AuthStrategy } from 'whatsapp-web.js';
import { hookAuthStrategy, type BrowserHooks } from './browser-hooks';

/** From its own file: the package's index would also load RemoteAuth and its optional dependencies. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the strategy's own file: the package index loads RemoteAuth's optional dependencies
const LocalAuth = require('whatsapp-web.js/src/authStrategies/LocalAuth') as typeof import('whatsapp-web.js').LocalAuth;

export interface AuthStrategyOptions {
  readonly clientId: string;
  /** AUTH_PATH: LocalAuth keeps the profile in `<authPath>/session-<clientId>`. */
  readonly authPath: string;
}

/**
 * The auth strategy of each new client, with the daemon's browser hooks on it. One place to
 * choose it: LocalAuth keeps the whole Chromium profile on the local disk.
 */
export function createAuthStrategy(options: AuthStrategyOptions, hooks: BrowserHooks): AuthStrategy {
  return hookAuthStrategy(new LocalAuth({ clientId: options.clientId, dataPath: options.authPath }), hooks);
}
