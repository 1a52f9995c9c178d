import { describeError } from '../errors';
import type { Logger } from '../logging/logger';
import type { IncomingMessage } from '../whatsapp/wa-client';

/** Something that wants every message that arrives while `ready` (the bot, webhooks). */
export type MessageSink = (message: IncomingMessage) => void | Promise<void>;

/** The receivers of incoming messages: each one guarded, so one that fails never stops the others. */
export class MessageSinks {
  private readonly sinks = new Set<MessageSink>();

  constructor(private readonly log: Logger) {}

  add(sink: MessageSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  deliver(message: IncomingMessage): void {
    for (const sink of this.sinks) {
      try {
        const result = sink(message);
        if (result instanceof Promise) result.catch((error: unknown) => this.failed(error));
      } catch (error) {
        this.failed(error);
      }
    }
  }

  private failed(error: unknown): void {
    this.log.error('A message sink failed', { error: describeError(error) });
  }
}
