import type { Router } from 'express';
import { AppError } from '../../common/errors';
import { OUTBOX_STATUSES, type OutboxRecord, type OutboxStatus } from '../../storage/outbox-store';
import { parseIdempotencyKey, parseSendForm, parseSendRequest } from '../../messaging/send-request';
import { prepareSend } from '../../media/prepare-media';
import { messageForm } from '../message-body';
import type { AdminAuth } from '../admin-auth';
import type { AppDeps } from '../app-deps';
import type { AcceptedMessageBody, MessageBody, MessagePageBody } from '../bodies';
import { methodNotAllowed } from '../method-not-allowed';
import { cursorParam, limitParam } from '../query-params';
import { router as newRouter } from '../router';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toMessageBody(record: OutboxRecord): MessageBody {
  return {
    id: record.id,
    status: record.status,
    to: record.chatId,
    createdAt: new Date(record.createdAt).toISOString(),
    media:
      record.media === null
        ? null
        : {
            mimetype: record.media.mimetype,
            filename: record.media.filename,
            size: record.media.size,
            sha256: record.media.sha256,
            kind: record.media.kind,
          },
    sentAt: iso(record.sentAt),
    waMessageId: record.waMessageId,
    attempts: record.attempts,
    error: record.error,
  };
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
    const form = messageForm(req);
    const request = form === null ? parseSendRequest(req.body) : parseSendForm(form.fields, form.file);
    // A file's base64 is the largest thing this request holds: let it go before the send,
    // which may start while the answer is still being written.
    req.body = undefined;
    const result = await outbox.accept(await prepareSend(request, deps.config.media), 'api', key);
    if (result.kind === 'conflict') {
      throw new AppError(
        'IDEMPOTENCY_KEY_REUSED',
        `Idempotency-Key ${JSON.stringify(key)} was used for another message (${result.record.id}). To resolve, use a new key for a new message.`,
      );
    }
    const { id, status, to, createdAt, media } = toMessageBody(result.record);
    const body: AcceptedMessageBody = { id, status, to, createdAt, media };
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
    const cursor = cursorParam(before);
    const page = await outbox.list({
      limit: limitParam(req.query.limit),
      ...(status === undefined ? {} : { status: status as OutboxStatus }),
      ...(cursor === undefined ? {} : { before: cursor }),
    });
    const body: MessagePageBody = { messages: page.messages.map(toMessageBody), next: page.next === null ? null : String(page.next) };
    res.json(body);
  });

  router.all('/api/messages', methodNotAllowed('GET', 'POST'));
  router.all('/api/messages/:id', methodNotAllowed('GET'));
  return router;
}
