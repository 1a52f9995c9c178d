/**
 * The PostgreSQL schema, one step per version; `wa_tether_migrations` records which steps a
 * database has had. Every row carries `client_id`, so several daemons (one per account) can
 * share one database. Times the daemon sets are ms since the epoch (BIGINT); times the database
 * sets for the lease are its own `now()`, so hosts with skewed clocks agree on expiry.
 * Never edit a step that has shipped: add one.
 */
export const PG_MIGRATIONS: readonly string[] = [
  // 1: the outbox, the webhook events and deliveries, the session metadata, the saved session, the lease.
  `
  CREATE TABLE wa_tether_outbox (
    seq BIGSERIAL PRIMARY KEY,
    client_id TEXT NOT NULL,
    id TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    text TEXT NOT NULL,
    reply_to TEXT,
    source TEXT NOT NULL CHECK (source IN ('api', 'bot')),
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    finished_at BIGINT,
    sent_at BIGINT,
    wa_message_id TEXT,
    error_code TEXT,
    error_message TEXT,
    idempotency_key TEXT,
    fingerprint TEXT,
    UNIQUE (client_id, id),
    UNIQUE (client_id, idempotency_key)
  );
  CREATE INDEX wa_tether_outbox_pending ON wa_tether_outbox (client_id, chat_id, seq) WHERE status IN ('queued', 'sending');
  CREATE INDEX wa_tether_outbox_by_status ON wa_tether_outbox (client_id, status, seq);
  CREATE INDEX wa_tether_outbox_by_wa_id ON wa_tether_outbox (client_id, wa_message_id) WHERE wa_message_id IS NOT NULL;

  CREATE TABLE wa_tether_webhook_events (
    client_id TEXT NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, id)
  );
  CREATE TABLE wa_tether_webhook_deliveries (
    client_id TEXT NOT NULL,
    id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'failed', 'dead', 'delivered')),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    retry_from BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    delivered_at BIGINT,
    finished_at BIGINT,
    last_error TEXT,
    last_status_code INTEGER,
    PRIMARY KEY (client_id, id),
    FOREIGN KEY (client_id, event_id) REFERENCES wa_tether_webhook_events (client_id, id) ON DELETE CASCADE
  );
  CREATE INDEX wa_tether_deliveries_due ON wa_tether_webhook_deliveries (client_id, next_attempt_at) WHERE status IN ('pending', 'failed');
  CREATE INDEX wa_tether_deliveries_by_status ON wa_tether_webhook_deliveries (client_id, status, created_at);
  CREATE INDEX wa_tether_deliveries_by_event ON wa_tether_webhook_deliveries (client_id, event_id);

  CREATE TABLE wa_tether_session_metadata (
    client_id TEXT PRIMARY KEY,
    data JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
  );

  -- One row per account: which saved version is the good one. last_version only ever grows,
  -- also across a clear, so a host can tell "cleared since my copy" from "never saved".
  CREATE TABLE wa_tether_sessions (
    client_id TEXT PRIMARY KEY,
    current_version BIGINT,
    last_version BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
  );
  -- Each save is a new row, complete (data and checksum) before current_version points at it.
  CREATE TABLE wa_tether_session_archives (
    client_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    lease_generation BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, version)
  );

  -- Who runs the account. generation grows with every new holder and fences its writes.
  CREATE TABLE wa_tether_leases (
    client_id TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    generation BIGINT NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL,
    renewed_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
  );
  `,
  // 2: media: what a queued message carries and what arrived, with the bytes (another host sends them).
  `
  ALTER TABLE wa_tether_outbox ADD COLUMN media_json TEXT, ADD COLUMN media_sha256 TEXT;
  CREATE INDEX wa_tether_outbox_by_media ON wa_tether_outbox (client_id, media_sha256) WHERE media_sha256 IS NOT NULL;

  CREATE TABLE wa_tether_media_files (
    client_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, sha256)
  );
  CREATE TABLE wa_tether_media_received (
    client_id TEXT NOT NULL,
    id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    mimetype TEXT NOT NULL,
    filename TEXT,
    size INTEGER NOT NULL,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expired_at BIGINT,
    PRIMARY KEY (client_id, id)
  );
  CREATE INDEX wa_tether_media_received_by_sha ON wa_tether_media_received (client_id, sha256) WHERE expired_at IS NULL;
  CREATE INDEX wa_tether_media_received_by_age ON wa_tether_media_received (client_id, created_at);
  `,
];
