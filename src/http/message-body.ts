import busboy from 'busboy';
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { AppError } from '../common/errors';
import { tooLarge } from '../media/decode-base64';

/** A text of 65,536 characters, each up to 6 bytes once escaped in JSON, fits in this besides the file. */
const TEXT_ALLOWANCE = 1_048_576;
const TEXT_FIELD_LIMIT = 6 * 65_536;

/** What a multipart send carried: its text fields and its one file. */
export interface MessageForm {
  readonly fields: Readonly<Record<string, string>>;
  readonly file: { readonly bytes: Buffer; readonly mimetype: string | null; readonly filename: string | null } | null;
}

const FORMS = new WeakMap<Request, MessageForm>();

/** The form `messageBody` read for this request, or null for a JSON one. */
export function messageForm(req: Request): MessageForm | null {
  return FORMS.get(req) ?? null;
}

/**
 * The body of `POST /api/messages`, after auth (so no one uploads megabytes unauthenticated):
 * JSON up to the largest file in base64 plus the text, or multipart/form-data with one file
 * part named `file`, streamed by busboy and cut off at the media limit. The general body limits
 * mounted after it skip a body this has read.
 */
export function messageBody(maxMediaBytes: number): Array<RequestHandler | ErrorRequestHandler> {
  const json = express.json({ limit: Math.ceil(maxMediaBytes / 3) * 4 + TEXT_ALLOWANCE, strict: true });
  const jsonTooLarge: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
    if ((error as { type?: unknown }).type === 'entity.too.large') return next(tooLarge(null, maxMediaBytes));
    next(error);
  };
  const multipart: RequestHandler = (req, _res, next) => {
    if (!req.is('multipart/form-data')) return next();
    readForm(req, maxMediaBytes).then(
      (form) => {
        FORMS.set(req, form);
        next();
      },
      (error: unknown) => next(error),
    );
  };
  // Anything else would reach the handler as raw bytes (the general body limits read every
  // body), and a Buffer's indexes read as unknown fields "0", "1", ...
  const otherBody: RequestHandler = (req, _res, next) => {
    if (req.is(['application/json', 'multipart/form-data']) !== false) return next();
    next(
      new AppError(
        'BAD_REQUEST',
        `POST /api/messages takes application/json or multipart/form-data, not ${req.get('content-type') ?? 'a body without a Content-Type'}. To resolve, send JSON (-H 'Content-Type: application/json') or a form (curl -F).`,
      ),
    );
  };
  return [json, jsonTooLarge, multipart, otherBody];
}

function readForm(req: Request, maxBytes: number): Promise<MessageForm> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      // busboy signals 'limit' once a file reaches fileSize, not once it passes it: one byte more,
      // so a file of exactly the limit is taken here as it is in JSON.
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fileSize: maxBytes + 1, fields: 16, fieldSize: TEXT_FIELD_LIMIT, parts: 17 },
      });
    } catch {
      return reject(
        new AppError('BAD_REQUEST', 'The multipart body has no boundary. To resolve, let your HTTP client build the form (curl -F, FormData).'),
      );
    }
    const fields: Record<string, string> = {};
    let file: MessageForm['file'] = null;
    let failure: AppError | null = null;
    let reading: Promise<void> = Promise.resolve();
    const fail = (error: AppError): void => {
      failure ??= error;
    };
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(new AppError('INVALID_TEXT', `The form field "${name}" is too long; "text" takes at most 65536 characters.`));
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume();
        return fail(new AppError('UNKNOWN_FIELD', `The file part is named "${name}"; it must be named "file" (curl -F file=@invoice.pdf).`));
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(tooLarge(null, maxBytes)));
      reading = new Promise((done) => stream.on('end', done)).then(() => {
        if (failure === null) {
          const mimetype = info.mimeType === 'application/octet-stream' ? null : info.mimeType;
          file = { bytes: Buffer.concat(chunks), mimetype, filename: info.filename ?? null };
        }
      });
    });
    parser.on('filesLimit', () => fail(new AppError('INVALID_MEDIA', 'A message takes one file; the form had more than one file part.')));
    parser.on('fieldsLimit', () =>
      fail(new AppError('UNKNOWN_FIELD', 'The form has too many fields: to, text, replyTo, asDocument, asVoice, asSticker and file.')),
    );
    parser.on('error', () =>
      reject(new AppError('BAD_REQUEST', 'The multipart body is malformed. To resolve, let your HTTP client build the form (curl -F, FormData).')),
    );
    parser.on('close', () => {
      void reading.then(() => (failure === null ? resolve({ fields, file }) : reject(failure)));
    });
    req.pipe(parser);
  });
}
