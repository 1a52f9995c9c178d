import type { SessionSnapshot } from '../session/session-state';
import type { IncomingMessage } from '../whatsapp/wa-client';

export interface CommandContext {
  readonly message: IncomingMessage;
  /** The text after the command word, trimmed. */
  readonly args: string;
  /** Every registered command, for !help. */
  readonly commands: readonly Command[];
  readonly prefix: string;
  /** The session as it is now (who is paired, since when). */
  readonly session: SessionSnapshot;
  /** Answers in the message's chat, quoting it. A function, not a method: commands destructure it. */
  readonly reply: (text: string) => Promise<void>;
}

/** One bot command. Adding a command is adding one file to `commands/` and listing it there. */
export interface Command {
  /** The word after the prefix, lower case, e.g. "ping" for "!ping". */
  readonly name: string;
  readonly description: string;
  run(context: CommandContext): Promise<void>;
}
