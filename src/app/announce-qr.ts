import type { LiveSecrets } from '../logging/live-secrets';
import type { Logger } from '../logging/logger';
import type { CurrentQr } from '../session/session-state';
import { printQr } from './print-qr';

export interface QrAnnouncerOptions {
  readonly secrets: LiveSecrets;
  readonly logger: Logger;
  /** Print each QR to the log as a terminal QR (QR_IN_LOGS). */
  readonly printToLog: boolean;
}

/**
 * What happens with every new QR: its payload becomes a secret the logger redacts from then on
 * (before anything could log it), and, if asked, it is printed as a terminal QR, which is
 * pixels, not the payload text.
 */
export function createQrAnnouncer(options: QrAnnouncerOptions): (qr: CurrentQr) => void {
  return (qr) => {
    options.secrets.setQr(qr.payload);
    if (options.printToLog) void printQr(qr, options.logger);
  };
}
