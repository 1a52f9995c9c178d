import { LRUCache } from 'lru-cache';
import { computeBackoff } from '../common/backoff';
import { whileUnavailable } from '../common/while-unavailable';
import type { Clock, TimerHandle } from '../common/clock';
import { AppError, describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { SessionSnapshot } from '../session/session-state';
import type { WaClient } from '../whatsapp/wa-client';
import type { WebhookEventDraft } from '../storage/webhook-store';
import type { MessageStatusEvent } from '../webhooks/event-drafts';
import type { MediaStore } from '../storage/media-store';
import type { OutboxError, OutboxRecord, OutboxStore } from '../storage/outbox-store';
import type { SendPacer } from './send-pacer';

/** What the sender needs of the session: whether it is ready, and the live client while it is. */
export interface SendingSession {
  snapshot(): SessionSnapshot;
  subscribe(listener: (snapshot: SessionSnapshot) => void): () => void;
  withClient<T>(use: (client: WaClient) => Promise<T>): Promise<T>;
}

export interface SenderOptions {
  readonly store: OutboxStore;
  /** Where a message's file is read from when it is sent. */
  readonly media: MediaStore;
  readonly session: SendingSession;
  readonly pacer: SendPacer;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Attempts before a message that keeps failing for no clear reason is `failed`. */
  readonly maxAttempts: number;
  /** The webhook events a status change of `record` brings (none for bot replies); committed with it. */
  readonly statusEvents: (record: OutboxRecord, status: MessageStatusEvent, error: OutboxError | null) => readonly WebhookEventDraft[];
  /** After a status change with events was committed (the webhook deliverer looks at once). */
  readonly onEventsCommitted?: () => void;
  readonly random?: () => number;
}

/** Retries after a transient failure: 2 s, 4 s, ... up to a minute. */
const RETRY = { baseMs: 2_000, maxMs: 60_000 };
/** Chats looked at per round: their first waiting message each. */
const HEADS = 200;
/** How long a send WhatsApp took is retried into the store while the database is away, before the pump takes over. */
const MARK_SENT_RETRY_MS = 30_000;

/**
 * Numbers asked of WhatsApp are remembered for a day, at most 10,000 of them: a daemon that
 * writes to a new number every minute for weeks must not keep every one, and a number that
 * was not on WhatsApp may be by tomorrow.
 */
const RESOLVED = { max: 10_000, ttlMs: 24 * 3_600_000 };

/** Failures no retry can fix. */
const PERMANENT = /invalid wid|wid error|not a (user|valid) wid|no lid for user/i;

/**
 * Delivers the outbox while the session is `ready`: one message at a time, in order per chat,
 * paced by the shared budget. Not ready means the messages wait (across restarts: they are on
 * disk). Each send is committed as `sending` before WhatsApp is asked and as `sent` right after
 * it took the message; a crash between the two sends it again at the next start (at least once).
 */
export class OutboxSender {
  private running = false;
  private stopped = false;
  private readonly unrecorded = new Map<string, () => Promise<void>>();
  private pumping: Promise<void> | null = null;
  private again = false;
  private timer: TimerHandle | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Numbers WhatsApp was asked about lately: the chat id it answered, or null. */
  private readonly resolved: LRUCache<string, { readonly chatId: string | null }>;
  private readonly log: Logger;
  private readonly random: () => number;
  /** Since start: messages WhatsApp took, messages that ended failed. */
  readonly stats = { sent: 0, failed: 0 };

  constructor(private readonly options: SenderOptions) {
    this.log = options.logger.child({ component: 'outbox' });
    this.resolved = new LRUCache({ max: RESOLVED.max, ttl: RESOLVED.ttlMs, perf: { now: () => options.clock.now() } });
    this.random = options.random ?? Math.random;
  }

  /** Requeues what a stopped daemon left mid-send, then sends whenever the session is ready. */
  async start(): Promise<void> {
    this.stopped = false;
    const interrupted = await this.options.store.requeueInterrupted(this.options.clock.now());
    // A stop that came while the requeue ran wins: nothing starts after it.
    if (this.stopped) return;
    if (interrupted > 0)
      this.log.warn(`${interrupted} messages were being sent when the daemon stopped; they are sent again (WhatsApp may show them twice)`);
    this.running = true;
    this.unsubscribe = this.options.session.subscribe((snapshot) => {
      if (snapshot.state === 'ready') this.kick();
    });
    this.kick();
  }

  /** Stops taking new messages; a send in flight finishes (and is committed) first. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    this.unsubscribe?.();
    this.clearTimer();
    await this.pumping;
  }

  /** A message was queued, or the session became ready: look now. */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump()
      .catch((error: unknown) => {
        this.log.error('The outbox could not be read; trying again shortly', { error: describeError(error) });
        this.arm(5_000);
      })
      .finally(() => {
        this.pumping = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pump(): Promise<void> {
    await this.recordUnrecorded();
    while (this.running && this.options.session.snapshot().state === 'ready') {
      const heads = (await this.options.store.heads(HEADS)).filter((head) => head.status === 'queued');
      // After the query: a store that answers over the network (PostgreSQL) takes a few ms, and a
      // `now` from before it is older than the pacer's, so nothing would ever be due.
      const now = this.options.clock.now();
      if (heads.length === 0) return;
      const readyAt = (head: OutboxRecord): number => Math.max(head.nextAttemptAt, this.options.pacer.readyAt(head.chatId));
      const next = heads.find((head) => readyAt(head) <= now);
      if (!next) {
        this.arm(Math.min(...heads.map(readyAt)) - now);
        return;
      }
      await this.send(next);
    }
  }

  private async send(record: OutboxRecord): Promise<void> {
    const { store, session, pacer, clock } = this.options;
    await store.markSending(record.id);
    let sent: { readonly id: string };
    try {
      const chatId = await this.resolveChat(record.chatId);
      if (chatId === null) {
        return await this.fail(record, { code: 'NOT_ON_WHATSAPP', message: `${record.chatId.replace(/@c\.us$/, '')} is not on WhatsApp.` });
      }
      pacer.take(record.chatId);
      const quote = record.replyTo === null ? {} : { quotedMessageId: record.replyTo };
      const media = record.media;
      if (media === null) {
        sent = await session.withClient((client) => client.sendText(chatId, record.text, quote));
      } else {
        const bytes = await this.options.media.getFile(media.sha256);
        if (bytes === null) {
          return await this.fail(record, {
            code: 'MEDIA_EXPIRED',
            message: `The file of ${record.id} is no longer stored (sha256 ${media.sha256}); send the message again.`,
          });
        }
        const file = { bytes, mimetype: media.mimetype, filename: media.filename };
        sent = await session.withClient((client) => client.sendMedia(chatId, file, { ...quote, caption: record.text, ...media.options }));
      }
    } catch (error) {
      await this.failed(record, error);
      return;
    }
    // WhatsApp has it: from here on it is only ever recorded as sent, never tried again. While
    // the database is away (PostgreSQL restarting) the record is retried; only if it stays away
    // is the message left `sending`, to be sent again at the next start (at least once).
    const events = this.options.statusEvents({ ...record, waMessageId: sent.id }, 'sent', null);
    const sentAt = clock.now();
    const recordSent = async (): Promise<void> => {
      await store.markSent(record.id, { waMessageId: sent.id, sentAt }, events);
      this.stats.sent++;
      if (events.length > 0) this.options.onEventsCommitted?.();
    };
    try {
      await whileUnavailable(recordSent, clock, MARK_SENT_RETRY_MS, () =>
        this.log.warn(`${record.id} was sent, but the database is away; recording it as sent shortly`),
      );
    } catch (error) {
      // Kept in memory and recorded first at every pump, so the chat moves on once it can.
      this.unrecorded.set(record.id, recordSent);
      this.log.error(`${record.id} was sent but cannot be recorded yet; trying again every few seconds`, { error: describeError(error) });
      throw error;
    }
  }

  /** Sends that WhatsApp took but the store could not record at the time: recorded before anything else is sent. */
  private async recordUnrecorded(): Promise<void> {
    for (const [id, record] of this.unrecorded) {
      await record();
      this.unrecorded.delete(id);
    }
  }

  /** The chat id WhatsApp knows for a number (asked once a day); groups are taken as given. */
  private async resolveChat(chatId: string): Promise<string | null> {
    if (!chatId.endsWith('@c.us')) return chatId;
    const known = this.resolved.get(chatId);
    if (known !== undefined) return known.chatId;
    const answer = await this.options.session.withClient((client) => client.resolveNumber(chatId.slice(0, -'@c.us'.length)));
    this.resolved.set(chatId, { chatId: answer });
    return answer;
  }

  private async failed(record: OutboxRecord, error: unknown): Promise<void> {
    const message = describeError(error);
    if (error instanceof AppError && error.code === 'NOT_READY') {
      // Never reached WhatsApp: it waits for ready, and the attempt does not count.
      await this.options.store.markRetry(record.id, {
        error: { code: 'NOT_READY', message },
        nextAttemptAt: this.options.clock.now(),
        attempted: false,
      });
      return;
    }
    if ((error instanceof AppError && error.code === 'INVALID_CHAT') || PERMANENT.test(message)) {
      return this.fail(record, { code: 'INVALID_CHAT', message });
    }
    const attempts = record.attempts + 1;
    if (attempts >= this.options.maxAttempts) {
      return this.fail(record, { code: 'SEND_FAILED', message: `Gave up after ${attempts} attempts: ${message}` });
    }
    const delay = computeBackoff(attempts, RETRY, this.random);
    this.log.warn(`Sending ${record.id} failed (${message}); trying again in ${delay} ms`, { attempt: attempts });
    await this.options.store.markRetry(record.id, {
      error: { code: 'SEND_ERROR', message },
      nextAttemptAt: this.options.clock.now() + delay,
      attempted: true,
    });
  }

  private async fail(record: OutboxRecord, error: OutboxError): Promise<void> {
    this.log.warn(`Message ${record.id} to ${record.chatId} failed: ${error.message}`, { code: error.code });
    const events = this.options.statusEvents(record, 'failed', error);
    await this.options.store.markFailed(record.id, error, this.options.clock.now(), events);
    this.stats.failed++;
    if (events.length > 0) this.options.onEventsCommitted?.();
  }

  private arm(ms: number): void {
    this.clearTimer();
    this.timer = this.options.clock.setTimeout(
      () => {
        this.timer = null;
        this.kick();
      },
      Math.max(10, ms),
    );
  }

  private clearTimer(): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
