import { createHash, randomUUID } from 'node:crypto';
import type { Clock } from '../common/clock';
import { describeError } from '../common/errors';
import { kindOfMessageType } from '../common/media-kind';
import { TimeoutError, withTimeout } from '../common/with-timeout';
import type { Logger } from '../logging/logger';
import type { MediaStore } from '../storage/media-store';
import type { MessageMediaField } from '../webhooks/event-drafts';
import type { DownloadedMedia, IncomingMessage } from '../whatsapp/wa-client';
import { essence } from './sniff-media';

/** The `message` event waits this long for its file, then goes without it. */
export const DOWNLOAD_TIMEOUT_MS = 60_000;

export interface MediaIntakeOptions {
  readonly store: MediaStore;
  readonly maxBytes: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly downloadTimeoutMs?: number;
}

/**
 * Keeps the file of each incoming message before its `message` event is recorded: downloaded
 * through the page, stored like sent media, and named in the event by an id the application
 * fetches. A file that cannot be had still lets the event go, saying why.
 */
export class MediaIntake {
  private readonly log: Logger;
  /** Since start: files kept, files not kept. */
  readonly stats = { kept: 0, missed: 0 };

  constructor(private readonly options: MediaIntakeOptions) {
    this.log = options.logger.child({ component: 'media' });
  }

  async receive(message: IncomingMessage): Promise<MessageMediaField | null> {
    if (!message.hasMedia || message.downloadMedia === undefined) return null;
    const hint = message.mediaHint;
    const hinted = { mimetype: hint?.mimetype === null || hint?.mimetype === undefined ? null : essence(hint.mimetype), size: hint?.size ?? null };
    if (hinted.size !== null && hinted.size > this.options.maxBytes) return this.missed(message, 'too_large', hinted);
    let file: DownloadedMedia | null;
    const timeoutMs = this.options.downloadTimeoutMs ?? DOWNLOAD_TIMEOUT_MS;
    try {
      file = await withTimeout(message.downloadMedia(), timeoutMs, this.options.clock, 'The media download');
    } catch (error) {
      this.log.warn(`The file of ${message.id} could not be downloaded; its event goes without it`, {
        error: error instanceof TimeoutError ? `no answer within ${timeoutMs} ms` : describeError(error),
      });
      return this.missed(message, 'unavailable', hinted);
    }
    if (file === null) return this.missed(message, 'unavailable', hinted);
    const mimetype = essence(file.mimetype);
    if (file.bytes.length > this.options.maxBytes) return this.missed(message, 'too_large', { mimetype, size: file.bytes.length });
    const sha256 = createHash('sha256').update(file.bytes).digest('hex');
    const now = this.options.clock.now();
    const id = `med_${randomUUID()}`;
    const facts = {
      mimetype,
      filename: file.filename ?? hint?.filename ?? null,
      size: file.bytes.length,
      sha256,
      kind: kindOfMessageType(message.type),
    };
    try {
      await this.options.store.putFile(sha256, file.bytes, now);
      await this.options.store.recordReceived({ id, messageId: message.id, createdAt: now, ...facts });
    } catch (error) {
      // The message still reaches the application; only its file is lost.
      this.log.error(`The file of ${message.id} could not be stored; its event goes without it`, { error: describeError(error) });
      return this.missed(message, 'unavailable', { mimetype, size: file.bytes.length });
    }
    this.stats.kept++;
    return { id, ...facts, url: `/api/media/${id}` };
  }

  private missed(
    message: IncomingMessage,
    status: 'unavailable' | 'too_large',
    facts: { mimetype: string | null; size: number | null },
  ): MessageMediaField {
    this.stats.missed++;
    if (status === 'too_large')
      this.log.warn(`The file of ${message.id} is over MEDIA_MAX_BYTES (${this.options.maxBytes}); its event goes without it`, { size: facts.size });
    return { status, mimetype: facts.mimetype, size: facts.size };
  }
}
