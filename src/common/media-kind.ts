/** How a file travels in WhatsApp: what the phone shows it as. */
export type MediaKind = 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker';
export const MEDIA_KINDS: readonly MediaKind[] = ['image', 'video', 'audio', 'voice', 'document', 'sticker'];

/** How the sender asked for the file to be shown; at most one is true. */
export interface MediaOptions {
  readonly asDocument: boolean;
  /** A voice note (push-to-talk): audio only. */
  readonly asVoice: boolean;
  /** A sticker: image only; the library converts it to WebP in the page. */
  readonly asSticker: boolean;
}

export const NO_MEDIA_OPTIONS: MediaOptions = { asDocument: false, asVoice: false, asSticker: false };

/**
 * What WhatsApp takes, by sniffed type. Images, video and audio show inline; the rest only as
 * documents. Anything else (executables, disk images, unknown binaries) is refused before it
 * is accepted: WhatsApp would take the upload and the recipient could not open it.
 */
const INLINE: Readonly<Record<string, 'image' | 'video' | 'audio'>> = {
  'image/jpeg': 'image',
  'image/png': 'image',
  'image/webp': 'image',
  'image/gif': 'image',
  'video/mp4': 'video',
  'video/3gpp': 'video',
  'video/quicktime': 'video',
  'audio/ogg': 'audio',
  'audio/opus': 'audio',
  'audio/mpeg': 'audio',
  'audio/mp4': 'audio',
  'audio/x-m4a': 'audio',
  'audio/aac': 'audio',
  'audio/aacp': 'audio',
  'audio/amr': 'audio',
  'audio/wav': 'audio',
  'audio/x-wav': 'audio',
  'audio/webm': 'audio',
};

const DOCUMENTS = new Set([
  'application/pdf',
  'application/zip',
  'application/x-7z-compressed',
  'application/gzip',
  'application/x-rar-compressed',
  'application/vnd.rar',
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/x-cfb',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
  'application/epub+zip',
  'application/rtf',
  'text/rtf',
  'text/plain',
  'text/csv',
  'application/json',
  'text/vcard',
  'text/calendar',
  'image/tiff',
  'image/bmp',
  'image/heic',
  'image/heif',
  'image/avif',
  'image/svg+xml',
  'video/webm',
  'video/x-matroska',
  'video/x-msvideo',
  'audio/flac',
  'audio/x-flac',
]);

/** Whether WhatsApp takes a file of this (sniffed) type at all. */
export function isSupportedType(mimetype: string): boolean {
  return mimetype in INLINE || DOCUMENTS.has(mimetype);
}

/** The kind a file of `mimetype` travels as, given the sender's options (already checked). */
export function mediaKind(mimetype: string, options: MediaOptions): MediaKind {
  if (options.asSticker) return 'sticker';
  if (options.asVoice) return 'voice';
  if (options.asDocument) return 'document';
  return INLINE[mimetype] ?? 'document';
}

/** The kind an incoming message is, from WhatsApp's message type. */
export function kindOfMessageType(type: string): MediaKind {
  switch (type) {
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return type;
    case 'ptt':
      return 'voice';
    default:
      return 'document';
  }
}

/** Inline kinds by family, for the option checks: a voice note must be audio, a sticker an image. */
export function family(mimetype: string): 'image' | 'video' | 'audio' | 'other' {
  return INLINE[mimetype] ?? 'other';
}
