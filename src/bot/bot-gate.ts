import type { BotLimits } from '../config/config';
import type { Clock } from '../common/clock';
import { TokenBucket } from '../common/token-bucket';
import type { Logger } from '../logging/logger';
import type { IncomingMessage } from '../whatsapp/wa-client';

/** Why a command did not run. */
export type DropReason = 'not_allowed' | 'group' | 'stale' | 'rate_chat' | 'rate_global' | 'queue_full';

export const DROP_REASONS: readonly DropReason[] = ['not_allowed', 'group', 'stale', 'rate_chat', 'rate_global', 'queue_full'];

export interface BotGateOptions {
  readonly limits: BotLimits;
  readonly clock: Clock;
  readonly logger: Logger;
  /** When the session last became ready (ms), null when it is not ready: older messages are history. */
  readonly readySince: () => number | null;
  /** Commands running at once; more wait in the queue. */
  readonly concurrency?: number;
  /** Commands waiting at most; beyond that they are dropped. */
  readonly maxQueue?: number;
  /** A summary of what was dropped is logged at most this often. */
  readonly reportEveryMs?: number;
}

/**
 * What stands between strangers and the account: which chats may use the bot, how often, and
 * how many commands may wait. A flood of commands (one group, or a thousand strangers) costs a
 * bounded queue and a few log lines, never thousands of replies in flight: every reply also
 * spends the one budget toward WhatsApp that API sends use.
 */
export class BotGate {
  private readonly global: TokenBucket;
  private readonly allowed: ReadonlySet<string> | null;
  private readonly perChat = new Map<string, TokenBucket>();
  private readonly queue: Array<() => Promise<void>> = [];
  private running = 0;
  readonly dropped: Record<DropReason, number> = { not_allowed: 0, group: 0, stale: 0, rate_chat: 0, rate_global: 0, queue_full: 0 };
  private unreported: Partial<Record<DropReason, number>> = {};
  private reportedAt = Number.NEGATIVE_INFINITY;
  private readonly log: Logger;

  constructor(private readonly options: BotGateOptions) {
    const { limits, clock } = options;
    this.global = new TokenBucket(limits.globalPerMinute, limits.globalPerMinute, clock);
    this.allowed = limits.allowedChats === null ? null : new Set(limits.allowedChats);
    this.log = options.logger.child({ component: 'bot' });
  }

  /** Commands waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Runs `command` for `message` if the limits allow it (now, or once a slot frees up);
   * otherwise counts why not. Resolves when the command has run or was dropped.
   */
  submit(message: IncomingMessage, command: () => Promise<void>): Promise<void> {
    const reason = this.refusal(message);
    if (reason !== null) {
      this.drop(reason);
      return Promise.resolve();
    }
    if (this.running >= (this.options.concurrency ?? 4)) {
      if (this.queue.length >= (this.options.maxQueue ?? 100)) {
        this.drop('queue_full');
        return Promise.resolve();
      }
      return new Promise((resolve) => this.queue.push(() => command().finally(resolve)));
    }
    return this.run(command);
  }

  private refusal(message: IncomingMessage): DropReason | null {
    const { limits } = this.options;
    if (this.allowed !== null && !this.allowed.has(message.chatId)) return 'not_allowed';
    if (message.isGroup && !limits.groups) return 'group';
    // After a reconnect WhatsApp hands over what arrived meanwhile: history, not commands.
    const readySince = this.options.readySince();
    if (readySince === null || message.timestamp < Math.floor(readySince / 1000)) return 'stale';
    const chat = this.bucketFor(message.chatId);
    if (!chat.tryTake()) return 'rate_chat';
    if (!this.global.tryTake()) return 'rate_global';
    return null;
  }

  private bucketFor(chatId: string): TokenBucket {
    let bucket = this.perChat.get(chatId);
    if (bucket === undefined) {
      if (this.perChat.size >= 10_000) for (const [id, b] of this.perChat) if (b.isFull) this.perChat.delete(id);
      const { perChatPerMinute } = this.options.limits;
      bucket = new TokenBucket(perChatPerMinute, perChatPerMinute, this.options.clock);
      this.perChat.set(chatId, bucket);
    }
    return bucket;
  }

  private async run(command: () => Promise<void>): Promise<void> {
    this.running++;
    try {
      await command();
    } finally {
      this.running--;
      const next = this.queue.shift();
      if (next) void this.run(next);
    }
  }

  private drop(reason: DropReason): void {
    this.dropped[reason]++;
    this.unreported[reason] = (this.unreported[reason] ?? 0) + 1;
    const now = this.options.clock.now();
    if (now - this.reportedAt < (this.options.reportEveryMs ?? 60_000)) return;
    const summary = Object.entries(this.unreported)
      .map(([why, n]) => `${why} ${n}`)
      .join(', ');
    this.log.warn(`Bot commands not run (${summary}); totals are in /api/session/status under bot.dropped`, { dropped: { ...this.unreported } });
    this.unreported = {};
    this.reportedAt = now;
  }
}
