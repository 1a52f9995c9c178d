import { randomUUID } from 'node:crypto';
import type { OutboxError } from '../messaging/outbox-store';
import type { PairedAccount, SessionState } from '../session/session-state';
import type { IncomingMessage } from '../whatsapp/wa-client';
import type { WebhookEventDraft, WebhookEventType } from './webhook-store';

/** The status of a message sent through the API, as `message.status` events tell it. */
export type MessageStatusEvent = 'sent' | 'delivered' | 'read' | 'failed';

function draft(type: WebhookEventType, data: object, now: number): WebhookEventDraft {
  const body = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
  return { id: `evt_${randomUUID()}`, type, body, createdAt: now };
}

/** An incoming message, with the fields an application needs to answer it. */
export function messageEvent(message: IncomingMessage, now: number): WebhookEventDraft {
  const { id, chatId, from, author, body, type, timestamp, isGroup, notifyName, hasMedia } = message;
  return draft('message', { id, chatId, from, author, body, type, timestamp, isGroup, notifyName, hasMedia }, now);
}

export function messageStatusEvent(
  message: { readonly id: string; readonly waMessageId: string | null },
  status: MessageStatusEvent,
  error: OutboxError | null,
  now: number,
): WebhookEventDraft {
  return draft('message.status', { id: message.id, status, waMessageId: message.waMessageId, error }, now);
}

export function sessionStatusEvent(
  change: { readonly state: SessionState; readonly previous: SessionState; readonly since: Date; readonly me: PairedAccount | null },
  now: number,
): WebhookEventDraft {
  return draft('session.status', { state: change.state, previous: change.previous, since: change.since.toISOString(), me: change.me }, now);
}
