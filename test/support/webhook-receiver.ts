import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { apiContract } from './openapi-contract';

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

export interface ReceiverOptions {
  readonly path?: string;
  readonly port?: number;
  /**
   * Hold every body to the document's `webhooks:` (default). Off only where the bodies are not
   * the daemon's events (a deliverer test posting payloads of its own).
   */
  readonly contract?: boolean;
}

/** A verified event as a receiver application sees it, with the `webhook-id` it came under. */
export type VerifiedEvent<T> = T & { readonly webhookId: string };

/**
 * A webhook receiver on loopback that records every request and answers as the test says:
 * a status code, or `hang` (never answers), per request in order, then `fallback`.
 * Every body is checked against the API contract as it arrives; a body that breaks it makes
 * `waitFor`, `events` and `close` throw, whatever the test was looking at.
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Bodies that do not match openapi/wa-tether.yaml's `webhooks:`, with what is wrong. */
  readonly violations: string[] = [];
  /** Answers for the next requests, in order. */
  readonly script: Array<number | 'hang'> = [];
  fallback: number | 'hang' = 204;
  private readonly hanging: ServerResponse[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start({ path = '/hooks', port = 0, contract = true }: ReceiverOptions = {}): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        receiver?.received.push({ headers: req.headers, body, at: Date.now() });
        if (contract) receiver?.check(body);
        const answer = receiver?.script.shift() ?? receiver?.fallback ?? 204;
        if (answer === 'hang') receiver?.hanging.push(res);
        else res.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const address = server.address() as AddressInfo;
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${address.port}${path}`);
    return receiver;
  }

  private check(body: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      this.violations.push(`a webhook body is not JSON: ${body.slice(0, 200)}`);
      return;
    }
    this.violations.push(...apiContract().checkWebhookBody(parsed));
  }

  /** Throws when a body broke the contract. */
  assertContract(): void {
    if (this.violations.length > 0) {
      throw new Error(`Webhook bodies do not match openapi/wa-tether.yaml:\n- ${this.violations.join('\n- ')}`);
    }
  }

  /**
   * Every request's body, its signature verified with `secret` as of when it arrived, with the
   * `webhook-id` it came under. (The package's verify() judges the timestamp against the clock
   * now, and refuses one over 5 minutes old: a long run reads early deliveries later than that.)
   */
  events<T>(secret: string): Array<VerifiedEvent<T>> {
    this.assertContract();
    const webhook = new Webhook(secret);
    return this.received.map((r) => ({ ...(verifiedAsReceived(webhook, r) as T), webhookId: String(r.headers['webhook-id']) }));
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  /** Waits until at least `count` requests arrived. */
  async waitFor(count: number, timeoutMs = 15_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      this.assertContract();
      if (Date.now() > deadline) throw new Error(`the receiver got ${this.received.length} of ${count} requests within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.assertContract();
    return this.received;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.assertContract();
  }
}

/** Standard Webhooks' tolerance between the signed timestamp and the receiver's clock. */
const TOLERANCE_SEC = 5 * 60;

/** What the package's verify() checks, with the receiver's clock read when the request came. */
function verifiedAsReceived(webhook: Webhook, r: Received): unknown {
  const timestamp = Number(r.headers['webhook-timestamp']);
  if (!Number.isInteger(timestamp) || Math.abs(r.at / 1000 - timestamp) > TOLERANCE_SEC) {
    throw new Error(`webhook-timestamp ${String(r.headers['webhook-timestamp'])} is not within 5 minutes of when the request arrived`);
  }
  const expected = webhook.sign(String(r.headers['webhook-id']), new Date(timestamp * 1000), r.body);
  if (
    !String(r.headers['webhook-signature'] ?? '')
      .split(' ')
      .includes(expected)
  ) {
    throw new Error(`the webhook-signature of ${String(r.headers['webhook-id'])} does not verify`);
  }
  return JSON.parse(r.body) as unknown;
}
