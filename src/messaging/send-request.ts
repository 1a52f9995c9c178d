import { normalizeRecipient } from '../common/chat-id';
import { AppError } from '../common/errors';
import type { MediaOptions } from '../common/media-kind';

/** Where a file to send comes from, as the request gave it (not yet decoded, fetched or checked). */
export type MediaSource =
  | { readonly from: 'data'; readonly data: string; readonly mimetype: string | null; readonly filename: string | null }
  | { readonly from: 'url'; readonly url: string; readonly mimetype: string | null; readonly filename: string | null }
  | { readonly from: 'file'; readonly bytes: Buffer; readonly mimetype: string | null; readonly filename: string | null };

/** A validated request to send: where to, what, and what it answers. */
export interface SendRequest {
  /** The normalized chat id: "<digits>@c.us" or "<id>@g.us". */
  readonly chatId: string;
  /** The text; with media, its caption ('' for none). */
  readonly text: string;
  readonly replyTo: string | null;
  readonly media: MediaSource | null;
  readonly options: MediaOptions;
}

export const MAX_TEXT_LENGTH = 65_536;
const FIELDS = new Set(['to', 'text', 'replyTo', 'media', 'asDocument', 'asVoice', 'asSticker']);
const MEDIA_FIELDS = new Set(['data', 'url', 'mimetype', 'filename']);
const OPTION_FIELDS = ['asDocument', 'asVoice', 'asSticker'] as const;
/** A WhatsApp message id: fromMe_chat_id[_participant]. */
const MESSAGE_ID = /^(true|false)_[\w.@-]+_[A-Za-z0-9]{6,64}(_[\w.@-]+)?$/;

function fail(code: ConstructorParameters<typeof AppError>[0], message: string): never {
  throw new AppError(code, message);
}

/** The body of `POST /api/messages`, checked field by field; AppError with a code saying what to fix. */
export function parseSendRequest(body: unknown): SendRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    fail('BAD_REQUEST', 'The body must be a JSON object: {"to": "...", "text": "...", "replyTo": "..."}, with "media" to send a file.');
  }
  const fields = body as Record<string, unknown>;
  const media = fields.media === undefined || fields.media === null ? null : parseMediaObject(fields.media);
  return checkSend(fields, media);
}

/**
 * A multipart/form-data send: its text fields and the one file part, `file`. The options come
 * as strings there ("true", "false", "1", "0", or empty).
 */
export function parseSendForm(
  fields: Readonly<Record<string, string>>,
  file: { bytes: Buffer; mimetype: string | null; filename: string | null } | null,
): SendRequest {
  const unknown = Object.keys(fields).filter((key) => !FIELDS.has(key) || key === 'media');
  if (unknown.length > 0) {
    fail(
      'UNKNOWN_FIELD',
      `Unknown form field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}. The fields are to, text, replyTo, asDocument, asVoice, asSticker and one file part named "file".`,
    );
  }
  const typed: Record<string, unknown> = { ...fields };
  for (const option of OPTION_FIELDS) {
    const value = fields[option];
    if (value === undefined) continue;
    const normalized = value.trim().toLowerCase();
    if (!['true', 'false', '1', '0', ''].includes(normalized))
      fail('INVALID_MEDIA_OPTION', `${option} must be true or false (got ${JSON.stringify(value.slice(0, 20))}).`);
    typed[option] = normalized === 'true' || normalized === '1';
  }
  if (fields.replyTo === '') delete typed.replyTo;
  return checkSend(typed, file === null ? null : { from: 'file', ...file, filename: cleanFilename(file.filename) });
}

function checkSend(fields: Record<string, unknown>, media: MediaSource | null): SendRequest {
  const unknown = Object.keys(fields).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0)
    fail(
      'UNKNOWN_FIELD',
      `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}. The fields are to, text, replyTo, media, asDocument, asVoice and asSticker.`,
    );
  const { to, text, replyTo } = fields;
  if (typeof to !== 'string')
    fail('INVALID_RECIPIENT', '"to" is required: a phone number with its country code (e.g. "+1 555 000 1111"), "<digits>@c.us" or "<id>@g.us".');
  const chatId = normalizeRecipient(to);
  if (chatId === null) {
    fail(
      'INVALID_RECIPIENT',
      `"to" is not a phone number with its country code, "<digits>@c.us" or "<id>@g.us" (got ${JSON.stringify(to.slice(0, 80))}). Use digits only, with spaces, "+" or "-" if you like.`,
    );
  }
  const caption = checkText(text, media !== null);
  if (replyTo !== undefined && replyTo !== null && (typeof replyTo !== 'string' || !MESSAGE_ID.test(replyTo))) {
    fail('INVALID_REPLY_TO', '"replyTo" must be the id of a message, as the "message" webhook gives it (e.g. "false_15550002222@c.us_3A0F...").');
  }
  const options = checkOptions(fields, media !== null);
  return { chatId, text: caption, replyTo: typeof replyTo === 'string' ? replyTo : null, media, options };
}

