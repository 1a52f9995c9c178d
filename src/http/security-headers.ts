import type { RequestHandler } from 'express';

/** Fits the admin page: its script and styles are files of ours, the QR is an image of ours. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/**
 * Headers for every answer. Nothing but the page's own assets may be cached: the API answers
 * with live state and secrets (the QR), and the page itself is behind auth. The test is on the
 * raw path, whatever its case: routing is case-sensitive, but a cache in front need not be.
 */
export const securityHeaders: RequestHandler = (req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  // The QR image is a pairing secret: other sites may not embed it.
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  if (!req.path.startsWith('/assets/')) res.setHeader('Cache-Control', 'no-store');
  next();
};
