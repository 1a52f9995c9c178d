import type { MediaStore } from './media-store';
import type { OutboxStore } from './outbox-store';
import type { WebhookStore } from './webhook-store';

/** Where the outbox and the deliveries are kept: SQLite on the local disk, or PostgreSQL. */
export interface MessagingStores {
  readonly outbox: OutboxStore;
  readonly webhooks: WebhookStore;
  readonly media: MediaStore;
  close(): void | Promise<void>;
}
