import type { RequestHandler } from 'express';
import { sendError, statusForCode } from './error-handler';

/**
 * Mounted with `router.all(path, ...)` after a path's real handlers: a known path asked
 * with the wrong method gets 405 and an `Allow` header instead of a misleading 404.
 */
export function methodNotAllowed(...allowed: readonly string[]): RequestHandler {
  const allow = allowed.includes('GET') ? [...allowed, 'HEAD'] : [...allowed];
  return (req, res) => {
    res.setHeader('Allow', allow.join(', '));
    sendError(
      res,
      statusForCode('METHOD_NOT_ALLOWED'),
      'METHOD_NOT_ALLOWED',
      `${req.method} is not supported on ${req.path}. Use ${allowed.join(' or ')}.`,
    );
  };
}
