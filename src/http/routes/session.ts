import type { Router } from 'express';
import type { AdminAuth } from '../admin-auth';
import type { AppDeps } from '../app-deps';
import type { ClearBody, SessionStatusBody } from '../bodies';
import { toClusterDetailBody } from '../cluster-body';
import { describeDiskSession } from '../describe-disk-session';
import { toPublicSnapshot, toSavedSession } from '../public-snapshot';
import { methodNotAllowed } from '../method-not-allowed';
import { router as newRouter } from '../router';

function clearMessage(loggedOut: boolean, wiped: boolean): string {
  const steps = [loggedOut ? 'Logged out of WhatsApp' : 'No live session to log out of'];
  steps.push(wiped ? 'deleted the saved session' : 'there was no saved session to delete');
  return `${steps.join('; ')}. A new QR will appear at /qr in a few seconds.`;
}

/** `GET /api/session/status` and `DELETE /api/session/clear` (admin). */
export function sessionRoutes(deps: AppDeps, auth: AdminAuth): Router {
  const router = newRouter();

  // An application may read it too (API token): it says whether its messages can go out.
  router.get('/api/session/status', auth.requireApi, async (_req, res) => {
    const outbox = await deps.messaging.outbox.counts();
    const snapshot = deps.session.snapshot();
    const info = deps.inspector.current();
    const body: SessionStatusBody = {
      ...toSavedSession(info),
      message: describeDiskSession(info, snapshot),
      clientId: deps.config.clientId,
      // The live snapshot too, for the admin page when it polls instead of streaming.
      ...toPublicSnapshot(snapshot, deps.simulated),
      checkedAt: info.checkedAt.toISOString(),
      counters: deps.session.counters(),
      outbox,
      bot: { dropped: { ...deps.bot.dropped }, queued: deps.bot.queued },
      ...(deps.cluster === undefined ? {} : { cluster: toClusterDetailBody(deps.cluster.status()) }),
    };
    res.json(body);
  });
  router.all('/api/session/status', methodNotAllowed('GET'));

  // Any body is ignored; the body limits in front of every route already capped its size.
  router.delete('/api/session/clear', auth.requireAdmin, async (_req, res) => {
    deps.logger.info('Session clear requested over HTTP');
    const result = await deps.session.clear();
    const body: ClearBody = { success: true, message: clearMessage(result.loggedOut, result.wiped) };
    res.json(body);
  });
  router.all('/api/session/clear', methodNotAllowed('DELETE'));

  return router;
}
