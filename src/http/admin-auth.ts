import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { type Clock, systemClock } from '../common/clock';
import { AppError } from '../common/errors';
import { AuthThrottle } from './auth-throttle';
import type { Logger } from '../logging/logger';
import { isLoopbackAddress } from './is-loopback';

/**
 * `insufficient`: a valid token that does not cover the route (the API token on an admin route).
 * `cross-site`: a state-changing request a browser sent on behalf of another site.
 * `not-local`: no ADMIN_TOKEN, and the request is not plainly from this machine to this machine.
 */
export type AdminAccess = 'granted' | 'unauthorized' | 'forbidden' | 'insufficient' | 'cross-site' | 'not-local';

/** What the decision looks at. Proxy headers are never believed, only noticed. */
export interface AdminRequestFacts {
  readonly authorization: string | undefined;
  readonly remoteAddress: string | undefined;
  readonly method?: string;
  readonly host?: string | undefined;
  readonly origin?: string | undefined;
  readonly secFetchSite?: string | undefined;
  /** Names of the proxy headers the request carries (Forwarded, X-Forwarded-*, X-Real-IP, ...). */
  readonly proxyHeaders?: readonly string[];
}

/** Headers a reverse proxy or tunnel adds: their presence means the socket's address is not the client's. */
export const PROXY_HEADERS: readonly string[] = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'cf-connecting-ip',
  'true-client-ip',
];

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The only names this machine is reached by from itself (a rebinding page arrives with its own). */
const LOCAL_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

/** What a route needs: the admin token, or a narrower token (which the admin token also covers). */
export type Scope = 'admin' | 'api' | 'metrics';

export interface Tokens {
  readonly admin: string | null;
  /** May use /api/messages* and read /api/session/status; nothing else. */
  readonly api: string | null;
  /** May read /metrics; nothing else. */
  readonly metrics?: string | null;
}

export interface AdminAuth {
  /** Middleware for admin routes: 401 (with a Basic challenge so browsers prompt) or 403 otherwise. */
  readonly requireAdmin: RequestHandler;
  /** Middleware for what an application may do: the API token or the admin token. */
  readonly requireApi: RequestHandler;
  /** Middleware for /metrics: the metrics token or the admin token. */
  readonly requireMetrics: RequestHandler;
  /** For routes with optional auth (health): true when the caller may see the detail. */
  isAdmin(req: Request): boolean;
}

/** Sent with every 401: makes a browser show its login prompt for /qr. */
export const BASIC_CHALLENGE = 'Basic realm="wa-tether", charset="UTF-8"';

const UNAUTHORIZED_MESSAGE =
  'Admin routes need the admin token. To resolve, send "Authorization: Bearer <ADMIN_TOKEN>", ' +
  'or open the page in a browser and enter ADMIN_TOKEN as the password (any user name).';
const API_UNAUTHORIZED_MESSAGE = 'This route needs the API token (or the admin token). To resolve, send "Authorization: Bearer <API_TOKEN>".';
const API_FORBIDDEN_MESSAGE =
  'This route needs API_TOKEN or ADMIN_TOKEN when called from another host. To resolve, set API_TOKEN and send it as a Bearer token.';
const CROSS_SITE_MESSAGE =
  'Refused: a state-changing request from another site (Origin or Sec-Fetch-Site). To resolve, call the API from a server, or use the /qr page itself.';
const NOT_LOCAL_MESSAGE =
  'Without ADMIN_TOKEN the daemon answers this machine only: the request came through a proxy or tunnel, or by a name other than localhost, 127.0.0.1 or [::1]. To resolve, set ADMIN_TOKEN (and API_TOKEN for applications) and send it as a Bearer token.';
const INSUFFICIENT_MESSAGE =
  'This token does not cover the route: the API token may send and read messages, fetch received files (/api/media) and read /api/session/status, the metrics token may read /metrics; this route needs ADMIN_TOKEN.';
const METRICS_UNAUTHORIZED_MESSAGE =
  '/metrics needs the metrics token (or the admin token). To resolve, send "Authorization: Bearer <METRICS_TOKEN>" (in Prometheus: authorization.credentials).';
const METRICS_FORBIDDEN_MESSAGE =
  '/metrics needs METRICS_TOKEN or ADMIN_TOKEN when scraped from another host. To resolve, set METRICS_TOKEN and give it to the scraper as a Bearer token.';
const FORBIDDEN_MESSAGE = 'Admin routes need ADMIN_TOKEN when called from another host. To resolve, set ADMIN_TOKEN and send it as a Bearer token.';

const MESSAGES: Readonly<Record<Scope, { readonly unauthorized: string; readonly forbidden: string }>> = {
  admin: { unauthorized: UNAUTHORIZED_MESSAGE, forbidden: FORBIDDEN_MESSAGE },
  api: { unauthorized: API_UNAUTHORIZED_MESSAGE, forbidden: API_FORBIDDEN_MESSAGE },
  metrics: { unauthorized: METRICS_UNAUTHORIZED_MESSAGE, forbidden: METRICS_FORBIDDEN_MESSAGE },
};

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
 * from anywhere. Without ADMIN_TOKEN this machine is the admin, strictly: a loopback socket,
 * a Host of localhost, 127.0.0.1 or [::1] (a DNS-rebinding page brings its own name), and no
 * proxy headers (a local proxy or tunnel makes the whole Internet "loopback"). Whatever the
 * token, a state-changing request that a browser made for another site is refused: Basic
 * credentials ride along on such requests by themselves.
 */
