import type { MessagingStores } from '../../app/build-messaging';
import type { WebhookRouting } from '../../webhooks/webhook-store';
import { openDatabase } from './open-database';
import { SqliteOutboxStore } from './sqlite-outbox-store';
import { SqliteWebhookStore } from './sqlite-webhook-store';

/** The outbox and the deliveries in the embedded database at `file` (AUTH_PATH/wa-tether-<CLIENT_ID>.db). */
export function openSqliteStores(file: string, routing: WebhookRouting): MessagingStores {
  const db = openDatabase(file);
  const webhooks = new SqliteWebhookStore(db, routing);
  return {
    outbox: new SqliteOutboxStore(db, webhooks),
    webhooks,
    close: () => {
      if (db.open) db.close();
    },
  };
}
