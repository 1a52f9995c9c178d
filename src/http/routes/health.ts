import type { Router } from 'express';
import type { ClusterStatus } from '../../cluster/build-cluster';
import type { SessionState } from '../../session/session-state';
import { toClusterBody, toClusterDetailBody } from '../cluster-body';
import type { AdminAuth } from '../admin-auth';
import type { AppDeps } from '../app-deps';
import type { BacklogBody, HealthBody, HealthStatus } from '../bodies';
import type { Backlog } from '../../messaging/backlog';
import { simulatedMessage, toSavedSession } from '../public-snapshot';
import { methodNotAllowed } from '../method-not-allowed';
import { router as newRouter } from '../router';

/**
 * Only what a process restart can fix fails the check: Render restarts
 * a service after about a minute of failures, and a restart would not make anyone scan a QR.
 */
export function healthOf(state: SessionState, shuttingDown: boolean, cluster: ClusterStatus | null = null): HealthStatus {
  if (shuttingDown || state === 'failed' || state === 'stopping' || cluster?.role === 'lost') return 'fail';
  // A standby is healthy (it takes over when needed) but not serving: warn, never fail, or the
  // platform would restart it in a loop.
  if (cluster !== null && cluster.problem !== null) return 'warn';
  return state === 'ready' ? 'pass' : 'warn';
}

function toBacklogBody(backlog: Backlog | null): BacklogBody | null {
  return backlog === null ? null : { ...backlog, checkedAt: new Date(backlog.checkedAt).toISOString() };
}

/**
 * `GET /api/health`: public, answered from memory (the snapshot and the inspector's cached
 * picture), so it stays fast whatever the browser or the disk is doing.
 */
export function healthRoutes(deps: AppDeps, auth: AdminAuth): Router {
  const router = newRouter();

  router.get('/api/health', (req, res) => {
    const snapshot = deps.session.snapshot();
    const cluster = deps.cluster?.status() ?? null;
    const status = healthOf(snapshot.state, deps.isShuttingDown?.() ?? false, cluster);
    let body: HealthBody = {
      ...(deps.simulated ? { simulated: true as const } : {}),
      status,
      whatsapp: snapshot.state,
      authenticated: snapshot.state === 'authenticated' || snapshot.state === 'ready',
      ...(cluster === null ? {} : { cluster: toClusterBody(cluster) }),
    };
    if (auth.isAdmin(req)) {
      const info = deps.inspector.current();
      body = {
        ...body,
        time: new Date(deps.clock.now()).toISOString(),
        since: snapshot.since.toISOString(),
        stateMessage: deps.simulated ? simulatedMessage(snapshot.message) : snapshot.message,
        me: snapshot.me,
        session: { exists: info.exists, info: toSavedSession(info), authPath: deps.config.authPath, clientId: deps.config.clientId },
        backlog: toBacklogBody(deps.messaging.backlog.current()),
        webhooks: { urls: deps.config.webhooks.urls.length, events: deps.config.webhooks.events },
        ...(cluster === null ? {} : { cluster: toClusterDetailBody(cluster) }),
      };
    }
    res.status(status === 'fail' ? 503 : 200);
    res.type('application/health+json');
    res.send(JSON.stringify(body));
  });
  router.all('/api/health', methodNotAllowed('GET'));

  return router;
}
