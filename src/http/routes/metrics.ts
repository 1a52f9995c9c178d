import type { Router } from 'express';
import type { AdminAuth } from '../admin-auth';
import type { AppDeps } from '../app-deps';
import { methodNotAllowed } from '../method-not-allowed';
import { router as newRouter } from '../router';

/**
 * `GET /metrics`: Prometheus text format, for the admin token or METRICS_TOKEN (never public:
 * the counters tell an outsider when the account is offline and how busy it is).
 */
export function metricsRoutes(deps: AppDeps, auth: AdminAuth): Router {
  const router = newRouter();
  router.get('/metrics', auth.requireMetrics, async (_req, res, next) => {
    try {
      const { contentType, text } = await deps.metrics.render();
      res.type(contentType).send(text);
    } catch (error) {
      next(error);
    }
  });
  router.all('/metrics', methodNotAllowed('GET'));
  return router;
}
