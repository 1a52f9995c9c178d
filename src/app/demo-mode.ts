import type { Config } from '../config/config';
import { loadSimulator, type Simulator, simulatorConfig } from '../demo/simulator-mode';
import type { Logger } from '../logging/logger';

/**
 * With WA_SIMULATOR=true: the simulated WhatsApp Web and the configuration of a demo (a session
 * and cache folder of its own, no webhooks), announced loudly. Otherwise the configuration as it
 * is. Throws when the simulator is not installed, saying how to get it.
 */
export async function withDemoMode(configured: Config, logger: Logger): Promise<{ config: Config; simulator: Simulator | null }> {
  if (!configured.simulator) return { config: configured, simulator: null };
  const simulator = loadSimulator();
  const config = await simulatorConfig(configured, simulator);
  logger.warn(
    `DEMO MODE (WA_SIMULATOR=true): WhatsApp is simulated, no real account is involved. Session ${config.clientId} in ${config.authPath}; the simulated phone is at /demo/phone.`,
  );
  return { config, simulator };
}
