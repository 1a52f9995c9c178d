import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { AppError, describeError, type ErrorCode } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { ErrorBody } from './bodies';

/** The one place where error codes become HTTP statuses; a new code fails the type check until mapped here. */
const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  CONFIG_INVALID: 500,
  BROWSER_NOT_FOUND: 503,
  WEB_VERSION_UNAVAILABLE: 503,
  INSTANCE_LOCKED: 409,
  AUTH_PATH_UNWRITABLE: 500,
  NO_QR: 404,
  INVALID_PHONE_NUMBER: 400,
  ALREADY_PAIRED: 409,
  NOT_WAITING_FOR_PAIRING: 409,
  NOT_READY: 503,
  STORAGE_FAILED: 500,
  DATABASE_UNAVAILABLE: 503,
  STANDBY: 503,
  NOT_ON_WHATSAPP: 422,
  IDEMPOTENCY_KEY_REUSED: 409,
  INVALID_RECIPIENT: 400,
  INVALID_TEXT: 400,
  INVALID_REPLY_TO: 400,
  INVALID_IDEMPOTENCY_KEY: 400,
  UNKNOWN_FIELD: 400,
  INVALID_MEDIA: 400,
  INVALID_MEDIA_OPTION: 400,
  MEDIA_TOO_LARGE: 413,
  MEDIA_TYPE_MISMATCH: 415,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MEDIA_FETCH_FAILED: 422,
  MEDIA_URL_REFUSED: 422,
  MEDIA_EXPIRED: 410,
  INVALID_QUERY: 400,
  DELIVERY_NOT_RETRYABLE: 409,
  INVALID_CHAT: 422,
  SHUTTING_DOWN: 503,
  TOO_MANY_STREAMS: 503,
  TOO_MANY_ATTEMPTS: 429,
  CLEAR_FAILED: 500,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  INTERNAL: 500,
};

/** Every code the API can answer with. */
export const ERROR_CODES = Object.keys(STATUS_BY_CODE) as readonly ErrorCode[];

const GENERIC_MESSAGE = "Something went wrong on the daemon's side. The details are in its log.";

export function statusForCode(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

/** Writes the one error shape: `{error: {code, message}}`. */
export function sendError(res: Response, status: number, code: ErrorCode, message: string): void {
  const body: ErrorBody = { error: { code, message } };
  res.status(status).json(body);
}

/**
 * body-parser reports its failures as errors with a `type`, other Express libraries as
 * http-errors with a 4xx `status`: the client's fault, so answer with our codes, not a 500.
 */
function fromLibraryError(error: unknown): AppError | null {
  if (typeof error !== 'object' || error === null) return null;
  const { type, status } = error as { type?: unknown; status?: unknown };
  switch (type) {
    case 'entity.parse.failed':
      return new AppError('BAD_REQUEST', 'The request body is not valid JSON. To resolve, fix the JSON or send no body.');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large: 16 kB (POST /api/messages takes a file up to MEDIA_MAX_BYTES).');
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError('BAD_REQUEST', 'The request body could not be read. To resolve, send UTF-8 JSON or no body.');
  }
  if (typeof status !== 'number' || status < 400 || status > 499) return null;
  if (status === 404) return new AppError('NOT_FOUND', 'Nothing here. The admin page is at /qr, health at /api/health.');
  return new AppError('BAD_REQUEST', 'The request could not be processed as sent. To resolve, check the URL, method and body.');
}

/** Unknown routes: JSON, like every other answer of the API. */
export const notFound: RequestHandler = (req, res) => {
  sendError(res, 404, 'NOT_FOUND', `Nothing at ${req.method} ${req.path}. The admin page is at /qr, health at /api/health.`);
};

/**
 * Last middleware. AppError messages are written for operators and go out as they are;
 * anything else is a bug whose message may leak internals, so it is logged and answered
 * with a generic 500, never with a stack trace.
 */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      // Too late for a JSON answer (e.g. an event stream): let Express close the connection.
      logger.warn('HTTP response failed after it started', { method: req.method, path: req.path, error: describeError(error) });
      return next(error);
    }
    const known = error instanceof AppError ? error : fromLibraryError(error);
    if (known !== null) {
      const status = statusForCode(known.code);
      if (status >= 500) logger.error('HTTP request failed', { method: req.method, path: req.path, code: known.code, error: known.message });
      return sendError(res, status, known.code, known.message);
    }
    logger.error('HTTP request failed with an unexpected error', {
      method: req.method,
      path: req.path,
      error: describeError(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    return sendError(res, 500, 'INTERNAL', GENERIC_MESSAGE);
  };
}
