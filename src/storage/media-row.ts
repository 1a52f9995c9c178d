import type { MediaKind } from '../common/media-kind';
import type { ReceivedMedia } from './media-store';

/** A received-media row as both databases store it. */
export interface ReceivedRow {
  id: string;
  message_id: string;
  sha256: string;
  mimetype: string;
  filename: string | null;
  size: number;
  kind: MediaKind;
  created_at: number;
  expired_at: number | null;
}

/** How long after retention an expired id still answers 410 rather than 404. */
export const EXPIRED_KEPT_MS = 30 * 24 * 3_600_000;

export function toReceivedMedia(row: ReceivedRow): ReceivedMedia {
  return {
    id: row.id,
    messageId: row.message_id,
    sha256: row.sha256,
    mimetype: row.mimetype,
    filename: row.filename,
    size: Number(row.size),
    kind: row.kind,
    createdAt: Number(row.created_at),
    expired: row.expired_at !== null,
  };
}
