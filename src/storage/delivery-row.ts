import type { Delivery, DeliveryStatus } from './webhook-store';
import type { WebhookEventType } from '../config/event-types';

/** A delivery joined with its event, as both databases store them (the same columns). */
export interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: WebhookEventType;
  url: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  created_at: number;
  retry_from: number;
  next_attempt_at: number;
  delivered_at: number | null;
  last_error: string | null;
  last_status_code: number | null;
}

export function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    url: row.url,
    body: row.body,
    status: row.status,
    attempts: row.attempts,
    createdAt: row.created_at,
    retryFrom: row.retry_from,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    lastError: row.last_error,
    lastStatusCode: row.last_status_code,
  };
}
