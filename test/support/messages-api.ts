import type { AcceptedMessageBody, MessageBody } from '../../src/http/bodies';
import type { Daemon } from './daemon';
import { eventually } from './wait';

/** The application token the e2e daemons are started with. */
export const API_TOKEN = 'e2e-api-token-for-apps-0123456789';

export type PostedMessage = { status: number; body: AcceptedMessageBody & { error?: { code: string; message: string } } };

/** POST /api/messages as an application would. */
export async function postMessage(daemon: Daemon, body: unknown, headers: Record<string, string> = {}): Promise<PostedMessage> {
  const res = await fetch(daemon.url('/api/messages'), {
    method: 'POST',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as PostedMessage['body'] };
}

/** GET /api/messages/<id>. */
export async function getMessage(daemon: Daemon, id: string): Promise<MessageBody> {
  const res = await fetch(daemon.url(`/api/messages/${id}`), { headers: { authorization: `Bearer ${API_TOKEN}` } });
  return (await res.json()) as MessageBody;
}

/** The message's record once it is sent; otherwise the error names its last record and the daemon's log. */
export async function whenSent(daemon: Daemon, id: string, what: string, timeoutMs?: number): Promise<MessageBody> {
  let last: MessageBody | null = null;
  try {
    return await eventually(
      async () => {
        last = await getMessage(daemon, id);
        return last.status === 'sent' ? last : undefined;
      },
      what,
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; the message: ${JSON.stringify(last)}; the daemon:\n${daemon.tail()}`);
  }
}
