import { normalizePhoneNumber } from '../common/phone-number';
import { AppError } from '../errors';

/** A validated request to send: where to, what, and what it answers. */
export interface SendRequest {
  /** The normalized chat id: "<digits>@c.us" or "<id>@g.us". */
  readonly chatId: string;
  readonly text: string;
  readonly replyTo: string | null;
}

export const MAX_TEXT_LENGTH = 65_536;
const FIELDS = new Set(['to', 'text', 'replyTo']);
const USER_CHAT = /^\d{7,15}@c\.us$/;
/** Groups: "120363012345678901@g.us", or the older "<creator>-<unix seconds>@g.us". */
const GROUP_CHAT = /^\d{5,20}(-\d{5,20})?@g\.us$/;
/** A WhatsApp message id: fromMe_chat_id[_participant]. */
const MESSAGE_ID = /^(true|false)_[\w.@-]+_[A-Za-z0-9]{6,64}(_[\w.@-]+)?$/;

/** "+1 555-000 1111", "15550001111@c.us" or "120363...@g.us" as a chat id; null when it is none of them. */
export function normalizeRecipient(to: string): string | null {
  const trimmed = to.trim();
  if (USER_CHAT.test(trimmed) || GROUP_CHAT.test(trimmed)) return trimmed;
  const digits = normalizePhoneNumber(trimmed);
  return digits === null ? null : `${digits}@c.us`;
}

function fail(code: ConstructorParameters<typeof AppError>[0], message: string): never {
  throw new AppError(code, message);
}

/** The body of `POST /api/messages`, checked field by field; AppError with a code saying what to fix. */
export function parseSendRequest(body: unknown): SendRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    fail('BAD_REQUEST', 'The body must be a JSON object: {"to": "...", "text": "...", "replyTo": "..."}.');
  }
  const fields = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) fail('UNKNOWN_FIELD', `Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}. The fields are to, text and replyTo.`);
  const { to, text, replyTo } = fields;
  if (typeof to !== 'string') fail('INVALID_RECIPIENT', '"to" is required: a phone number with its country code (e.g. "+1 555 000 1111"), "<digits>@c.us" or "<id>@g.us".');
  const chatId = normalizeRecipient(to);
  if (chatId === null) {
    fail('INVALID_RECIPIENT', `"to" is not a phone number with its country code, "<digits>@c.us" or "<id>@g.us" (got ${JSON.stringify(to.slice(0, 80))}). Use digits only, with spaces, "+" or "-" if you like.`);
  }
  if (typeof text !== 'string') fail('INVALID_TEXT', '"text" is required: the message, 1 to 65536 characters.');
  const length = [...text].length;
  if (length === 0 || text.trim() === '') fail('INVALID_TEXT', '"text" is empty. Send 1 to 65536 characters.');
  if (length > MAX_TEXT_LENGTH) fail('INVALID_TEXT', `"text" has ${length} characters; WhatsApp takes at most ${MAX_TEXT_LENGTH}. Split it.`);
  if (replyTo !== undefined && replyTo !== null && (typeof replyTo !== 'string' || !MESSAGE_ID.test(replyTo))) {
    fail('INVALID_REPLY_TO', '"replyTo" must be the id of a message, as the "message" webhook gives it (e.g. "false_15550002222@c.us_3A0F...").');
  }
  return { chatId, text, replyTo: typeof replyTo === 'string' ? replyTo : null };
}

/** `Idempotency-Key`: 1 to 200 printable ASCII characters; null when absent. */
export function parseIdempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (header.length < 1 || header.length > 200 || !/^[\x20-\x7e]+$/.test(header)) {
    fail('INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 200 printable ASCII characters (e.g. a UUID).');
  }
  return header;
}
