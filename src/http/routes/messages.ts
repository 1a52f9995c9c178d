import type { Router } from 'express';
import { AppError } from '../../errors';
import { OUTBOX_STATUSES, type OutboxRecord, type OutboxStatus } from '../../messaging/outbox-store';
import { parseIdempotencyKey, parseSendRequest } from '../../messaging/send-request';
import type { AdminAuth } from '../admin-auth';
import type { AppDeps } from '../app-deps';
import type { AcceptedMessageBody, MessageBody, MessagePageBody } from '../bodies';
import { methodNotAllowed } from '../method-not-allowed';
import { router as newRouter } from '../router';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toMessageBody(record: OutboxRecord): MessageBody {
  return {
    id: record.id,
    status: record.status,
    to: record.chatId,
    createdAt: new Date(record.createdAt).toISOString(),
    sentAt: iso(record.sentAt),
    waMessageId: record.waMessageId,
    attempts: record.attempts,
    error: record.error,
  };
}

function pageLimit(value: unknown): number {
  if (value === undefined) return 50;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new AppError('INVALID_QUERY', 'limit must be a whole number from 1 to 200.');
  return limit;
}

/**
 * `POST /api/messages`, `GET /api/messages/<id>`, `GET /api/messages` (API token or admin). A
 * message is committed to the outbox before the 202; the sender delivers it while the session is
 * ready.
 */
export function messageRoutes(deps: AppDeps, auth: AdminAuth): Router {
  const router = newRouter();
  const { outbox } = deps.messaging;

  router.post('/api/messages', auth.requireApi, async (req, res) => {
    if (deps.isShuttingDown?.() ?? false) throw new AppError('SHUTTING_DOWN', 'The daemon is shutting down; send the message again once it is back.');
    const key = parseIdempotencyKey(req.get('Idempotency-Key'));
    const result = await outbox.accept(parseSendRequest(req.body), 'api', key);
    if (result.kind === 'conflict') {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${JSON.stringify(key)} was used for another message (${result.record.id}). To resolve, use a new key for a new message.`);
    }
    const { id, status, to, createdAt } = toMessageBody(result.record);
    const body: AcceptedMessageBody = { id, status, to, createdAt };
    res.status(result.kind === 'created' ? 202 : 200).json(body);
  });

  router.get('/api/messages/:id', auth.requireApi, async (req, res) => {
    const record = await outbox.get(String(req.params.id));
    if (record === null) throw new AppError('NOT_FOUND', `No message ${JSON.stringify(req.params.id)}. Ids come from POST /api/messages (msg_...).`);
    res.json(toMessageBody(record));
  });

  router.get('/api/messages', auth.requireApi, async (req, res) => {
    const { status, before } = req.query;
    if (status !== undefined && !OUTBOX_STATUSES.includes(status as OutboxStatus)) {
      throw new AppError('INVALID_QUERY', `status must be one of ${OUTBOX_STATUSES.join(', ')}.`);
    }
    const cursor = before === undefined ? undefined : Number(before);
    if (cursor !== undefined && !Number.isSafeInteger(cursor)) throw new AppError('INVALID_QUERY', 'before must be the "next" of a previous page.');
    const page = await outbox.list({ limit: pageLimit(req.query.limit), ...(status === undefined ? {} : { status: status as OutboxStatus }), ...(cursor === undefined ? {} : { before: cursor }) });
    const body: MessagePageBody = { messages: page.messages.map(toMessageBody), next: page.next === null ? null : String(page.next) };
    res.json(body);
  });

  router.all('/api/messages', methodNotAllowed('GET', 'POST'));
  router.all('/api/messages/:id', methodNotAllowed('GET'));
  return router;
}
