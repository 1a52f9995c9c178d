import http from 'node:http';
import type { Express } from 'express';

export interface ServerLimits {
  /** A client must have sent its whole header block by then. */
  readonly headersTimeoutMs: number;
  /** ... and its whole request (the 1 MB message body included). */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** Sockets open at once; more are refused at accept. */
  readonly maxConnections: number;
  /** How often Node looks for requests past their timeouts (its default, 30 s, would let one live 45 s). */
  readonly checkIntervalMs: number;
}

/**
 * Node's defaults let a client hold a socket for a minute without finishing its headers, and
 * accept sockets without end: a few hundred slow clients would hold the daemon. With these, a
 * client that has not finished its headers is cut off within 16 s, and the sockets the
 * operator surface needs (a page, its event stream, health checks, an application) fit well
 * under the cap.
 */
export const SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 15_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  checkIntervalMs: 1_000,
};

export function createHttpServer(app: Express, limits: ServerLimits = SERVER_LIMITS): http.Server {
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    app,
  );
  server.maxConnections = limits.maxConnections;
  return server;
}
