import type { Clock } from '../common/clock';
import { whileUnavailable } from '../common/while-unavailable';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { OutboxError, OutboxRecord, OutboxStore } from '../storage/outbox-store';
import type { SessionSnapshot } from '../session/session-state';
import type { IncomingMessage } from '../whatsapp/wa-client';
import { type MessageMediaField, type MessageStatusEvent, messageEvent, messageStatusEvent, sessionStatusEvent } from './event-drafts';
import type { WebhookEventDraft, WebhookStore } from '../storage/webhook-store';

/** How long an event is tried again while the database is unreachable. */
const RECORD_RETRY_MS = 60_000;
/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

export interface WebhookEventsOptions {
  readonly store: WebhookStore;
  readonly outbox: OutboxStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Told after an event is committed (the deliverer looks at once). */
  readonly onRecorded: () => void;
}

/** Turns what happens into committed webhook events: incoming messages, send statuses, session states. */
export class WebhookEvents {
  private readonly acked = new Map<string, number>();
  private readonly log: Logger;

  constructor(private readonly options: WebhookEventsOptions) {
    this.log = options.logger.child({ component: 'webhooks' });
  }

  /** Commits the `message` event (with its file, once kept); resolves once it is on disk. */
  async incoming(message: IncomingMessage, media: MessageMediaField | null = null): Promise<void> {
    await this.record(messageEvent(message, this.options.clock.now(), media));
  }

  /** The `message.status` events of a status change: only for messages sent through the API. */
  statusEvents(record: OutboxRecord, status: MessageStatusEvent, error: OutboxError | null): readonly WebhookEventDraft[] {
    if (record.source !== 'api') return [];
    return [messageStatusEvent(record, status, error, this.options.clock.now())];
  }

  /** WhatsApp acked one of our messages: `delivered` at 2, `read` at 3, once each. */
  async ack(waMessageId: string, ack: number): Promise<void> {
    const status: MessageStatusEvent | null = ack === 2 ? 'delivered' : ack >= 3 ? 'read' : null;
    if (status === null || (this.acked.get(waMessageId) ?? 0) >= ack) return;
    this.acked.set(waMessageId, ack);
    if (this.acked.size > 10_000) this.acked.delete(this.acked.keys().next().value as string);
    const record = await this.options.outbox.findByWaMessageId(waMessageId);
    if (record === null || record.source !== 'api') return;
    await this.record(messageStatusEvent(record, status, null, this.options.clock.now()));
  }

  /** Every state change: `session.status`. */
  session(snapshot: SessionSnapshot, previous: SessionSnapshot['state']): void {
    void this.record(sessionStatusEvent({ state: snapshot.state, previous, since: snapshot.since, me: snapshot.me }, this.options.clock.now())).catch(
      (error: unknown) => this.log.error('Could not record a session.status event', { error: describeError(error) }),
    );
  }

  /**
   * Commits the event. While the database is away (PostgreSQL restarting) it is tried again for
   * up to a minute, so a message that arrives meanwhile still reaches the webhooks.
   */
  private async record(event: WebhookEventDraft): Promise<void> {
    const recorded = await whileUnavailable(
      async (retry) => {
        try {
          return await this.options.store.record(event);
        } catch (error) {
          // The try before did commit; only its answer was lost with the connection.
          if (retry && (error as { code?: unknown }).code === UNIQUE_VIOLATION) return true;
          throw error;
        }
      },
      this.options.clock,
      RECORD_RETRY_MS,
    );
    if (recorded) this.options.onRecorded();
  }
}
