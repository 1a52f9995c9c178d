import http from 'node:http';
import type { Socket } from 'node:net';
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

/** Past the headers timeout, how long the guard leaves Node's own checker to act first. */
export const GUARD_GRACE_MS = 1_000;

const REQUEST_TIMEOUT = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

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
  guardFirstRequest(server, limits.headersTimeoutMs + GUARD_GRACE_MS);
  return server;
}

/**
 * Node ends a socket whose headers never finish from one interval timer per server, which runs
 * only while the server is listening and only sees sockets its parser has marked active. A
 * timer per socket until its first request arrives does not depend on any of that, so a
 * client that opens a socket and stalls is ended by the same deadline in every state.
 * (Later requests on a kept-alive socket are Node's: its keep-alive and headers timeouts.)
 */
function guardFirstRequest(server: http.Server, deadlineMs: number): void {
  const guards = new WeakMap<Socket, NodeJS.Timeout>();
  server.on('connection', (socket: Socket) => {
    const guard = setTimeout(() => {
      guards.delete(socket);
      if (socket.destroyed) return;
      if (socket.writable) socket.end(REQUEST_TIMEOUT, () => socket.destroy());
      else socket.destroy();
    }, deadlineMs);
    guard.unref();
    guards.set(socket, guard);
    socket.once('close', () => {
      clearTimeout(guard);
      guards.delete(socket);
    });
  });
  server.on('request', (req: http.IncomingMessage) => {
    const guard = guards.get(req.socket);
    if (guard === undefined) return;
    clearTimeout(guard);
    guards.delete(req.socket);
  });
}
