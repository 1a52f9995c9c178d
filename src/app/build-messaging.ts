import type { Clock } from '../common/clock';
import type { Config } from '../config/config';
import { describeError } from '../errors';
import type { Logger } from '../logging/logger';
import { BacklogMonitor } from '../messaging/backlog';
import { Outbox } from '../messaging/outbox';
import { OutboxSender } from '../messaging/outbox-sender';
import { SendPacer } from '../messaging/send-pacer';
import type { SessionSupervisor } from '../session/session-supervisor';
import { openDatabase } from '../storage/sqlite/open-database';
import { SqliteOutboxStore } from '../storage/sqlite/sqlite-outbox-store';
import { SqliteWebhookStore } from '../storage/sqlite/sqlite-webhook-store';
import { webhookKey } from '../webhooks/sign';
import { WebhookDeliverer } from '../webhooks/webhook-deliverer';
import { WebhookEvents } from '../webhooks/webhook-events';

/** Finished messages and deliveries are kept this long, then pruned (hourly). */
const RETENTION_MS = 7 * 24 * 3_600_000;
const PRUNE_INTERVAL_MS = 3_600_000;

export interface MessagingOptions {
  readonly config: Pick<Config, 'send' | 'webhooks'>;
  /** AUTH_PATH/wa-tether-<CLIENT_ID>.db */
  readonly databaseFile: string;
  readonly session: SessionSupervisor;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The outbox, its sender, the webhook events and their deliverer, on the embedded database. The
 * session feeds them (incoming messages, acks, state changes); `start` and `stop` bracket them.
 */
export function buildMessaging(options: MessagingOptions) {
  const { config, session, clock, logger } = options;
  const db = openDatabase(options.databaseFile);
  const webhooks = new SqliteWebhookStore(db, { urls: config.webhooks.urls, events: new Set(config.webhooks.events) });
  const outboxStore = new SqliteOutboxStore(db, webhooks);
  const key = config.webhooks.secret === null ? null : webhookKey(config.webhooks.secret);
  const deliverer = new WebhookDeliverer({
    store: webhooks,
    key: key ?? Buffer.alloc(32),
    retry: { baseMs: config.webhooks.retryBaseMs, maxMs: config.webhooks.retryMaxMs, maxAgeMs: config.webhooks.maxAgeMs },
    clock,
    logger,
  });
  const events = new WebhookEvents({ store: webhooks, outbox: outboxStore, clock, logger, onRecorded: () => deliverer.kick() });
  const sender = new OutboxSender({
    store: outboxStore,
    session,
    pacer: new SendPacer({ ratePerMinute: config.send.ratePerMinute, burst: config.send.burst, chatGapMs: config.send.chatGapMs, clock }),
    clock,
    logger,
    maxAttempts: config.send.maxAttempts,
    statusEvents: (record, status, error) => events.statusEvents(record, status, error),
    onEventsCommitted: () => deliverer.kick(),
  });
  const outbox = new Outbox({ store: outboxStore, clock, onQueued: () => sender.kick() });
  const backlog = new BacklogMonitor(outboxStore, webhooks, clock, logger);

  let previous = session.snapshot().state;
  session.subscribe((snapshot) => {
    if (snapshot.state === previous) return;
    events.session(snapshot, previous);
    previous = snapshot.state;
  });
  session.addAckSink(({ id, ack }) => events.ack(id, ack));

  let pruner: NodeJS.Timeout | null = null;
  const prune = (): void => {
    const before = clock.now() - RETENTION_MS;
    Promise.all([outboxStore.prune(before), webhooks.prune(before)]).catch((error: unknown) =>
      logger.warn('Could not prune old messages and deliveries', { error: describeError(error) }),
    );
  };

  return {
    outbox,
    webhooks,
    events,
    sender,
    deliverer,
    backlog,
    async start(): Promise<void> {
      await sender.start();
      if (key !== null) deliverer.start();
      backlog.start();
      prune();
      pruner = setInterval(prune, PRUNE_INTERVAL_MS);
      pruner.unref();
    },
    /** A send or delivery in flight finishes and is committed; the database stays open for `close`. */
    async stop(): Promise<void> {
      if (pruner) clearInterval(pruner);
      backlog.stop();
      await Promise.all([sender.stop(), deliverer.stop()]);
    },
    /** After the session stopped: its last session.status event is committed by then. */
    close(): void {
      if (db.open) db.close();
    },
  };
}

export type Messaging = ReturnType<typeof buildMessaging>;
