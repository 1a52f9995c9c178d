import type { LiveSecrets } from '../logging/live-secrets';
import type { Logger } from '../logging/logger';
import type { CurrentCode, CurrentQr } from '../session/session-state';
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

/**
 * The same for a pairing code: the code becomes a secret the logger redacts, and, if asked, one
 * line shows it split in two halves as the phone shows it ("ABCD-EFGH"), so only that deliberate
 * line carries it.
 */
export function createCodeAnnouncer(options: QrAnnouncerOptions): (code: CurrentCode) => void {
  return (code) => {
    options.secrets.setPairingCode(code.value);
    if (!options.printToLog) return;
    const shown = `${code.value.slice(0, 4)}-${code.value.slice(4)}`;
    options.logger.info(
      `Pairing code for +${code.phoneNumber}: ${shown} (until ${code.expiresAt.toISOString()}). Type it on that phone: WhatsApp > Settings > Linked devices > Link a device > Link with phone number instead.`,
      { event: 'session.pairing_code' },
    );
  };
}
