import type { Message } from 'whatsapp-web.js';
import type { DownloadedMedia, IncomingMessage } from './wa-client';

interface RawMediaFields {
  mimetype?: unknown;
  filename?: unknown;
  size?: unknown;
  notifyName?: unknown;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** The fields the library's `Message` carries, in the shapes 1.34.7 gives them. */
export function toIncoming(message: Message): IncomingMessage {
  const chatId = message.from;
  const isGroup = chatId.endsWith('@g.us');
  const author = isGroup && typeof message.author === 'string' && message.author !== '' ? message.author : null;
  // notifyName is not on the typed Message: it lives in the raw model the library keeps.
  const raw = (message as unknown as { _data?: RawMediaFields })._data ?? {};
  const notifyName = raw.notifyName;
  // 1.34.7: hasMedia is `Boolean(directPath)`, and body is the caption for media (data.body
  // holds the thumbnail there).
  const hasMedia = message.hasMedia === true;
  return {
    id: message.id._serialized,
    chatId,
    from: author ?? chatId,
    author,
    body: message.body ?? '',
    type: String(message.type),
    timestamp: message.timestamp,
    isGroup,
    notifyName: typeof notifyName === 'string' && notifyName !== '' ? notifyName : null,
    hasMedia,
    mediaHint: hasMedia ? { mimetype: text(raw.mimetype), filename: text(raw.filename), size: typeof raw.size === 'number' ? raw.size : null } : null,
    ...(hasMedia ? { downloadMedia: () => download(message) } : {}),
    fromMe: message.fromMe,
    isStatus: message.isStatus === true || chatId === 'status@broadcast',
  };
}

/** `Message.downloadMedia()` answers undefined when WhatsApp no longer has the file, a MessageMedia (base64) otherwise. */
async function download(message: Message): Promise<DownloadedMedia | null> {
  const media = await message.downloadMedia();
  if (media === undefined || media === null || typeof media.data !== 'string') return null;
  return { bytes: Buffer.from(media.data, 'base64'), mimetype: media.mimetype, filename: text(media.filename) };
}
