import type * as FileType from 'file-type' with { 'resolution-mode': 'import' };
import { AppError } from '../common/errors';
import { isSupportedType } from '../common/media-kind';

/** file-type is ESM only; this CommonJS build loads it once, on the first file. */
type FileTypeModule = typeof FileType;
let detector: Promise<FileTypeModule> | null = null;
const loadFileType = (): Promise<FileTypeModule> => (detector ??= import('file-type'));

/** Types with no magic bytes: taken as declared (or from the file name) when the bytes are text. */
const TEXT_TYPES: Readonly<Record<string, string>> = {
  txt: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  vcf: 'text/vcard',
  ics: 'text/calendar',
  svg: 'image/svg+xml',
};
const TEXT_MIMES = new Set(Object.values(TEXT_TYPES));

/** Names one type may go by; the sniffer reports the first. */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  'image/jpeg': ['image/jpg', 'image/pjpeg'],
  'audio/mpeg': ['audio/mp3'],
  'audio/ogg': ['audio/opus', 'application/ogg'],
  'audio/x-m4a': ['audio/mp4', 'audio/m4a', 'audio/aac'],
  'video/mp4': ['audio/mp4', 'application/mp4'],
  'audio/wav': ['audio/x-wav', 'audio/wave'],
  'application/x-cfb': ['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint'],
  'application/zip': [
    'application/x-zip-compressed',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    'application/epub+zip',
  ],
  'application/xml': ['image/svg+xml', 'text/xml'],
};

export interface SniffedType {
  readonly mimetype: string;
  /** The extension that goes with it, for a file sent without a name. */
  readonly ext: string;
}

/** `type/subtype`, lowercased, without parameters (`; codecs=opus`). */
export function essence(mimetype: string): string {
  return mimetype.split(';')[0]?.trim().toLowerCase() ?? '';
}

function sameType(sniffed: string, declared: string): boolean {
  return sniffed === declared || (ALIASES[sniffed]?.includes(declared) ?? false);
}

function looksLikeText(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 64 * 1024);
  if (head.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, lastCharBoundary(head)));
    return true;
  } catch {
    return false;
  }
}

/** Where the last whole UTF-8 character of a slice ends (a cut may split one). */
function lastCharBoundary(head: Buffer): number {
  const end = head.length;
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const byte = head[end - back] ?? 0;
    if ((byte & 0xc0) === 0xc0) return end - back;
    if ((byte & 0x80) === 0) return end;
  }
  return end;
}

/**
 * The type of a file from its bytes (file-type), checked against what the sender declared:
 * a contradiction is 415 MEDIA_TYPE_MISMATCH, a type WhatsApp does not take 415
 * UNSUPPORTED_MEDIA_TYPE. Formats with no magic bytes (text, CSV, JSON) count when the bytes
 * are UTF-8 text.
 */
export async function sniffMedia(bytes: Buffer, declared: string | null, filename: string | null): Promise<SniffedType> {
  const want = declared === null ? null : essence(declared);
  const detected = await (await loadFileType()).fileTypeFromBuffer(bytes);
  // file-type gives parameters for some ("audio/ogg; codecs=opus"): the type is the part before.
  const found = detected === undefined ? undefined : { mime: essence(detected.mime), ext: detected.ext };
  if (found !== undefined) {
    if (want !== null && !sameType(found.mime, want)) {
      throw new AppError(
        'MEDIA_TYPE_MISMATCH',
        `The file was declared ${want} but its bytes are ${found.mime}. To resolve, send the right mimetype, or leave it out and the type is read from the bytes.`,
      );
    }
    // A declared alias the sniffer cannot tell apart (docx inside a zip) is the better name.
    const mimetype = want !== null && isSupportedType(want) ? want : found.mime;
    if (!isSupportedType(mimetype)) throw unsupported(mimetype);
    return { mimetype, ext: found.ext };
  }
  const ext = filename?.includes('.') ? (filename.split('.').pop()?.toLowerCase() ?? '') : '';
  const textType = want ?? TEXT_TYPES[ext] ?? 'text/plain';
  if (looksLikeText(bytes) && (TEXT_MIMES.has(textType) || textType.startsWith('text/'))) {
    if (!isSupportedType(textType)) throw unsupported(textType);
    const textExt = Object.entries(TEXT_TYPES).find(([, mime]) => mime === textType)?.[0] ?? 'txt';
    return { mimetype: textType, ext: textExt };
  }
  if (want !== null && want !== 'application/octet-stream') {
    throw new AppError(
      'MEDIA_TYPE_MISMATCH',
      `The file was declared ${want} but its bytes are not: no ${want} starts like this. To resolve, check that the whole file was sent (base64 of the exact bytes).`,
    );
  }
  throw unsupported('an unknown binary type');
}

function unsupported(what: string): AppError {
  return new AppError(
    'UNSUPPORTED_MEDIA_TYPE',
    `WhatsApp does not take ${what}. Send an image (JPEG, PNG, WebP, GIF), a video (MP4, 3GPP), audio (OGG/Opus, MP3, M4A, AAC, AMR) or a document (PDF, Office, OpenDocument, ZIP, text, CSV).`,
  );
}
