import type { WebhookEventType } from '../config/event-types';

/** An event about to be committed: its body is final (the same bytes on every retry). */
export interface WebhookEventDraft {
  /** `webhook-id`: stable across the retries of this event. */
  readonly id: string;
  readonly type: WebhookEventType;
  /** The exact JSON sent: `{"type", "timestamp", "data"}`. */
  readonly body: string;
  readonly createdAt: number;
}

export type DeliveryStatus = 'pending' | 'failed' | 'dead' | 'delivered';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'failed', 'dead', 'delivered'];

/** One event on its way to one URL. */
export interface Delivery {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: WebhookEventType;
  readonly url: string;
  readonly body: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly createdAt: number;
  /** Retries stop being made once `retryFrom + maxAge` has passed (a manual retry moves it). */
  readonly retryFrom: number;
  readonly nextAttemptAt: number;
  readonly deliveredAt: number | null;
  readonly lastError: string | null;
  readonly lastStatusCode: number | null;
}

export interface DeliveryCounts {
  readonly pending: number;
  readonly failed: number;
  readonly dead: number;
  readonly delivered: number;
  /** Age of the oldest delivery not yet done (pending or failed), ms; null when none. */
  readonly oldestPendingAgeMs: number | null;
  readonly lastError: string | null;
}

/** Where events go: every URL gets every event of the wanted types. */
export interface WebhookRouting {
  readonly urls: readonly string[];
  readonly events: ReadonlySet<WebhookEventType>;
}

/**
 * Webhook events and their deliveries, committed before anything else happens with them: an
 * event recorded here reaches every URL at least once, across restarts.
 */
export interface WebhookStore {
  /** Commits `event` with one pending delivery per URL; false (nothing stored) when no URL wants its type. */
  record(event: WebhookEventDraft): Promise<boolean>;
  /** Deliveries due at `now` (pending or failed), oldest first. */
  due(now: number, limit: number): Promise<readonly Delivery[]>;
  /** The earliest `nextAttemptAt` of a delivery still to make; null when none. */
  nextDueAt(): Promise<number | null>;
  markDelivered(id: string, now: number, statusCode: number): Promise<void>;
  markFailed(
    id: string,
    update: { readonly attempts: number; readonly nextAttemptAt: number; readonly error: string; readonly statusCode: number | null },
  ): Promise<void>;
  markDead(
    id: string,
    update: { readonly attempts: number; readonly at: number; readonly error: string; readonly statusCode: number | null },
  ): Promise<void>;
  get(id: string): Promise<Delivery | null>;
  list(options: { readonly status?: DeliveryStatus; readonly limit: number }): Promise<readonly Delivery[]>;
  /** A failed or dead delivery made due now, with a fresh retry window; null when there is none to retry. */
  retry(id: string, now: number): Promise<Delivery | null>;
  counts(now: number): Promise<DeliveryCounts>;
  /** Deletes delivered and dead deliveries (and events left without any) finished before `before`. */
  prune(before: number): Promise<number>;
}
