import { describeError } from '../common/errors';

/**
 * Errors whatsapp-web.js and puppeteer raise when the page or browser went away under a
 * call: the client is gone, not broken. They surface from calls in flight during a
 * disconnect and, unhandled, from the library's own event handlers.
 */
const CLIENT_GONE_PATTERNS = [
  /Target closed/i,
  /Session closed/i,
  /Execution context was destroyed/i,
  /detached Frame/i,
  /Navigating frame was detached/i,
  /Protocol error/i,
  /Connection closed/i,
  /browser has disconnected/i,
  /^auth timeout$/,
  /^ready timeout$/,
];

export function isClientGoneError(error: unknown): boolean {
  const message = describeError(error);
  return CLIENT_GONE_PATTERNS.some((pattern) => pattern.test(message));
}
