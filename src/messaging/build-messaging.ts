import type { Clock } from '../common/clock';
import type { Config } from '../config/config';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import { BacklogMonitor } from './backlog';
import { Outbox } from './outbox';
import { OutboxSender } from './outbox-sender';
import { SendPacer } from './send-pacer';
import type { SessionSupervisor } from '../session/session-supervisor';
import type { MessagingStores } from '../storage/messaging-stores';
import { webhookKey } from '../common/webhook-secret';
import { WebhookDeliverer } from '../webhooks/webhook-deliverer';
import { WebhookEvents } from '../webhooks/webhook-events';
import { MediaIntake } from '../media/media-intake';
import type { IncomingMessage } from '../whatsapp/wa-client';

/** Finished messages and deliveries are kept this long, then pruned (hourly). */
const RETENTION_MS = 7 * 24 * 3_600_000;
const PRUNE_INTERVAL_MS = 3_600_000;

export interface MessagingOptions {
  readonly config: Pick<Config, 'send' | 'webhooks' | 'media'>;
  readonly stores: MessagingStores;
  /**
   * Look for due messages and deliveries this often besides being told: with PostgreSQL, another
   * instance (a standby behind the same load balancer) may have accepted them. Null: never.
   */
  readonly pollMs: number | null;
  readonly session: SessionSupervisor;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The outbox, its sender, the webhook events and their deliverer, on the stores given. The
 * session feeds them (incoming messages, acks, state changes); `start` and `stop` bracket them.
 */
export function buildMessaging(options: MessagingOptions) {
  const { config, session, clock, logger } = options;
  const { webhooks, outbox: outboxStore, media } = options.stores;
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
    media,
    session,
    pacer: new SendPacer({ ratePerMinute: config.send.ratePerMinute, burst: config.send.burst, chatGapMs: config.send.chatGapMs, clock }),
    clock,
    logger,
    maxAttempts: config.send.maxAttempts,
    statusEvents: (record, status, error) => events.statusEvents(record, status, error),
    onEventsCommitted: () => deliverer.kick(),
  });
  const outbox = new Outbox({ store: outboxStore, media, clock, onQueued: () => sender.kick() });
  const backlog = new BacklogMonitor(outboxStore, webhooks, media, clock, logger);
  const intake = new MediaIntake({ store: media, maxBytes: config.media.maxBytes, clock, logger });
  // A file is downloaded only for an application that hears of it.
  const hearsMessages = config.webhooks.urls.length > 0 && config.webhooks.events.includes('message');

  let previous = session.snapshot().state;
  session.subscribe((snapshot) => {
    if (snapshot.state === previous) return;
    events.session(snapshot, previous);
    previous = snapshot.state;
  });
  session.addAckSink(({ id, ack }) => events.ack(id, ack));

  let pruner: NodeJS.Timeout | null = null;
  let poller: NodeJS.Timeout | null = null;
  let stopped = false;
  const prune = (): void => {
    const before = clock.now() - RETENTION_MS;
    Promise.all([outboxStore.prune(before), webhooks.prune(before), media.prune(clock.now(), config.media.retentionMs)]).catch((error: unknown) =>
      logger.warn('Could not prune old messages and deliveries', { error: describeError(error) }),
    );
  };

  return {
    outbox,
    webhooks,
    media,
    intake,
    /** An incoming message: its file kept, then its `message` event committed. */
    async receive(message: IncomingMessage): Promise<void> {
      await events.incoming(message, hearsMessages ? await intake.receive(message) : null);
    },
    events,
    sender,
    deliverer,
    backlog,
    async start(): Promise<void> {
      stopped = false;
      await sender.start();
      // A stop that came while the sender started wins: nothing more starts after it.
      if (stopped) return;
      if (key !== null) deliverer.start();
      backlog.start();
      prune();
      pruner = setInterval(prune, PRUNE_INTERVAL_MS);
      pruner.unref();
      if (options.pollMs !== null) {
        poller = setInterval(() => {
          sender.kick();
          deliverer.kick();
        }, options.pollMs);
        poller.unref();
      }
    },
    /** A send or delivery in flight finishes and is committed; the database stays open for `close`. */
    async stop(): Promise<void> {
      stopped = true;
      if (pruner) clearInterval(pruner);
      if (poller) clearInterval(poller);
      backlog.stop();
      await Promise.all([sender.stop(), deliverer.stop()]);
    },
    /** After the session stopped: its last session.status event is committed by then. */
    close(): void | Promise<void> {
      return options.stores.close();
    },
  };
}

export type Messaging = ReturnType<typeof buildMessaging>;
