import type { Clock } from '../common/clock';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { SessionMetadata } from '../storage/session-metadata';
import type { PairedAccount } from '../whatsapp/wa-client';

/** How the supervisor records the metadata file (SessionMetadataStore in production). */
export interface MetadataPort {
  update(patch: Partial<SessionMetadata>): Promise<SessionMetadata>;
}

/**
 * Whether a pairing exists, and its record in the metadata file: when it was paired, as whom,
 * when it was last ready, when and why it ended. A failed write is logged, never thrown: the
 * file is informative, the session is in the profile.
 */
export class PairingRecord {
  private pairedAt: string | null;

  constructor(
    initial: SessionMetadata,
    private readonly metadata: MetadataPort,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.pairedAt = initial.pairedAt;
  }

  /** A session was paired and has not been seen to end: a QR now means it expired. */
  get paired(): boolean {
    return this.pairedAt !== null;
  }

  /** Before the first launch: the record another host kept (restored with the session). */
  adopt(metadata: SessionMetadata): void {
    this.pairedAt = metadata.pairedAt;
  }

  ready(me: PairedAccount | null): void {
    const now = this.now();
    this.pairedAt ??= now;
    void this.write({ pairedAt: this.pairedAt, me, lastReadyAt: now });
  }

  expired(): void {
    this.pairedAt = null;
    void this.write({ pairedAt: null, me: null, logoutReason: 'session expired or revoked' });
  }

  async ended(reason: string): Promise<void> {
    this.pairedAt = null;
    await this.write({ pairedAt: null, me: null, lastLoggedOutAt: this.now(), logoutReason: reason });
  }

  private async write(patch: Partial<SessionMetadata>): Promise<void> {
    try {
      await this.metadata.update(patch);
    } catch (error) {
      this.log.warn('Could not write the session metadata file', { error: describeError(error) });
    }
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
