import type { IncomingMessage } from '../../src/whatsapp/wa-client';

let counter = 0;

/** A text message as the client hands it over; 1:1 from `chatId` unless `overrides` say otherwise. */
export function incomingMessage(body: string, overrides: Partial<IncomingMessage> = {}): IncomingMessage {
  const chatId = overrides.chatId ?? '15552223333@c.us';
  const isGroup = chatId.endsWith('@g.us');
  return {
    id: `false_${chatId}_${++counter}`,
    chatId,
    from: chatId,
    author: null,
    body,
    type: 'chat',
    timestamp: 1_700_000_000,
    isGroup,
    notifyName: null,
    hasMedia: false,
    mediaHint: null,
    fromMe: false,
    isStatus: false,
    ...overrides,
  };
}
