import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors';
import type { Logger } from '../logging/logger';
import { isLoopbackAddress } from './is-loopback';

export type AdminAccess = 'granted' | 'unauthorized' | 'forbidden';

/** What the decision looks at; nothing else of the request (in particular no proxy headers). */
export interface AdminRequestFacts {
  readonly authorization: string | undefined;
  readonly remoteAddress: string | undefined;
}

export interface AdminAuth {
  /** Middleware for admin routes: 401 (with a Basic challenge so browsers prompt) or 403 otherwise. */
  readonly requireAdmin: RequestHandler;
  /** For routes with optional auth (health): true when the caller may see the detail. */
  isAdmin(req: Request): boolean;
}

/** Sent with every 401: makes a browser show its login prompt for /qr. */
export const BASIC_CHALLENGE = 'Basic realm="wa-tether", charset="UTF-8"';

const UNAUTHORIZED_MESSAGE =
  'Admin routes need the admin token. To resolve, send "Authorization: Bearer <ADMIN_TOKEN>", ' +
  'or open the page in a browser and enter ADMIN_TOKEN as the password (any user name).';
const FORBIDDEN_MESSAGE =
  'Admin routes need ADMIN_TOKEN when called from another host. To resolve, set ADMIN_TOKEN and send it as a Bearer token.';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The token a request presents: a Bearer token, or the password of Basic credentials. */
export function presentedToken(authorization: string | undefined): string | null {
  if (authorization === undefined) return null;
  const match = /^(\S+)\s+(\S.*)$/.exec(authorization.trim());
  if (match === null) return null;
  const scheme = match[1]!.toLowerCase();
  const credentials = match[2]!.trim();
  if (scheme === 'bearer') return credentials;
  if (scheme !== 'basic') return null;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? null : decoded.slice(colon + 1);
}

/**
 * The admin decision as a pure function, so tests can try remote addresses they cannot
 * connect from. With a token configured, the token is required from everywhere (a reverse
 * proxy on the same host would otherwise make every client look local); without one,
 * only loopback clients get in.
 */
export function decideAdminAccess(adminToken: string | null, facts: AdminRequestFacts): AdminAccess {
  if (adminToken === null || adminToken === '') {
    return isLoopbackAddress(facts.remoteAddress) ? 'granted' : 'forbidden';
  }
  const presented = presentedToken(facts.authorization);
  if (presented === null) return 'unauthorized';
  // Hashing both sides gives equal lengths, so timingSafeEqual never leaks the token's length.
  return timingSafeEqual(digest(presented), digest(adminToken)) ? 'granted' : 'unauthorized';
}

function factsOf(req: Request): AdminRequestFacts {
  return { authorization: req.headers.authorization, remoteAddress: req.socket.remoteAddress };
}

export function createAdminAuth(adminToken: string | null, logger: Logger): AdminAuth {
  if (adminToken === null || adminToken === '') {
    logger.warn(
      'ADMIN_TOKEN is not set: admin routes (/qr, /api/qr, /api/session/*, /api/events) answer loopback clients only. ' +
        'Behind a reverse proxy on the same host every client looks local, so set ADMIN_TOKEN there.',
    );
  }

  const requireAdmin: RequestHandler = (req, res, next) => {
    const access = decideAdminAccess(adminToken, factsOf(req));
    if (access === 'granted') return next();
    if (access === 'forbidden') return next(new AppError('FORBIDDEN', FORBIDDEN_MESSAGE));
    res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
    return next(new AppError('UNAUTHORIZED', UNAUTHORIZED_MESSAGE));
  };

  return {
    requireAdmin,
    isAdmin: (req) => decideAdminAccess(adminToken, factsOf(req)) === 'granted',
  };
}
