import type { Clock } from '../common/clock';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { DeliveryCounts, WebhookStore } from '../storage/webhook-store';
import type { MediaCounts, MediaStore } from '../storage/media-store';
import type { OutboxCounts, OutboxStore } from '../storage/outbox-store';

/** How far behind the sender and the deliverer are, as of `checkedAt`. */
export interface Backlog {
  readonly outbox: OutboxCounts;
  readonly webhooks: DeliveryCounts;
  /** Files kept, sent and received. */
  readonly media: MediaCounts;
  readonly checkedAt: number;
}

/**
 * Counts the outbox and the deliveries every few seconds, off the request path, so health and
 * metrics answer from memory whatever the size of the tables.
 */
export class BacklogMonitor {
  private latest: Backlog | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly outbox: OutboxStore,
    private readonly webhooks: WebhookStore,
    private readonly media: MediaStore,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  current(): Backlog | null {
    return this.latest;
  }

  async refresh(): Promise<Backlog> {
    const now = this.clock.now();
    this.latest = {
      outbox: await this.outbox.counts(now),
      webhooks: await this.webhooks.counts(now),
      media: await this.media.counts(),
      checkedAt: now,
    };
    return this.latest;
  }

  start(intervalMs = 5_000): void {
    const tick = (): void => {
      this.refresh().catch((error: unknown) => this.logger.warn('Could not count the outbox and deliveries', { error: describeError(error) }));
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
