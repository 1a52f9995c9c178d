import type { Clock } from '../common/clock';

export interface PacerOptions {
  /** Messages per minute toward WhatsApp, bot replies and API sends together. */
  readonly ratePerMinute: number;
  /** Messages that may go at once after a quiet spell. */
  readonly burst: number;
  /** Least time between two messages to one chat; each gap is 0-50% longer at random. */
  readonly chatGapMs: number;
  readonly clock: Clock;
  readonly random?: () => number;
}

/**
 * The budget toward WhatsApp: a token bucket for the whole account, and a gap with jitter
 * between messages to the same chat, so the account never looks like a bulk sender.
 */
export class SendPacer {
  private tokens: number;
  private refilledAt: number;
  private readonly nextForChat = new Map<string, number>();
  private readonly random: () => number;

  constructor(private readonly options: PacerOptions) {
    this.tokens = options.burst;
    this.refilledAt = options.clock.now();
    this.random = options.random ?? Math.random;
  }

  /** The earliest time a message to `chatId` may go. */
  readyAt(chatId: string): number {
    const now = this.refill();
    const bucket = this.tokens >= 1 ? now : now + Math.ceil((1 - this.tokens) * this.msPerToken());
    return Math.max(bucket, this.nextForChat.get(chatId) ?? 0);
  }

  /** Spends the budget of one message to `chatId`, sent now. */
  take(chatId: string): void {
    const now = this.refill();
    this.tokens = Math.max(0, this.tokens - 1);
    this.nextForChat.set(chatId, now + Math.round(this.options.chatGapMs * (1 + 0.5 * this.random())));
    if (this.nextForChat.size > 10_000) this.forgetPast(now);
  }

  private msPerToken(): number {
    return 60_000 / this.options.ratePerMinute;
  }

  private refill(): number {
    const now = this.options.clock.now();
    this.tokens = Math.min(this.options.burst, this.tokens + (now - this.refilledAt) / this.msPerToken());
    this.refilledAt = now;
    return now;
  }

  private forgetPast(now: number): void {
    for (const [chat, at] of this.nextForChat) if (at <= now) this.nextForChat.delete(chat);
  }
}
