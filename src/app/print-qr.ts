import { loadQrcode } from '../common/load-qrcode';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { CurrentQr } from '../session/session-state';

/** Prints the QR to the log as a terminal QR, so a log viewer such as Render's can show it. */
export async function printQr(qr: CurrentQr, logger: Logger): Promise<void> {
  try {
    const art = await (await loadQrcode()).toString(qr.payload, { type: 'terminal', small: true });
    logger.info(`Scan this QR with WhatsApp (Settings > Linked devices > Link a device), or open /qr:\n${art}`);
  } catch (error) {
    logger.warn('Could not render the QR for the log', { error: describeError(error) });
  }
}
