import { describeError } from '../errors';
import type { Logger } from '../logging/logger';
import type { IncomingMessage } from '../whatsapp/wa-client';
import type { Command } from './command';

export interface Dispatcher {
  (message: IncomingMessage): Promise<void>;
}

/**
 * Routes a message to its command. Ignores status broadcasts, our own messages and
 * anything that is not a known command; a throwing command is logged, never fatal.
 */
export function createDispatcher(commands: readonly Command[], prefix: string, logger: Logger): Dispatcher {
  const byName = new Map(commands.map((command) => [command.name, command]));
  const log = logger.child({ component: 'bot' });

  return async (message) => {
    if (message.fromMe || message.isStatus) return;
    const text = message.body.trim();
    if (!text.startsWith(prefix)) return;
    const [, word = '', args = ''] = /^(\S*)\s*([\s\S]*)$/.exec(text.slice(prefix.length)) ?? [];
    const command = byName.get(word.toLowerCase());
    if (!command) return;
    try {
      await command.run({ message, args: args.trim(), commands, prefix });
      log.debug(`Answered ${prefix}${command.name}`);
    } catch (error) {
      log.error(`Command ${prefix}${command.name} failed`, { error: describeError(error) });
    }
  };
}
