import type { Response, Router } from 'express';
import { AppError } from '../../common/errors';
import type { SessionSnapshot } from '../../session/session-state';
import type { AdminAuth } from '../admin-auth';
import type { AppDeps } from '../app-deps';
import { methodNotAllowed } from '../method-not-allowed';
import { toPublicSnapshot } from '../public-snapshot';
import { router as newRouter } from '../router';

const DEFAULT_HEARTBEAT_MS = 15_000;
/** Open streams at most: each holds a socket and a subscription, and an operator needs a few. */
const DEFAULT_MAX_STREAMS = 16;
/** How long EventSource waits before reconnecting after the stream drops. */
const CLIENT_RETRY_MS = 3_000;

function writeState(res: Response, snapshot: SessionSnapshot, simulated: boolean): void {
  res.write(`event: state\ndata: ${JSON.stringify(toPublicSnapshot(snapshot, simulated))}\n\n`);
}

/**
 * `GET /api/events` (admin): Server-Sent Events, one `state` event at once and one per
 * change. Public-safe data only (no QR payload: the page loads /api/qr.png instead).
 * The stream ends when the session enters `stopping`, so open streams never hold up
 * the server's shutdown.
 */
export function eventRoutes(deps: AppDeps, auth: AdminAuth): Router {
  const router = newRouter();
  const heartbeatMs = deps.sseHeartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const maxStreams = deps.maxEventStreams ?? DEFAULT_MAX_STREAMS;
  let streams = 0;

  router.get('/api/events', auth.requireAdmin, (req, res) => {
    if (deps.isShuttingDown?.() ?? false) {
      throw new AppError('SHUTTING_DOWN', 'The daemon is shutting down; live updates stopped. Reload the page once it is back.');
    }
    if (streams >= maxStreams) {
      throw new AppError(
        'TOO_MANY_STREAMS',
        `${maxStreams} event streams are open already. To resolve, close other /qr tabs; the page falls back to polling meanwhile.`,
      );
    }
    streams++;
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Connection', 'keep-alive');
    // Proxies such as nginx buffer responses by default, which would hold events back.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    req.socket.setNoDelay(true);

    const open = (): boolean => !res.writableEnded && !res.destroyed;
    let unsubscribe: (() => void) | null = null;
    let heartbeat: NodeJS.Timeout | undefined;
    let counted = true;
    const stop = (): void => {
      if (counted) streams--;
      counted = false;
      clearInterval(heartbeat);
      unsubscribe?.();
      unsubscribe = null;
    };
    const send = (snapshot: SessionSnapshot): void => {
      if (!open()) return;
      writeState(res, snapshot, deps.simulated ?? false);
      if (snapshot.state === 'stopping') {
        stop();
        res.end();
      }
    };

    // Before the first write: a stream that closes at any point gives its slot back.
    res.on('close', stop);
    // A client that vanishes mid-write must not become an unhandled 'error' event.
    res.on('error', stop);
    res.write(`retry: ${CLIENT_RETRY_MS}\n\n`);
    // Synchronous from here to subscribe(): no change can slip between the first event and the subscription.
    send(deps.session.snapshot());
    if (!open()) return;
    unsubscribe = deps.session.subscribe(send);
    heartbeat = setInterval(() => {
      if (open()) res.write(': heartbeat\n\n');
    }, heartbeatMs);
    heartbeat.unref();
  });
  router.all('/api/events', methodNotAllowed('GET'));

  return router;
}
