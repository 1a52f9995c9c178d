/**
 * The daemon's error codes. Each failure domain has one code; HTTP maps codes to status
 * in one place (`http/error-handler.ts`), and messages always say what to do.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'BROWSER_NOT_FOUND'
  | 'WEB_VERSION_UNAVAILABLE'
  | 'INSTANCE_LOCKED'
  | 'AUTH_PATH_UNWRITABLE'
  | 'NO_QR'
  | 'INVALID_PHONE_NUMBER'
  | 'ALREADY_PAIRED'
  | 'NOT_WAITING_FOR_PAIRING'
  | 'NOT_READY'
  | 'STORAGE_FAILED'
  | 'DATABASE_UNAVAILABLE'
  | 'STANDBY'
  | 'NOT_ON_WHATSAPP'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'INVALID_RECIPIENT'
  | 'INVALID_TEXT'
  | 'INVALID_REPLY_TO'
  | 'INVALID_IDEMPOTENCY_KEY'
  | 'UNKNOWN_FIELD'
  | 'INVALID_MEDIA'
  | 'INVALID_MEDIA_OPTION'
  | 'MEDIA_TOO_LARGE'
  | 'MEDIA_TYPE_MISMATCH'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'MEDIA_FETCH_FAILED'
  | 'MEDIA_URL_REFUSED'
  | 'MEDIA_EXPIRED'
  | 'INVALID_QUERY'
  | 'DELIVERY_NOT_RETRYABLE'
  | 'INVALID_CHAT'
  | 'SHUTTING_DOWN'
  | 'TOO_MANY_STREAMS'
  | 'TOO_MANY_ATTEMPTS'
  | 'CLEAR_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'BAD_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
  | 'INTERNAL';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

/** A message for logs and state from anything thrown: whatsapp-web.js throws bare strings too. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}
