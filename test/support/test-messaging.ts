import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../../src/common/clock';
import { BacklogMonitor } from '../../src/messaging/backlog';
import { Outbox } from '../../src/messaging/outbox';
import { openDatabase, type SqliteDatabase } from '../../src/storage/sqlite/open-database';
import { SqliteMediaStore } from '../../src/storage/sqlite/sqlite-media-store';
import { SqliteOutboxStore } from '../../src/storage/sqlite/sqlite-outbox-store';
import { SqliteWebhookStore } from '../../src/storage/sqlite/sqlite-webhook-store';
import type { WebhookRouting } from '../../src/storage/webhook-store';
import type { WebhookEventType } from '../../src/config/event-types';
import { RecordingLogger } from './recording-logger';

/** The real stores on a real SQLite file in a temp dir, with counters where the daemon would wake its loops. */
export function createTestStores(
  clock: Clock,
  routing: WebhookRouting = {
    urls: ['http://127.0.0.1:9/hooks'],
    events: new Set<WebhookEventType>(['message', 'message.status', 'session.status']),
  },
) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wa-tether-db-'));
  const file = path.join(dir, 'wa-tether-test.db');
  const db: SqliteDatabase = openDatabase(file);
  const webhooks = new SqliteWebhookStore(db, routing);
  const outboxStore = new SqliteOutboxStore(db, webhooks);
  const media = new SqliteMediaStore(db, path.join(dir, 'media'));
  const wakes = { sender: 0, deliverer: 0 };
  const outbox = new Outbox({ store: outboxStore, media, clock, onQueued: () => void wakes.sender++ });
  const backlog = new BacklogMonitor(outboxStore, webhooks, media, clock, new RecordingLogger());
  return {
    dir,
    file,
    db,
    webhooks,
    outboxStore,
    media,
    outbox,
    backlog,
    wakes,
    deliverer: { kick: () => void wakes.deliverer++ },
    dispose(): void {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type TestStores = ReturnType<typeof createTestStores>;
