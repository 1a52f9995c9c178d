import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors';
import type { Logger } from '../logging/logger';
import { isLoopbackAddress } from './is-loopback';

/** `insufficient`: a valid token that does not cover the route (the API token on an admin route). */
export type AdminAccess = 'granted' | 'unauthorized' | 'forbidden' | 'insufficient';

/** What the decision looks at; nothing else of the request (in particular no proxy headers). */
export interface AdminRequestFacts {
  readonly authorization: string | undefined;
  readonly remoteAddress: string | undefined;
}

/** What a route needs: the admin token, or the application token (which the admin token also covers). */
export type Scope = 'admin' | 'api';

export interface Tokens {
  readonly admin: string | null;
  /** May use /api/messages* and read /api/session/status; nothing else. */
  readonly api: string | null;
}

export interface AdminAuth {
  /** Middleware for admin routes: 401 (with a Basic challenge so browsers prompt) or 403 otherwise. */
  readonly requireAdmin: RequestHandler;
  /** Middleware for what an application may do: the API token or the admin token. */
  readonly requireApi: RequestHandler;
  /** For routes with optional auth (health): true when the caller may see the detail. */
  isAdmin(req: Request): boolean;
}

/** Sent with every 401: makes a browser show its login prompt for /qr. */
export const BASIC_CHALLENGE = 'Basic realm="wa-tether", charset="UTF-8"';

const UNAUTHORIZED_MESSAGE =
  'Admin routes need the admin token. To resolve, send "Authorization: Bearer <ADMIN_TOKEN>", ' +
  'or open the page in a browser and enter ADMIN_TOKEN as the password (any user name).';
const API_UNAUTHORIZED_MESSAGE =
  'This route needs the API token (or the admin token). To resolve, send "Authorization: Bearer <API_TOKEN>".';
const API_FORBIDDEN_MESSAGE =
  'This route needs API_TOKEN or ADMIN_TOKEN when called from another host. To resolve, set API_TOKEN and send it as a Bearer token.';
const INSUFFICIENT_MESSAGE =
  'The API token may send and read messages and read /api/session/status; this route needs ADMIN_TOKEN.';
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
  return decideAccess({ admin: adminToken, api: null }, facts, 'admin');
}

/**
 * The decision for `scope`. The admin token covers every route, the API token the `api` ones,
 * from anywhere. Without ADMIN_TOKEN this machine is the admin: loopback clients get in
 * without a token, everyone else needs the API token (API routes) or is refused.
 */
export function decideAccess(tokens: Tokens, facts: AdminRequestFacts, scope: Scope): AdminAccess {
  const admin = tokens.admin === '' ? null : tokens.admin;
  const api = tokens.api === '' ? null : tokens.api;
  const presented = presentedToken(facts.authorization);
  // Hashing both sides gives equal lengths, so timingSafeEqual never leaks a token's length;
  // both are always compared, so the time does not tell which one matched.
  const isAdmin = matches(presented, admin);
  const isApi = matches(presented, api);
  if (isAdmin || (scope === 'api' && isApi)) return 'granted';
  if (admin === null && isLoopbackAddress(facts.remoteAddress)) return 'granted';
  if (isApi) return 'insufficient';
  if (admin === null && (scope === 'admin' || api === null)) return 'forbidden';
  return 'unauthorized';
}

function matches(presented: string | null, token: string | null): boolean {
  const equal = timingSafeEqual(digest(presented ?? ''), digest(token ?? ''));
  return presented !== null && token !== null && equal;
}

function factsOf(req: Request): AdminRequestFacts {
  return { authorization: req.headers.authorization, remoteAddress: req.socket.remoteAddress };
}

export function createAdminAuth(tokens: Tokens, logger: Logger): AdminAuth {
  const adminToken = tokens.admin;
  if (adminToken === null || adminToken === '') {
    logger.warn(
      'ADMIN_TOKEN is not set: admin routes (/qr, /api/qr, /api/session/*, /api/events) answer loopback clients only. ' +
        'Behind a reverse proxy on the same host every client looks local, so set ADMIN_TOKEN there.',
    );
  }

  const require =
    (scope: Scope): RequestHandler =>
    (req, res, next) => {
      const access = decideAccess(tokens, factsOf(req), scope);
      if (access === 'granted') return next();
      if (access === 'forbidden') return next(new AppError('FORBIDDEN', scope === 'admin' ? FORBIDDEN_MESSAGE : API_FORBIDDEN_MESSAGE));
      if (access === 'insufficient') return next(new AppError('FORBIDDEN', INSUFFICIENT_MESSAGE));
      // The admin page reads /api/session/status too, with the Basic credentials of /qr.
      res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
      return next(new AppError('UNAUTHORIZED', scope === 'admin' ? UNAUTHORIZED_MESSAGE : API_UNAUTHORIZED_MESSAGE));
    };

  return {
    requireAdmin: require('admin'),
    requireApi: require('api'),
    isAdmin: (req) => decideAccess(tokens, factsOf(req), 'admin') === 'granted',
  };
}
