/**
 * The embedded database's schema, one step per version. `PRAGMA user_version` records how far
 * a file has come; each step runs in one transaction, so a crash mid-migration leaves the
 * previous version whole. Never edit a step that has shipped: add one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the outbox and the webhook events with their deliveries.
  `
  CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    chat_id TEXT NOT NULL,
    text TEXT NOT NULL,
    reply_to TEXT,
    source TEXT NOT NULL CHECK (source IN ('api', 'bot')),
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    finished_at INTEGER,
    sent_at INTEGER,
    wa_message_id TEXT,
    error_code TEXT,
    error_message TEXT,
    idempotency_key TEXT UNIQUE,
    fingerprint TEXT
  );
  CREATE INDEX outbox_pending ON outbox (chat_id, seq) WHERE status IN ('queued', 'sending');
  CREATE INDEX outbox_by_status ON outbox (status, seq);
  CREATE INDEX outbox_by_wa_id ON outbox (wa_message_id) WHERE wa_message_id IS NOT NULL;

  CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'failed', 'dead', 'delivered')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    retry_from INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    delivered_at INTEGER,
    finished_at INTEGER,
    last_error TEXT,
    last_status_code INTEGER
  );
  CREATE INDEX deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'failed');
  CREATE INDEX deliveries_by_status ON webhook_deliveries (status, created_at);
  CREATE INDEX deliveries_by_event ON webhook_deliveries (event_id);
  `,
  // 2: media: what a queued message carries (its bytes are files under AUTH_PATH), and what arrived.
  `
  ALTER TABLE outbox ADD COLUMN media_json TEXT;
  ALTER TABLE outbox ADD COLUMN media_sha256 TEXT;
  CREATE INDEX outbox_by_media ON outbox (media_sha256) WHERE media_sha256 IS NOT NULL;

  CREATE TABLE media_files (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE media_received (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    mimetype TEXT NOT NULL,
    filename TEXT,
    size INTEGER NOT NULL,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expired_at INTEGER
  );
  CREATE INDEX media_received_by_sha ON media_received (sha256) WHERE expired_at IS NULL;
  CREATE INDEX media_received_by_age ON media_received (created_at);
  `,
];