export function decideAccess(tokens: Tokens, facts: AdminRequestFacts, scope: Scope): AdminAccess {
  if (isCrossSite(facts)) return 'cross-site';
  const admin = tokens.admin === '' ? null : tokens.admin;
  const api = tokens.api === '' ? null : tokens.api;
  const metrics = tokens.metrics === '' || tokens.metrics === undefined ? null : tokens.metrics;
  const presented = presentedToken(facts.authorization);
  // Hashing both sides gives equal lengths, so timingSafeEqual never leaks a token's length;
  // all are always compared, so the time does not tell which one matched.
  const isAdmin = matches(presented, admin);
  const isApi = matches(presented, api);
  const isMetrics = matches(presented, metrics);
  if (isAdmin || (scope === 'api' && isApi) || (scope === 'metrics' && isMetrics)) return 'granted';
  if (isApi || isMetrics) return 'insufficient';
  if (admin === null && isLoopbackAddress(facts.remoteAddress)) return isPlainlyLocal(facts) ? 'granted' : 'not-local';
  const scopeToken = scope === 'api' ? api : scope === 'metrics' ? metrics : null;
  if (admin === null && scopeToken === null) return 'forbidden';
  return 'unauthorized';
}

function isPlainlyLocal(facts: AdminRequestFacts): boolean {
  // Facts built without the headers (unit tests of the token rules) count as local.
  if (facts.host === undefined && facts.proxyHeaders === undefined) return true;
  return LOCAL_HOST.test(facts.host ?? '') && (facts.proxyHeaders ?? []).length === 0;
}

function isCrossSite(facts: AdminRequestFacts): boolean {
  if (SAFE_METHODS.has((facts.method ?? 'GET').toUpperCase())) return false;
  const site = facts.secFetchSite?.toLowerCase();
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  if (facts.origin === undefined) return false;
  if (facts.origin === 'null' || facts.host === undefined) return true;
  try {
    return new URL(facts.origin).host.toLowerCase() !== facts.host.toLowerCase();
  } catch {
    return true;
  }
}

function matches(presented: string | null, token: string | null): boolean {
  // Whether a token was sent, and whether one is configured, are no secrets; how close a
  // presented token is to the real one is.
  if (presented === null || token === null) return false;
  return timingSafeEqual(digest(presented), digest(token));
}

function factsOf(req: Request): AdminRequestFacts {
  return {
    authorization: req.headers.authorization,
    remoteAddress: req.socket.remoteAddress,
    method: req.method,
    host: req.headers.host,
    origin: req.headers.origin,
    secFetchSite: header(req, 'sec-fetch-site'),
    proxyHeaders: PROXY_HEADERS.filter((name) => req.headers[name] !== undefined),
  };
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function createAdminAuth(tokens: Tokens, logger: Logger, clock: Clock = systemClock): AdminAuth {
  const throttle = new AuthThrottle({ clock });
  const adminToken = tokens.admin;
  if (adminToken === null || adminToken === '') {
    logger.warn(
      'ADMIN_TOKEN is not set: admin routes (/qr, /api/qr, /api/session/*, /api/events) answer loopback clients only. ' +
        'Behind a reverse proxy on the same host every client looks local, so set ADMIN_TOKEN there.',
    );
  }

  const requireScope =
    (scope: Scope): RequestHandler =>
    (req, res, next) => {
      // Per scope: a scraper with a stale METRICS_TOKEN (behind the same proxy, one address)
      // must not lock the operator out of /qr.
      const address = `${scope} ${req.socket.remoteAddress ?? 'unknown'}`;
      const wait = throttle.retryAfterSeconds(address);
      if (wait > 0) {
        res.setHeader('Retry-After', String(wait));
        return next(new AppError('TOO_MANY_ATTEMPTS', `Too many failed logins from this address; try again in ${wait} s with the right token.`));
      }
      const facts = factsOf(req);
      const access = decideAccess(tokens, facts, scope);
      if (access === 'granted') return next();
      // A wrong token counts wherever it is refused; a request with none is a browser asking for
      // the login prompt, and a valid token on the wrong route is no guess.
      if ((access === 'unauthorized' || access === 'forbidden' || access === 'not-local') && presentedToken(facts.authorization) !== null)
        throttle.fail(address);
      if (access === 'forbidden') return next(new AppError('FORBIDDEN', MESSAGES[scope].forbidden));
      if (access === 'insufficient') return next(new AppError('FORBIDDEN', INSUFFICIENT_MESSAGE));
      if (access === 'cross-site') return next(new AppError('FORBIDDEN', CROSS_SITE_MESSAGE));
      if (access === 'not-local') return next(new AppError('FORBIDDEN', NOT_LOCAL_MESSAGE));
      // The admin page reads /api/session/status too, with the Basic credentials of /qr.
      res.setHeader('WWW-Authenticate', BASIC_CHALLENGE);
      return next(new AppError('UNAUTHORIZED', MESSAGES[scope].unauthorized));
    };

  return {
    requireAdmin: requireScope('admin'),
    requireApi: requireScope('api'),
    requireMetrics: requireScope('metrics'),
    isAdmin: (req) => decideAccess(tokens, factsOf(req), 'admin') === 'granted',
  };
}
