import type { Clock } from '../common/clock';
import { TokenBucket } from '../common/token-bucket';

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
  private readonly bucket: TokenBucket;
  private readonly nextForChat = new Map<string, number>();
  private readonly random: () => number;

  constructor(private readonly options: PacerOptions) {
    this.bucket = new TokenBucket(options.ratePerMinute, options.burst, options.clock);
    this.random = options.random ?? Math.random;
  }

  /** The earliest time a message to `chatId` may go. */
  readyAt(chatId: string): number {
    return Math.max(this.bucket.readyAt(), this.nextForChat.get(chatId) ?? 0);
  }

  /** Spends the budget of one message to `chatId`, sent now. */
  take(chatId: string): void {
    const now = this.options.clock.now();
    this.bucket.take();
    this.nextForChat.set(chatId, now + Math.round(this.options.chatGapMs * (1 + 0.5 * this.random())));
    if (this.nextForChat.size > 10_000) this.forgetPast(now);
  }

  private forgetPast(now: number): void {
    for (const [chat, at] of this.nextForChat) if (at <= now) this.nextForChat.delete(chat);
  }
}
