import { AppError } from '../common/errors';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DATA_URL = /^data:[\w.+-]+\/[\w.+-]+(;[\w-]+=[\w.+-]+)*;base64,/;

/** Decoded size of a base64 string of `length` characters with `padding` '=' signs. */
export function decodedLength(length: number, padding: number): number {
  return (length / 4) * 3 - padding;
}

/**
 * Strict RFC 4648 base64 (line breaks allowed, a `data:...;base64,` prefix too): Node's decoder
 * skips what it cannot read, so a truncated or mangled upload would be sent as a broken file.
 * The size is checked before anything is decoded.
 */
export function decodeBase64(data: string, maxBytes: number): Buffer {
  const compact = data.replace(DATA_URL, '').replace(/[\r\n]/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw new AppError(
      'INVALID_MEDIA',
      '"media.data" is not valid base64: it must be the whole file in the standard alphabet (A-Z, a-z, 0-9, +, /), padded with = to a multiple of 4 characters. To resolve, encode the file with `base64 -w0 file` or Buffer.from(bytes).toString("base64").',
    );
  }
  const padding = compact.endsWith('==') ? 2 : compact.endsWith('=') ? 1 : 0;
  const size = decodedLength(compact.length, padding);
  if (size > maxBytes) throw tooLarge(size, maxBytes);
  return Buffer.from(compact, 'base64');
}

export function tooLarge(size: number | null, maxBytes: number): AppError {
  return new AppError(
    'MEDIA_TOO_LARGE',
    `The file is ${size === null ? 'over the limit' : `${size} bytes`}; the limit is ${maxBytes} bytes (MEDIA_MAX_BYTES). To resolve, send a smaller file, or raise MEDIA_MAX_BYTES (at most 104857600).`,
  );
}
