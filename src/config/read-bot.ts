import type { BotLimits } from './config';
import { normalizeRecipient } from '../common/chat-id';
import type { EnvReader } from './env-reader';

/** Who may use the bot, and how often. */
export function readBotLimits(read: EnvReader): BotLimits {
  const allowed = read.raw('BOT_ALLOWED_CHATS');
  let allowedChats: string[] | null = null;
  if (allowed !== undefined) {
    allowedChats = [];
    for (const entry of allowed
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '')) {
      const chatId = normalizeRecipient(entry);
      if (chatId === null)
        read.fail(
          `BOT_ALLOWED_CHATS has "${entry}", which is no phone number with its country code, <digits>@c.us or <id>@g.us. To resolve, list chats separated by commas, e.g. BOT_ALLOWED_CHATS=15550001111,120363012345678901@g.us.`,
        );
      else allowedChats.push(chatId);
    }
  }
  return {
    perChatPerMinute: read.integer('BOT_RATE_PER_CHAT_PER_MINUTE', 10, 1, 600, 'Commands a minute one chat may run.'),
    globalPerMinute: read.integer('BOT_RATE_GLOBAL_PER_MINUTE', 60, 1, 6000, 'Commands a minute all chats together may run.'),
    allowedChats,
    groups: read.boolean('BOT_IN_GROUPS', true),
  };
}
