import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import { isClientGoneError } from '../whatsapp/client-gone';

export interface StrayErrorSink {
  reportStrayError(error: unknown): void;
}

/**
 * The last line of defence: whatsapp-web.js rejects promises nobody awaits (e.g. a `destroy()`
 * after CONFLICT, a takeover on a closed page). Those become state, not a crash. Any other
 * uncaught exception shuts the daemon down through the SIGTERM path with exit code 1, so the
 * process manager starts a clean one.
 */
export function installSafetyNets(target: NodeJS.Process, session: StrayErrorSink, logger: Logger, shutdown: (signal: string) => void): void {
  target.on('unhandledRejection', (reason) => session.reportStrayError(reason));
  target.on('uncaughtException', (error) => {
    if (isClientGoneError(error)) {
      session.reportStrayError(error);
      return;
    }
    logger.error('Uncaught exception: exiting so the process manager restarts a clean daemon', { error: describeError(error) });
    target.exitCode = 1;
    shutdown('uncaught exception');
  });
}
