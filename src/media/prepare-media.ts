import { createHash } from 'node:crypto';
import { AppError } from '../common/errors';
import { family, mediaKind, type MediaOptions } from '../common/media-kind';
import type { MediaConfig } from '../config/config';
import type { OutgoingMessage, PreparedMedia } from '../messaging/outbox';
import type { MediaSource, SendRequest } from '../messaging/send-request';
import { decodeBase64, tooLarge } from './decode-base64';
import { fetchMediaUrl } from './fetch-media-url';
import { sniffMedia } from './sniff-media';

export type MediaLimits = Pick<MediaConfig, 'maxBytes' | 'urlAllowPrivate'>;

/** How long a URL send may take to fetch, redirects included. */
export const URL_FETCH_TIMEOUT_MS = 30_000;

/**
 * A checked send request made ready to queue: its file decoded (or fetched), its type read
 * from the bytes and matched against the options. Every refusal is an AppError saying what to do.
 */
export async function prepareSend(request: SendRequest, limits: MediaLimits): Promise<OutgoingMessage> {
  const { chatId, text, replyTo } = request;
  if (request.media === null) return { chatId, text, replyTo, media: null };
  return { chatId, text, replyTo, media: await prepareMedia(request.media, request.options, limits) };
}

async function prepareMedia(source: MediaSource, options: MediaOptions, limits: MediaLimits): Promise<PreparedMedia> {
  const { bytes, declared, filename } = await readSource(source, limits);
  if (bytes.length === 0) throw new AppError('INVALID_MEDIA', 'The file is empty. Send the whole file.');
  if (bytes.length > limits.maxBytes) throw tooLarge(bytes.length, limits.maxBytes);
  const sniffed = await sniffMedia(bytes, declared, filename);
  const kindOfType = family(sniffed.mimetype);
  if (options.asVoice && kindOfType !== 'audio') {
    throw new AppError(
      'INVALID_MEDIA_OPTION',
      `asVoice sends a voice note, which must be audio; this file is ${sniffed.mimetype}. To resolve, send audio (OGG/Opus is what phones record) or leave asVoice out.`,
    );
  }
  if (options.asSticker && kindOfType !== 'image') {
    throw new AppError(
      'INVALID_MEDIA_OPTION',
      `asSticker makes a sticker from an image; this file is ${sniffed.mimetype}. To resolve, send a PNG, JPEG, WebP or GIF, or leave asSticker out.`,
    );
  }
  const kind = mediaKind(sniffed.mimetype, options);
  return {
    bytes,
    facts: {
      mimetype: sniffed.mimetype,
      // A document shows its name on the phone; one sent without a name gets a plain one.
      filename: filename ?? (kind === 'document' ? `file.${sniffed.ext}` : null),
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      kind,
      options,
    },
  };
}

async function readSource(source: MediaSource, limits: MediaLimits): Promise<{ bytes: Buffer; declared: string | null; filename: string | null }> {
  switch (source.from) {
    case 'data':
      return { bytes: decodeBase64(source.data, limits.maxBytes), declared: source.mimetype, filename: source.filename };
    case 'file':
      return { bytes: source.bytes, declared: source.mimetype, filename: source.filename };
    case 'url': {
      const fetched = await fetchMediaUrl(source.url, {
        maxBytes: limits.maxBytes,
        allowPrivate: limits.urlAllowPrivate,
        timeoutMs: URL_FETCH_TIMEOUT_MS,
      });
      // A server's generic type says nothing the bytes do not say better.
      const served = fetched.contentType === 'application/octet-stream' ? null : fetched.contentType;
      return { bytes: fetched.bytes, declared: source.mimetype ?? served, filename: source.filename ?? fetched.filename };
    }
  }
}
