import type { MediaKind, MediaOptions } from '../common/media-kind';

/** A file as the daemon keeps it: its bytes live under their sha256. */
export interface MediaFacts {
  /** Sniffed from the bytes. */
  readonly mimetype: string;
  readonly filename: string | null;
  readonly size: number;
  /** Hex of the bytes' SHA-256: their key in the store and their ETag. */
  readonly sha256: string;
  readonly kind: MediaKind;
}

/** The file a queued message carries, and how it is to be shown. */
export interface OutboxMedia extends MediaFacts {
  readonly options: MediaOptions;
}

/** A file that arrived with a message, as `GET /api/media/<id>` serves it. */
export interface ReceivedMedia extends MediaFacts {
  /** `med_<uuid>`. */
  readonly id: string;
  /** The WhatsApp message it came with. */
  readonly messageId: string;
  readonly createdAt: number;
  /** Past MEDIA_RETENTION_HOURS: the bytes are gone, the id answers 410. */
  readonly expired: boolean;
}

export interface MediaCounts {
  /** Received files still kept. */
  readonly received: number;
  /** Messages with a file waiting to be sent. */
  readonly pendingSends: number;
  /** Distinct files kept (sent and received), and their bytes. */
  readonly files: number;
  readonly bytes: number;
}

export interface MediaPruneResult {
  /** Files whose bytes were deleted. */
  readonly files: number;
  /** Received media that expired now. */
  readonly expired: number;
}

/**
 * Media bytes, content-addressed, beside the outbox: files under AUTH_PATH with SQLite, rows in
 * the database with PostgreSQL (so another host can send what this one accepted). Each write
 * commits before it resolves.
 */
export interface MediaStore {
  /** Keeps `bytes` under `sha256` (theirs); writing the same bytes again is a no-op. */
  putFile(sha256: string, bytes: Buffer, now: number): Promise<void>;
  /** The bytes, or null once they were pruned (or never kept). */
  getFile(sha256: string): Promise<Buffer | null>;
  /** Records a received file whose bytes `putFile` already kept. */
  recordReceived(media: Omit<ReceivedMedia, 'expired'>): Promise<void>;
  getReceived(id: string): Promise<ReceivedMedia | null>;
  /**
   * Received media older than `retentionMs` expires; a file's bytes are deleted once nothing
   * needs them: no message waiting to send it or finished within `retentionMs`, no received
   * media still kept.
   */
  prune(now: number, retentionMs: number): Promise<MediaPruneResult>;
  counts(): Promise<MediaCounts>;
}
