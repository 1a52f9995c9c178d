import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { IncomingMessage, WaClientEvent } from '../whatsapp/wa-client';

/** Something that wants every message that arrives while `ready` (the bot, webhooks). */
export type MessageSink = (message: IncomingMessage) => void | Promise<void>;
/** Something that wants WhatsApp's acknowledgements of the messages we sent. */
export type AckSink = (ack: { readonly id: string; readonly ack: number }) => void | Promise<void>;

export type TrafficEvent = Extract<WaClientEvent, { type: 'message' | 'message_ack' | 'message_undecryptable' }>;

/**
 * Messages both ways, as the client reports them: none of it moves the session's state. Each
 * sink is guarded, so one that fails never stops the others.
 */
export class MessageTraffic {
  private readonly messageSinks = new Set<MessageSink>();
  private readonly ackSinks = new Set<AckSink>();
  received = 0;
  undecryptable = 0;

  constructor(private readonly log: Logger) {}

  addMessageSink(sink: MessageSink): () => void {
    this.messageSinks.add(sink);
    return () => this.messageSinks.delete(sink);
  }

  addAckSink(sink: AckSink): () => void {
    this.ackSinks.add(sink);
    return () => this.ackSinks.delete(sink);
  }

  /** Handles one event of the live client; messages count only while `ready`. */
  handle(event: TrafficEvent, ready: boolean): void {
    switch (event.type) {
      case 'message':
        if (!ready) return;
        this.received++;
        return this.deliver(this.messageSinks, event.message);
      case 'message_ack':
        return this.deliver(this.ackSinks, { id: event.id, ack: event.ack });
      case 'message_undecryptable':
        this.undecryptable++;
        this.log.warn('A message could not be decrypted and is lost (WhatsApp gave up after asking the phone to resend it)', {
          messageId: event.id,
          chatId: event.chatId,
          total: this.undecryptable,
        });
    }
  }

  private deliver<T>(sinks: ReadonlySet<(value: T) => void | Promise<void>>, value: T): void {
    for (const sink of sinks) {
      try {
        const result = sink(value);
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
