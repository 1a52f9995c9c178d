import type { MessagingStores } from '../messaging-stores';
import type { WebhookRouting } from '../webhook-store';
import { openDatabase } from './open-database';
import { SqliteMediaStore } from './sqlite-media-store';
import { SqliteOutboxStore } from './sqlite-outbox-store';
import { SqliteWebhookStore } from './sqlite-webhook-store';

/**
 * The outbox and the deliveries in the embedded database at `file` (AUTH_PATH/wa-tether-<CLIENT_ID>.db),
 * media bytes as files in `mediaDir`.
 */
export function openSqliteStores(file: string, routing: WebhookRouting, mediaDir: string): MessagingStores {
  const db = openDatabase(file);
  const webhooks = new SqliteWebhookStore(db, routing);
  return {
    outbox: new SqliteOutboxStore(db, webhooks),
    webhooks,
    media: new SqliteMediaStore(db, mediaDir),
    close: () => {
      if (db.open) db.close();
    },
  };
}
