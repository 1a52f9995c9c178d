import type { Router } from 'express';
import { AppError } from '../../common/errors';
import { DELIVERY_STATUSES, type Delivery, type DeliveryStatus } from '../../storage/webhook-store';
import type { AdminAuth } from '../admin-auth';
import type { AppDeps } from '../app-deps';
import type { DeliveryBody, DeliveryListBody } from '../bodies';
import { methodNotAllowed } from '../method-not-allowed';
import { limitParam } from '../query-params';
import { router as newRouter } from '../router';

function toDeliveryBody(delivery: Delivery): DeliveryBody {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    type: delivery.eventType,
    url: delivery.url,
    status: delivery.status,
    attempts: delivery.attempts,
    createdAt: new Date(delivery.createdAt).toISOString(),
    nextAttemptAt: delivery.status === 'pending' || delivery.status === 'failed' ? new Date(delivery.nextAttemptAt).toISOString() : null,
    deliveredAt: delivery.deliveredAt === null ? null : new Date(delivery.deliveredAt).toISOString(),
    lastError: delivery.lastError,
    lastStatusCode: delivery.lastStatusCode,
  };
}

/** `GET /api/webhooks/deliveries` and `POST /api/webhooks/deliveries/<id>/retry` (admin only). */
export function webhookRoutes(deps: AppDeps, auth: AdminAuth): Router {
  const router = newRouter();
  const { webhooks, deliverer } = deps.messaging;

  router.get('/api/webhooks/deliveries', auth.requireAdmin, async (req, res) => {
    const { status } = req.query;
    if (status !== undefined && !DELIVERY_STATUSES.includes(status as DeliveryStatus)) {
      throw new AppError('INVALID_QUERY', `status must be one of ${DELIVERY_STATUSES.join(', ')}.`);
    }
    const limit = limitParam(req.query.limit);
    const deliveries = await webhooks.list({ limit, ...(status === undefined ? {} : { status: status as DeliveryStatus }) });
    const counts = await webhooks.counts(deps.clock.now());
    const body: DeliveryListBody = { deliveries: deliveries.map(toDeliveryBody), counts };
    res.json(body);
  });
  router.all('/api/webhooks/deliveries', methodNotAllowed('GET'));

  router.post('/api/webhooks/deliveries/:id/retry', auth.requireAdmin, async (req, res) => {
    const id = String(req.params.id);
    const existing = await webhooks.get(id);
    if (existing === null) throw new AppError('NOT_FOUND', `No delivery ${JSON.stringify(id)}. GET /api/webhooks/deliveries lists them.`);
    const retried = await webhooks.retry(id, deps.clock.now());
    if (retried === null) {
      throw new AppError('DELIVERY_NOT_RETRYABLE', `Delivery ${id} is ${existing.status}: only a failed or dead delivery can be retried.`);
    }
    deliverer.kick();
    res.json(toDeliveryBody(retried));
  });
  router.all('/api/webhooks/deliveries/:id/retry', methodNotAllowed('POST'));

  return router;
}
