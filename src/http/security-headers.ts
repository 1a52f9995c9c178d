import type { RequestHandler } from 'express';

/** Fits the admin page: its script and styles are files of ours, the QR is an image of ours. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/** Headers for every answer; the API also forbids caching, as its answers are live state. */
export const securityHeaders: RequestHandler = (req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  // The QR image is a pairing secret: other sites may not embed it.
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  if (req.path === '/api' || req.path.startsWith('/api/')) res.setHeader('Cache-Control', 'no-store');
  next();
};
