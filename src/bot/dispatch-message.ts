import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { SessionSnapshot } from '../session/session-state';
import type { IncomingMessage } from '../whatsapp/wa-client';
import type { BotGate } from './bot-gate';
import type { Command } from './command';

/** How a command's answer leaves: quoting `message`, in its chat. */
export type ReplySender = (message: IncomingMessage, text: string) => Promise<void>;

export interface DispatcherOptions {
  readonly commands: readonly Command[];
  readonly prefix: string;
  readonly logger: Logger;
  readonly reply: ReplySender;
  readonly session: () => SessionSnapshot;
  /** Who may run commands and how often; without one, every command runs (tests of the routing). */
  readonly gate?: Pick<BotGate, 'submit'>;
}

export type Dispatcher = (message: IncomingMessage) => Promise<void>;

/**
 * Routes a message to its command. Ignores status broadcasts, our own messages and
 * anything that is not a known command; a throwing command is logged, never fatal.
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { commands, prefix } = options;
  const byName = new Map(commands.map((command) => [command.name, command]));
  const log = options.logger.child({ component: 'bot' });

  return async (message) => {
    if (message.fromMe || message.isStatus) return;
    const text = message.body.trim();
    if (!text.startsWith(prefix)) return;
    const [, word = '', args = ''] = /^(\S*)\s*([\s\S]*)$/.exec(text.slice(prefix.length)) ?? [];
    const command = byName.get(word.toLowerCase());
    if (!command) return;
    const run = async (): Promise<void> => {
      try {
        const reply = (answer: string): Promise<void> => options.reply(message, answer);
        await command.run({ message, args: args.trim(), commands, prefix, session: options.session(), reply });
        log.debug(`Answered ${prefix}${command.name}`);
      } catch (error) {
        log.error(`Command ${prefix}${command.name} failed`, { error: describeError(error) });
      }
    };
    await (options.gate ? options.gate.submit(message, run) : run());
  };
}
