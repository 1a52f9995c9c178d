import { randomUUID } from 'node:crypto';
import type { OutboxError } from '../storage/outbox-store';
import type { SessionState } from '../session/session-state';
import type { PairedAccount } from '../whatsapp/wa-client';
import type { IncomingMessage } from '../whatsapp/wa-client';
import type { WebhookEventDraft } from '../storage/webhook-store';
import type { WebhookEventType } from '../config/event-types';
import type { MediaKind } from '../common/media-kind';

/** The status of a message sent through the API, as `message.status` events tell it. */
export type MessageStatusEvent = 'sent' | 'delivered' | 'read' | 'failed';

function draft(type: WebhookEventType, data: object, now: number): WebhookEventDraft {
  const body = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data });
  return { id: `evt_${randomUUID()}`, type, body, createdAt: now };
}

/** A received file as the `message` event names it: where to fetch it, never its bytes. */
export type MessageMediaField =
  | {
      readonly id: string;
      readonly mimetype: string;
      readonly filename: string | null;
      readonly size: number;
      readonly sha256: string;
      readonly kind: MediaKind;
      /** `/api/media/<id>` on this daemon (API_TOKEN or ADMIN_TOKEN). */
      readonly url: string;
    }
  /** Not kept: WhatsApp no longer had it, or it took over a minute, or it is over MEDIA_MAX_BYTES. */
  | { readonly status: 'unavailable' | 'too_large'; readonly mimetype: string | null; readonly size: number | null };

/** An incoming message, with the fields an application needs to answer it; `media` null without a file. */
export function messageEvent(message: IncomingMessage, now: number, media: MessageMediaField | null = null): WebhookEventDraft {
  const { id, chatId, from, author, body, type, timestamp, isGroup, notifyName, hasMedia } = message;
  return draft('message', { id, chatId, from, author, body, type, timestamp, isGroup, notifyName, hasMedia, media }, now);
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
