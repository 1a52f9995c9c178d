import path from 'node:path';
import type { Config } from '../config/config';
import { AppError, describeError } from '../common/errors';

/** The simulated WhatsApp Web (test/sim): the page the library loads and the phone that drives it. */
export type Simulator = typeof import('../../test/sim');

/**
 * Loads the simulator. It lives with the tests and its page is bundled with esbuild at start,
 * so it needs the repository's sources and the dev dependencies: a clone after set-up has them,
 * a production image does not (and must not run a simulation by accident).
 */
export function loadSimulator(): Simulator {
  try {
    // require, not import(): this package is CommonJS, and the build compiles test/sim with it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- demo mode only: a production install has no test/sim
    return require('../../test/sim') as Simulator;
  } catch (error) {
    throw new AppError(
      'CONFIG_INVALID',
      `WA_SIMULATOR=true needs the simulated WhatsApp Web from the repository (test/sim) and its dev dependencies (esbuild), which this install lacks (${describeError(error).split('\n')[0]}). To resolve, run the demo from a clone after ./scripts/setup.sh: npm run demo.`,
      { cause: error },
    );
  }
}

/**
 * The configuration of a demo: the simulated page served from a cache folder of its own, a
 * session of its own (`<CLIENT_ID>-simulator`), so a real session on the same disk is never
 * loaded into the simulation nor overwritten by it, and no webhooks.
 */
export async function simulatorConfig(config: Config, simulator: Simulator): Promise<Config> {
  const webCachePath = path.join(config.webCachePath, 'simulator');
  // Codes in the simulation live as long as the daemon re-issues them.
  await simulator.writeSimPage(webCachePath, { pairingCodeTtlMs: config.pairingCodeIntervalMs, qrRotateMs: 60_000 });
  const clientId = `${config.clientId}-simulator`;
  return Object.freeze({
    ...config,
    clientId,
    sessionDir: path.join(config.authPath, `session-${clientId}`),
    webCachePath,
    webVersion: simulator.SIM_WEB_VERSION,
    webCacheStrict: true,
    webVersionRemotePath: null,
    // Simulated messages must not reach a real application signed with its real secret.
    webhooks: { ...config.webhooks, urls: [] },
  });
}
