import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../common/clock';
import { AppError, describeError } from '../common/errors';
import type { EnqueueResult, OutboxCounts, OutboxPage, OutboxRecord, OutboxSource, OutboxStatus, OutboxStore } from '../storage/outbox-store';
import type { MediaStore, OutboxMedia } from '../storage/media-store';

/** A file ready to queue: its bytes, and the facts the record keeps. */
export interface PreparedMedia {
  readonly bytes: Buffer;
  readonly facts: OutboxMedia;
}

/** What to send, checked: a text, or a file with its caption. */
export interface OutgoingMessage {
  readonly chatId: string;
  /** The text, or the caption of `media` ('' for none). */
  readonly text: string;
  readonly replyTo: string | null;
  readonly media?: PreparedMedia | null;
}

export interface OutboxOptions {
  readonly store: OutboxStore;
  /** Where a file's bytes are committed before its message is. */
  readonly media: MediaStore;
  readonly clock: Clock;
  /** Told of every newly queued message (the sender looks at once). */
  readonly onQueued: () => void;
}

/** What applications and the bot put in: accepted only once it is committed. */
export class Outbox {
  constructor(private readonly options: OutboxOptions) {}

  /**
   * Commits `request` and only then resolves: the message survives a crash from here on. With
   * an idempotency key, the same key and body again finds the message already accepted (nothing
   * more is sent); the same key with another body is a conflict.
   */
  async accept(request: OutgoingMessage, source: OutboxSource, idempotencyKey: string | null = null): Promise<EnqueueResult> {
    const media = request.media ?? null;
    const fingerprint = createHash('sha256')
      .update(
        JSON.stringify(
          media === null ? [request.chatId, request.text, request.replyTo] : [request.chatId, request.text, request.replyTo, media.facts],
        ),
      )
      .digest('hex');
    let result: EnqueueResult;
    try {
      // The bytes first: a record never names a file that is not there. A crash between the
      // two leaves a file nothing names, which the prune removes.
      if (media !== null) await this.options.media.putFile(media.facts.sha256, media.bytes, this.options.clock.now());
      result = await this.options.store.enqueue({
        id: `msg_${randomUUID()}`,
        chatId: request.chatId,
        text: request.text,
        media: media?.facts ?? null,
        replyTo: request.replyTo,
        source,
        createdAt: this.options.clock.now(),
        idempotency: idempotencyKey === null ? null : { key: idempotencyKey, fingerprint },
      });
    } catch (error) {
      // The database away (PostgreSQL restarting) is its own answer: 503, retry shortly.
      if (error instanceof AppError && error.code === 'DATABASE_UNAVAILABLE') throw error;
      throw new AppError(
        'STORAGE_FAILED',
        `The message could not be stored (${describeError(error)}), so it was not accepted. To resolve, check the disk under AUTH_PATH, then send it again (with the same Idempotency-Key, if any).`,
        { cause: error },
      );
    }
    if (result.kind === 'created') this.options.onQueued();
    return result;
  }

  get(id: string): Promise<OutboxRecord | null> {
    return this.options.store.get(id);
  }

  list(options: { readonly status?: OutboxStatus; readonly limit: number; readonly before?: number }): Promise<OutboxPage> {
    return this.options.store.list(options);
  }

  counts(): Promise<OutboxCounts> {
    return this.options.store.counts(this.options.clock.now());
  }
}
