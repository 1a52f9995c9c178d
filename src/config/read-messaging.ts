import { type WebhookEventType } from './event-types';
import { WEBHOOK_EVENT_TYPES } from './event-types';
import { webhookKey } from '../common/webhook-secret';
import type { MediaConfig, SendConfig, WebhookConfig } from './config';
import type { EnvReader } from './env-reader';

const HOUR_MS = 3_600_000;

/** The outbox's budget toward WhatsApp. */
export function readSendConfig(read: EnvReader): SendConfig {
  const ratePerMinute = read.integer(
    'SEND_RATE_PER_MINUTE',
    30,
    1,
    600,
    'Messages per minute toward WhatsApp, bot replies included; the default 30 keeps the account far from bulk-sender patterns.',
  );
  return {
    ratePerMinute,
    // A quiet account may answer a few messages at once; a busy one is held to the rate.
    burst: Math.min(10, Math.max(1, Math.ceil(ratePerMinute / 10))),
    chatGapMs: read.integer(
      'SEND_CHAT_GAP_MS',
      1_000,
      0,
      HOUR_MS,
      'Least time between two messages to one chat (each gap is 0-50% longer at random).',
    ),
    maxAttempts: 5,
  };
}

const MIB = 1_048_576;

/** What media may weigh, where URL sends may reach, and how long files are kept. */
export function readMediaConfig(read: EnvReader): MediaConfig {
  return {
    maxBytes: read.integer(
      'MEDIA_MAX_BYTES',
      16 * MIB,
      1_024,
      100 * MIB,
      'The largest file sent or received, in bytes (WhatsApp takes 16 MiB for images and video, 100 MiB for documents).',
    ),
    urlAllowPrivate: read.boolean('MEDIA_URL_ALLOW_PRIVATE', false),
    retentionMs: read.integer('MEDIA_RETENTION_HOURS', 24, 1, 24 * 365, 'Hours media is kept after it arrived, or after it was sent.') * HOUR_MS,
  };
}

/** Where webhooks go, how they are signed, and how long they are retried. */
export function readWebhookConfig(read: EnvReader): WebhookConfig {
  const urls = (read.raw('WEBHOOK_URL') ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  for (const url of urls) {
    let valid = false;
    try {
      valid = ['http:', 'https:'].includes(new URL(url).protocol);
    } catch {
      valid = false;
    }
    if (!valid)
      read.fail(
        `WEBHOOK_URL has "${url}", which is not an http(s) URL. To resolve, list URLs separated by commas, e.g. https://app.example/hooks/whatsapp.`,
      );
  }
  const secret = read.raw('WEBHOOK_SECRET') ?? null;
  const key = secret === null ? null : webhookKey(secret);
  if (secret !== null && (key === null || key.length < 24 || key.length > 64)) {
    read.fail(
      'WEBHOOK_SECRET must be "whsec_" followed by base64 of 24 to 64 random bytes. To resolve, generate one with: echo "whsec_$(openssl rand -base64 32)"',
    );
  }
  if (urls.length > 0 && secret === null) {
    read.fail(
      'WEBHOOK_URL is set but WEBHOOK_SECRET is not: every delivery is signed. To resolve, set WEBHOOK_SECRET (echo "whsec_$(openssl rand -base64 32)").',
    );
  }
  const events = read.raw('WEBHOOK_EVENTS');
  const chosen =
    events === undefined
      ? [...WEBHOOK_EVENT_TYPES]
      : events
          .split(',')
          .map((event) => event.trim())
          .filter((event) => event !== '');
  const unknown = chosen.filter((event) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(event));
  if (unknown.length > 0) read.fail(`WEBHOOK_EVENTS has ${unknown.join(', ')}; the events are ${WEBHOOK_EVENT_TYPES.join(', ')}.`);
  const retryBaseMs = read.integer(
    'WEBHOOK_RETRY_BASE_MS',
    5_000,
    100,
    HOUR_MS,
    'The first retry delay of a failed delivery; it doubles from there.',
  );
  const retryMaxMs = read.integer('WEBHOOK_RETRY_MAX_MS', HOUR_MS, 100, 24 * HOUR_MS, 'The longest wait between two attempts.');
  if (retryMaxMs < retryBaseMs) read.fail(`WEBHOOK_RETRY_MAX_MS (${retryMaxMs}) must not be below WEBHOOK_RETRY_BASE_MS (${retryBaseMs}).`);
  return {
    urls,
    secret: key === null ? null : secret,
    events: chosen.filter((event): event is WebhookEventType => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(event)),
    retryBaseMs,
    retryMaxMs,
    maxAgeMs: read.integer('WEBHOOK_MAX_AGE_MS', 24 * HOUR_MS, 1_000, 30 * 24 * HOUR_MS, 'How long a delivery is retried before it is dead.'),
  };
}
