import type { Clock, TimerHandle } from '../common/clock';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import { nextAttempt, type RetryPolicy } from './retry-schedule';
import { signWebhook } from './sign';
import type { Delivery, WebhookStore } from '../storage/webhook-store';

export interface DelivererOptions {
  readonly store: WebhookStore;
  /** The key bytes of WEBHOOK_SECRET. */
  readonly key: Buffer;
  readonly retry: RetryPolicy;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random?: () => number;
  /** An attempt that has not answered by then failed. */
  readonly timeoutMs?: number;
  /** Attempts in flight at once, in all and per URL: one slow receiver never holds up the others. */
  readonly concurrency?: number;
  readonly perUrlConcurrency?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Sends committed deliveries, at least once each: a 2xx ends a delivery; anything else, a
 * timeout or a refused connection schedules a retry with backoff until the event is too old,
 * then it is `dead`. Each attempt is signed afresh (its own `webhook-timestamp`); `webhook-id`
 * and the body are the event's, the same on every retry.
 */
export class WebhookDeliverer {
  private readonly inFlight = new Map<string, string>();
  private readonly attempts = new Set<Promise<void>>();
  /**
   * One controller per attempt in flight, aborted by stop(). Not AbortSignal.any with one
   * long-lived shutdown signal: Node keeps a reference on that signal for every signal ever
   * combined with it (nodejs/node#55351, still so in Node 20), about 64 bytes an attempt for
   * the life of the process.
   */
  private readonly attemptControllers = new Set<AbortController>();
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private running = false;
  private pumping: Promise<void> | null = null;
  private again = false;
  private readonly log: Logger;
  private readonly random: () => number;
  /** Attempts since start, by how they ended. */
  readonly stats = { delivered: 0, failed: 0, dead: 0 };

  constructor(private readonly options: DelivererOptions) {
    this.log = options.logger.child({ component: 'webhooks' });
    this.random = options.random ?? Math.random;
  }

  start(): void {
    this.running = true;
    this.kick();
  }

  /**
   * Stops scheduling and aborts attempts in flight: each is recorded as failed and made again
   * after the next start (at least once: a receiver may see it twice).
   */
  async stop(): Promise<void> {
    this.running = false;
    this.clearTimer();
    for (const controller of this.attemptControllers) controller.abort(new DOMException('the daemon is stopping', 'AbortError'));
    await this.pumping;
    await Promise.allSettled([...this.attempts]);
  }

  /** Something became due (a new event, a manual retry): look now. */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async pump(): Promise<void> {
    try {
      const concurrency = this.options.concurrency ?? 8;
      const perUrl = this.options.perUrlConcurrency ?? 2;
      const due = await this.options.store.due(this.options.clock.now(), concurrency * 4);
      for (const delivery of due) {
        if (this.inFlight.size >= concurrency) break;
        if (this.inFlight.has(delivery.id)) continue;
        if ([...this.inFlight.values()].filter((url) => url === delivery.url).length >= perUrl) continue;
        this.inFlight.set(delivery.id, delivery.url);
        const attempt = this.attempt(delivery).finally(() => {
          this.inFlight.delete(delivery.id);
          this.attempts.delete(attempt);
          this.kick();
        });
        this.attempts.add(attempt);
      }
      await this.scheduleNext();
    } catch (error) {
      this.log.error('Webhook deliveries could not be read; trying again shortly', { error: describeError(error) });
      this.arm(this.options.clock.now() + 5_000);
    }
  }

  private async scheduleNext(): Promise<void> {
    const next = await this.options.store.nextDueAt();
    if (next !== null) this.arm(Math.max(next, this.options.clock.now() + 10));
  }

  private arm(at: number): void {
    if (!this.running || (this.timer !== null && this.timerAt <= at)) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = this.options.clock.setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.kick();
      },
      Math.max(0, at - this.options.clock.now()),
    );
  }

  private clearTimer(): void {
    if (this.timer !== null) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const { clock, store } = this.options;
    const timestamp = Math.floor(clock.now() / 1000);
    const attempts = delivery.attempts + 1;
    let statusCode: number | null = null;
    let failure: string | null = null;
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    timeout.unref();
    this.attemptControllers.add(controller);
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'wa-tether',
          'webhook-id': delivery.eventId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(this.options.key, delivery.eventId, timestamp, delivery.body),
        },
        body: delivery.body,
        redirect: 'manual',
        signal: controller.signal,
      });
      statusCode = response.status;
      await response.body?.cancel().catch(() => undefined);
      if (response.status < 200 || response.status > 299) failure = `HTTP ${response.status}`;
    } catch (error) {
      failure = describeFetchError(error, timeoutMs);
    } finally {
      clearTimeout(timeout);
      this.attemptControllers.delete(controller);
    }
    try {
      if (failure === null) {
        await store.markDelivered(delivery.id, clock.now(), statusCode ?? 200);
        this.stats.delivered++;
        return;
      }
      const next = nextAttempt(attempts, clock.now(), delivery.retryFrom, this.options.retry, this.random);
      if (next.kind === 'dead') {
        await store.markDead(delivery.id, { attempts, at: clock.now(), error: failure, statusCode });
        this.stats.dead++;
        this.log.warn(`Gave up delivering ${delivery.eventType} ${delivery.eventId} to ${delivery.url} after ${attempts} attempts: ${failure}`);
      } else {
        await store.markFailed(delivery.id, { attempts, nextAttemptAt: next.at, error: failure, statusCode });
        this.stats.failed++;
        this.log.debug(`Webhook ${delivery.eventId} to ${delivery.url} failed (${failure}); retrying at ${new Date(next.at).toISOString()}`);
      }
    } catch (error) {
      this.log.error('Could not record a webhook attempt', { error: describeError(error), delivery: delivery.id });
    }
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (error instanceof Error && error.name === 'AbortError') return 'interrupted by the daemon shutting down';
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return `${cause.code}${typeof cause.message === 'string' ? `: ${cause.message}` : ''}`;
  return describeError(error);
}
