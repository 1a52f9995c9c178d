import type { Message } from 'whatsapp-web.js';
import type { IncomingMessage } from './wa-client';

/** The fields the library's `Message` carries, in the shapes 1.34.7 gives them. */
export function toIncoming(message: Message): IncomingMessage {
  const chatId = message.from;
  const isGroup = chatId.endsWith('@g.us');
  const author = isGroup && typeof message.author === 'string' && message.author !== '' ? message.author : null;
  // notifyName is not on the typed Message: it lives in the raw model the library keeps.
  const notifyName = (message as unknown as { _data?: { notifyName?: unknown } })._data?.notifyName;
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
    hasMedia: message.hasMedia === true,
    fromMe: message.fromMe,
    isStatus: message.isStatus === true || chatId === 'status@broadcast',
  };
}
