import type { Router } from 'express';
import { AppError } from '../../common/errors';
import type { AdminAuth } from '../admin-auth';
import type { AppDeps } from '../app-deps';
import { methodNotAllowed } from '../method-not-allowed';
import { router as newRouter } from '../router';

const MEDIA_ID = /^med_[0-9a-f-]{36}$/;

/** RFC 6266: an ASCII fallback and the UTF-8 name, so any name is safe in the header. */
function contentDisposition(filename: string | null): string {
  if (filename === null) return 'attachment';
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/**
 * `GET /api/media/<id>` (API token or admin): a received file's bytes, as the `message` webhook
 * named them. Always an attachment with the sniffed type and nosniff, so a browser never
 * renders what a stranger sent as a page of this origin.
 */
export function mediaRoutes(deps: AppDeps, auth: AdminAuth): Router {
  const router = newRouter();
  const { media } = deps.messaging;
  const retentionMs = deps.config.media.retentionMs;

  router.get('/api/media/:id', auth.requireApi, async (req, res) => {
    const id = String(req.params.id);
    const entry = MEDIA_ID.test(id) ? await media.getReceived(id) : null;
    if (entry === null)
      throw new AppError('NOT_FOUND', `No media ${JSON.stringify(id.slice(0, 80))}. Ids come from the "message" webhook (media.id, med_...).`);
    // Past the retention it is gone, whether or not the hourly prune has deleted the bytes yet.
    const expired = entry.expired || entry.createdAt < deps.clock.now() - retentionMs;
    const bytes = expired ? null : await media.getFile(entry.sha256);
    if (bytes === null) {
      throw new AppError(
        'MEDIA_EXPIRED',
        `Media ${id} arrived ${new Date(entry.createdAt).toISOString()} and was kept for MEDIA_RETENTION_HOURS (${retentionMs / 3_600_000} h); it is deleted. To resolve, fetch media when its webhook arrives, or raise MEDIA_RETENTION_HOURS.`,
      );
    }
    const etag = `"${entry.sha256}"`;
    res.set({
      'Content-Type': entry.mimetype,
      'Content-Disposition': contentDisposition(entry.filename),
      ETag: etag,
      'Cache-Control': 'private, max-age=0, must-revalidate',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.get('If-None-Match') === etag) {
      res.status(304).end();
      return;
    }
    res.set('Content-Length', String(bytes.length));
    res.status(200).end(bytes);
  });

  router.all('/api/media/:id', methodNotAllowed('GET'));
  return router;
}
