import { Router } from 'express';

/**
 * Every router of the app: case-sensitive and strict, as the app itself. Express matches
 * `/API/QR` and `/api/qr/` to `/api/qr` by default, so a check written against the exact
 * path (no-store on /api/*, a proxy rule, a log filter) could be walked around.
 */
export function router(): Router {
  return Router({ caseSensitive: true, strict: true });
}