function checkText(text: unknown, withMedia: boolean): string {
  if (withMedia && (text === undefined || text === null)) return '';
  if (typeof text !== 'string')
    fail('INVALID_TEXT', '"text" is required: the message, 1 to 65536 characters (or send "media", and "text" is its caption).');
  const length = [...text].length;
  if (!withMedia && (length === 0 || text.trim() === '')) fail('INVALID_TEXT', '"text" is empty. Send 1 to 65536 characters.');
  if (length > MAX_TEXT_LENGTH) fail('INVALID_TEXT', `"text" has ${length} characters; WhatsApp takes at most ${MAX_TEXT_LENGTH}. Split it.`);
  return withMedia && text.trim() === '' ? '' : text;
}

function checkOptions(fields: Record<string, unknown>, withMedia: boolean): MediaOptions {
  const chosen: Record<(typeof OPTION_FIELDS)[number], boolean> = { asDocument: false, asVoice: false, asSticker: false };
  for (const option of OPTION_FIELDS) {
    const value = fields[option];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'boolean') fail('INVALID_MEDIA_OPTION', `"${option}" must be true or false.`);
    chosen[option] = value;
  }
  const on = OPTION_FIELDS.filter((option) => chosen[option]);
  if (on.length > 0 && !withMedia) fail('INVALID_MEDIA_OPTION', `"${on[0]}" applies to a file: send "media" (or a multipart "file") with it.`);
  if (on.length > 1) fail('INVALID_MEDIA_OPTION', `${on.map((o) => `"${o}"`).join(' and ')} cannot go together: a file is sent one way. Choose one.`);
  return chosen;
}

function parseMediaObject(media: unknown): MediaSource {
  if (typeof media !== 'object' || media === null || Array.isArray(media)) {
    fail('INVALID_MEDIA', '"media" must be an object: {"data": "<base64>", "mimetype": "...", "filename": "..."} or {"url": "https://..."}.');
  }
  const fields = media as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !MEDIA_FIELDS.has(key));
  if (unknown.length > 0)
    fail(
      'UNKNOWN_FIELD',
      `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(`media.${k}`)).join(', ')}. media takes data, url, mimetype and filename.`,
    );
  const { data, url, mimetype, filename } = fields;
  if (mimetype !== undefined && mimetype !== null && (typeof mimetype !== 'string' || !/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(mimetype))) {
    fail(
      'INVALID_MEDIA',
      '"media.mimetype" must be a media type such as "image/jpeg" or "application/pdf" (or leave it out: the type is read from the bytes).',
    );
  }
  if (filename !== undefined && filename !== null && (typeof filename !== 'string' || filename.length > 255)) {
    fail('INVALID_MEDIA', '"media.filename" must be a file name of at most 255 characters.');
  }
  const declared = typeof mimetype === 'string' ? mimetype : null;
  const name = cleanFilename(typeof filename === 'string' ? filename : null);
  if ((data === undefined) === (url === undefined))
    fail('INVALID_MEDIA', '"media" takes exactly one of "data" (base64 of the file) and "url" (where to fetch it).');
  if (url !== undefined) {
    if (typeof url !== 'string' || url.length > 4_096) fail('INVALID_MEDIA', '"media.url" must be an http(s) URL of at most 4096 characters.');
    return { from: 'url', url, mimetype: declared, filename: name };
  }
  if (typeof data !== 'string' || data === '') fail('INVALID_MEDIA', '"media.data" must be the file as base64 (RFC 4648, "+/" alphabet, padded).');
  return { from: 'data', data, mimetype: declared, filename: name };
}

/** The last path segment, without control characters: a name, never a path. */
export function cleanFilename(filename: string | null): string | null {
  if (filename === null) return null;
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const base = (filename.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return base === '' || base === '.' || base === '..' ? null : base.slice(0, 255);
}

/** `Idempotency-Key`: 1 to 200 printable ASCII characters; null when absent. */
export function parseIdempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (header.length < 1 || header.length > 200 || !/^[\x20-\x7e]+$/.test(header)) {
    fail('INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 200 printable ASCII characters (e.g. a UUID).');
  }
  return header;
}
