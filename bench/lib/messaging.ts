/**
 * Section 7 on one daemon: an application's view.
 *
 * - API send to delivery: `POST /api/messages` at a steady rate (spread over a few chats so the
 *   per-chat gap is not what is measured), timed from just before the request to the message
 *   landing in the simulator's outbox (the page's Date.now(), the same clock). The send budget
 *   is raised for the run: at the default 30 a minute the figure would be the pacing itself.
 * - Webhook delivery: incoming messages at a steady rate, timed from just before the phone
 *   sends to the signed POST reaching a loopback receiver.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimPhone } from '../../test/sim';
import { WebhookReceiver } from '../../test/support/webhook-receiver';
import { ADMIN_TOKEN, type BenchContext, startDaemon } from './contenders';
import { percentile } from './stats';

export interface Latencies {
  readonly count: number;
  readonly ratePerSec: number;
  readonly done: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface MessagingSection {
  readonly sends: Latencies;
  readonly webhooks: Latencies;
  /** SEND_RATE_PER_MINUTE for the run. */
  readonly sendBudgetPerMinute: number;
}

export interface MessagingOptions {
  readonly template: string;
  readonly sends: number;
  readonly sendRatePerSec: number;
  readonly incoming: number;
  readonly incomingRatePerSec: number;
  readonly log: (line: string) => void;
}

const CHATS = 10;
/** The highest budget the daemon accepts. */
const SEND_BUDGET_PER_MINUTE = 600;

export async function messagingLatency(ctx: BenchContext, options: MessagingOptions): Promise<MessagingSection> {
  const authPath = await ctx.dirs.copyOf(options.template, 'messaging');
  const receiver = await WebhookReceiver.start();
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const daemon = await startDaemon(ctx, authPath, {
    env: {
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: secret,
      WEBHOOK_EVENTS: 'message',
      SEND_RATE_PER_MINUTE: String(SEND_BUDGET_PER_MINUTE),
      SEND_CHAT_GAP_MS: '0',
    },
  });
  try {
    await daemon.waitForReady();
    const phone = await SimPhone.attach(daemon.profileDir, { timeoutMs: 30_000 });
    try {
      const sends = await apiSends(daemon.url('/api/messages'), phone, options.sends, options.sendRatePerSec);
      options.log(
        `  API sends: ${sends.done}/${sends.count} at ${sends.ratePerSec} msg/s: p50 ${sends.p50Ms.toFixed(1)} ms, p99 ${sends.p99Ms.toFixed(1)} ms`,
      );
      const webhooks = await incomingToWebhook(receiver, phone, options.incoming, options.incomingRatePerSec);
      options.log(
        `  webhooks: ${webhooks.done}/${webhooks.count} at ${webhooks.ratePerSec} msg/s: p50 ${webhooks.p50Ms.toFixed(1)} ms, p99 ${webhooks.p99Ms.toFixed(1)} ms`,
      );
      return { sends, webhooks, sendBudgetPerMinute: SEND_BUDGET_PER_MINUTE };
    } finally {
      await phone.detach();
    }
  } finally {
    await daemon.stop();
    await receiver.close();
  }
}

function latencies(values: readonly number[], count: number, ratePerSec: number): Latencies {
  return { count, ratePerSec, done: values.length, p50Ms: percentile(values, 50), p99Ms: percentile(values, 99), maxMs: percentile(values, 100) };
}

export async function apiSends(url: string, phone: SimPhone, count: number, rate: number): Promise<Latencies> {
  await phone.clearOutbox();
  const run = randomBytes(4).toString('hex');
  const postedAt = new Map<string, number>();
  const requests: Array<Promise<void>> = [];
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - Date.now();
    if (wait > 0) await sleep(wait);
    const text = `bench ${run} ${i}`;
    postedAt.set(text, Date.now());
    requests.push(
      fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ to: `155500${String(30_000 + (i % CHATS))}`, text }),
      }).then(async (res) => {
        if (res.status !== 202) throw new Error(`POST /api/messages answered ${res.status}: ${await res.text()}`);
      }),
    );
  }
  await Promise.all(requests);
  const deadline = Date.now() + 60_000;
  while ((await phone.state()).outboxCount < count && Date.now() < deadline) await sleep(250);
  const values: number[] = [];
  for (const entry of await phone.outbox()) {
    const at = postedAt.get(entry.body);
    if (at !== undefined) values.push(entry.at - at);
  }
  await phone.clearOutbox();
  return latencies(values, count, rate);
}

async function incomingToWebhook(receiver: WebhookReceiver, phone: SimPhone, count: number, rate: number): Promise<Latencies> {
  const run = randomBytes(4).toString('hex');
  const sentAt = new Map<string, number>();
  const sends: Array<Promise<unknown>> = [];
  const before = receiver.received.length;
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / rate - Date.now();
    if (wait > 0) await sleep(wait);
    const body = `incoming ${run} ${i}`;
    sentAt.set(body, Date.now());
    sends.push(phone.incoming({ from: `155500${String(40_000 + (i % CHATS))}`, body }));
  }
  await Promise.all(sends);
  await receiver.waitFor(before + count, 60_000).catch(() => undefined);
  const values: number[] = [];
  for (const request of receiver.received.slice(before)) {
    const event = JSON.parse(request.body) as { data?: { body?: string } };
    const at = sentAt.get(event.data?.body ?? '');
    if (at !== undefined) values.push(request.at - at);
  }
  return latencies(values, count, rate);
}
