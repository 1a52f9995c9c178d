/**
 * A soak: one daemon (the build, with the production start flags) on the simulated WhatsApp Web,
 * driven through a compressed life at a steady pace: reconnects of every kind, incoming
 * messages (some `!ping`, some with a file), API sends (some with a file), and a webhook
 * receiver that fails for a while now and then. Memory, descriptors, handles, listeners and the
 * database are sampled throughout (test/soak/probe.ts); what must hold of the traffic is
 * checked at the end: every accepted send sent, every incoming message delivered to the
 * receiver, every received file served with its bytes.
 *
 * The pace is the 2-hour plan's (500 faults, 400 of them reconnects, since a TIMEOUT blip is
 * ridden out without one; 20,000 incoming messages; 5,000 sends), so a
 * shorter run is the same life cut short and a longer one the same life continued.
 */
import { createHash } from 'node:crypto';
import { sessionPaths } from '../../src/config/session-paths';
import { renderRuntimeEnv, renderStartFlags } from '../../bench/lib/start-flags';
import { CLIENT_ID, Daemon, Sandbox } from '../support/daemon';
import { API_TOKEN } from '../support/messages-api';
import { sample } from '../support/media-samples';
import { NodeInspector } from '../support/node-inspector';
import { sleep } from '../support/wait';
import { WebhookReceiver } from '../support/webhook-receiver';
import { applyFault, SOAK_FAULTS, type SoakFault } from './soak-faults';
import { PhoneLink } from './phone-link';
import { codeBytes, type Sample, takeSample } from './probe';

const PLAN_HOURS = 2;
export const FULL_PLAN = { faults: 500, incoming: 20_000, sends: 5_000 } as const;
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const CONTACTS = 40;

export interface SoakOptions {
  readonly durationMs: number;
  /** Time between samples; by default 60 samples over the run, at least 10 s apart. */
  readonly sampleEveryMs?: number;
  readonly log: (line: string) => void;
}

export interface SoakResult {
  readonly durationMs: number;
  readonly samples: readonly Sample[];
  readonly faults: Readonly<Record<SoakFault, number>>;
  readonly faultFailures: readonly string[];
  readonly incoming: { readonly sent: number; readonly delivered: number; readonly withMedia: number; readonly mediaChecked: number };
  readonly sends: { readonly accepted: number; readonly sent: number; readonly withMedia: number; readonly refused: number };
  readonly receiverOutages: number;
  /** What broke a promise the daemon makes (lost sends, events never delivered, bad bytes). */
  readonly violations: readonly string[];
  readonly dbBytesPerMessage: number;
}

interface Pace {
  readonly faultEveryMs: number;
  readonly incomingEveryMs: number;
  readonly sendEveryMs: number;
}

function paceOf(): Pace {
  const planMs = PLAN_HOURS * 3_600_000;
  return {
    faultEveryMs: planMs / FULL_PLAN.faults,
    incomingEveryMs: planMs / FULL_PLAN.incoming,
    sendEveryMs: planMs / FULL_PLAN.sends,
  };
}

/** Calls `fn` every `everyMs` until `until`, on a fixed schedule (a slow call delays, never skips, the next). */
async function every(everyMs: number, until: number, fn: (n: number) => Promise<void>): Promise<void> {
  const started = Date.now();
  for (let n = 0; ; n++) {
    const due = started + n * everyMs;
    if (due >= until) return;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    await fn(n);
  }
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { log } = options;
  const pace = paceOf();
  const sandbox = await Sandbox.create();
  const receiver = await WebhookReceiver.start();
  let daemon: Daemon | null = null;
  let inspector: NodeInspector | null = null;
  const phone = new PhoneLink(sandbox.profileDir);
  try {
    daemon = await Daemon.start(sandbox, {
      entry: 'built',
      nodeFlags: [...renderStartFlags(), '--inspect=127.0.0.1:0'],
      env: {
        ...renderRuntimeEnv(),
        LOG_LEVEL: 'info',
        API_TOKEN,
        WEBHOOK_URL: receiver.url,
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_RETRY_BASE_MS: '200',
        WEBHOOK_RETRY_MAX_MS: '2000',
        SEND_RATE_PER_MINUTE: '600',
        SEND_CHAT_GAP_MS: '0',
        BOT_RATE_PER_CHAT_PER_MINUTE: '600',
        BOT_RATE_GLOBAL_PER_MINUTE: '6000',
      },
    });
    const live = daemon;
    await live.waitForState('qr', 60_000);
    await phone.use((p) => p.scan());
    await live.waitForState('ready', 60_000);
    const inspectUrl = NodeInspector.urlIn(live.lines);
    if (inspectUrl === null) throw new Error(`the daemon printed no inspector URL:\n${live.tail()}`);
    inspector = await NodeInspector.connect(inspectUrl);
    const probe = inspector;
    const target = { pid: live.pid, profileDir: sandbox.profileDir, databaseFile: sessionPaths(sandbox.authPath, CLIENT_ID).databaseFile };

    const started = Date.now();
    const until = started + options.durationMs;
    const samples: Sample[] = [];
    const faults = Object.fromEntries(SOAK_FAULTS.map((f) => [f, 0])) as Record<SoakFault, number>;
    const faultFailures: string[] = [];
    const violations: string[] = [];
    const incomingIds: string[] = [];
    const accepted: string[] = [];
    const receivedMedia = { withMedia: 0 };
    let refused = 0;
    let sendsWithMedia = 0;
    let receiverOutages = 0;
    let reconnects = 0;
    const hours = (): number => (Date.now() - started) / 3_600_000;
    const sampleNow = async (): Promise<void> => {
      const taken = await phone.exclusive(() => takeSample(target, probe, { hours: hours(), reconnects }));
      samples.push(taken);
      log(
        `  sample ${samples.length} at ${(taken.hours * 60).toFixed(1)} min, ${reconnects} reconnects: heap ${(taken.heapBytes / 2 ** 20).toFixed(2)} MiB (code ${(codeBytes(taken) / 2 ** 20).toFixed(2)}), tree PSS ${(taken.treePssBytes / 2 ** 20).toFixed(1)} MiB, fds ${taken.fds}, listeners ${taken.listeners}`,
      );
    };
    await sampleNow();

    const faultLoop = every(pace.faultEveryMs, until, async (n) => {
      const fault = SOAK_FAULTS[n % SOAK_FAULTS.length] as SoakFault;
      // Now and then the receiver fails for a while (503), then recovers: deliveries retry.
      if (n % 25 === 12) {
        receiverOutages++;
        receiver.fallback = 503;
        setTimeout(() => (receiver.fallback = 204), Math.min(30_000, pace.faultEveryMs * 2)).unref();
      }
      try {
        await phone.exclusive(() => applyFault(fault, live, phone));
        faults[fault]++;
        if (fault !== 'socket TIMEOUT blip') reconnects++;
      } catch (error) {
        faultFailures.push(`${fault}: ${String(error).split('\n')[0]}`);
        await live.waitForState('ready', 120_000).catch(() => undefined);
      }
    });

    const incomingLoop = every(pace.incomingEveryMs, until, async (n) => {
      const from = `1555070${String(n % CONTACTS).padStart(4, '0')}`;
      const file = n % 25 === 7 ? sample.png(16) : null;
      const body = n % 10 === 3 ? '!ping' : `soak message ${n}`;
      try {
        const { id } = await phone.use((p) =>
          p.incoming({
            from,
            body: file === null ? body : `photo ${n}`,
            ...(file === null ? {} : { media: { data: file.toString('base64'), mimetype: 'image/png' } }),
          }),
        );
        incomingIds.push(id);
        if (file !== null) receivedMedia.withMedia++;
      } catch {
        // The browser went away under the phone: the message never reached WhatsApp Web.
      }
    });

    const sendLoop = every(pace.sendEveryMs, until, async (n) => {
      const file = n % 10 === 5 ? sample.pdf() : null;
      const res = await fetch(live.url('/api/messages'), {
        method: 'POST',
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          to: `1555080${String(n % CONTACTS).padStart(4, '0')}`,
          text: `soak send ${n}`,
          ...(file === null ? {} : { media: { data: file.toString('base64'), filename: `soak-${n}.pdf` } }),
        }),
      }).catch(() => null);
      if (res?.status === 202) {
        accepted.push(((await res.json()) as { id: string }).id);
        if (file !== null) sendsWithMedia++;
      } else {
        refused++;
        violations.push(`a send was answered ${res?.status ?? 'nothing'}`);
      }
      // The simulated phone keeps every message it got; a real phone is not in the daemon's memory.
      if (n % 200 === 199) await phone.use((p) => p.clearOutbox()).catch(() => undefined);
    });

    const sampleEveryMs = options.sampleEveryMs ?? Math.max(10_000, options.durationMs / 60);
    const sampleLoop = every(sampleEveryMs, until, async (n) => {
      if (n > 0) await sampleNow();
    });

    await Promise.all([faultLoop, incomingLoop, sendLoop, sampleLoop]);
    log(`  the life is over after ${((Date.now() - started) / 60_000).toFixed(1)} min; draining and checking`);
    receiver.fallback = 204;
    await live.waitForState('ready', 120_000);

    // Every accepted send goes out; every incoming message reaches the receiver.
    const drained = await drainOutbox(live, 180_000);
    if (!drained) violations.push('the outbox did not drain within 3 minutes of the end');
    let sent = 0;
    for (const id of accepted) {
      const res = await fetch(live.url(`/api/messages/${id}`), { headers: { authorization: `Bearer ${API_TOKEN}` } });
      const record = (await res.json()) as { status: string };
      if (record.status === 'sent') sent++;
      else violations.push(`send ${id} ended ${record.status}`);
    }
    const delivered = await deliveredIds(receiver, incomingIds, 120_000);
    for (const id of incomingIds) if (!delivered.has(id)) violations.push(`incoming ${id} never reached the receiver`);
    const mediaChecked = await checkMediaUrls(live, receiver, violations);
    await sampleNow();

    const last = samples.at(-1);
    const firstSample = samples[0];
    const messages = accepted.length + incomingIds.length;
    return {
      durationMs: options.durationMs,
      samples,
      faults,
      faultFailures,
      incoming: { sent: incomingIds.length, delivered: delivered.size, withMedia: receivedMedia.withMedia, mediaChecked },
      sends: { accepted: accepted.length, sent, withMedia: sendsWithMedia, refused },
      receiverOutages,
      violations: [...violations, ...receiver.violations],
      dbBytesPerMessage: last && firstSample && messages > 0 ? (last.dbBytes - firstSample.dbBytes) / messages : 0,
    };
  } finally {
    inspector?.close();
    await phone.drop();
    if (daemon && !daemon.hasExited) await daemon.stop('SIGTERM', 20_000).catch(() => daemon?.stop('SIGKILL'));
    await receiver.close().catch(() => undefined);
    await sandbox.dispose();
  }
}

async function drainOutbox(daemon: Daemon, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await daemon.status();
    if (status.outbox.queued + status.outbox.sending === 0) return true;
    await sleep(1_000);
  }
  return false;
}

const stanzaOf = (id: string): string => id.split('_').at(-1) ?? id;

/** The incoming message ids the receiver got a `message` event for (compared by their stanza id). */
async function deliveredIds(receiver: WebhookReceiver, ids: readonly string[], timeoutMs: number): Promise<Set<string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = new Set<string>();
    for (const event of receiver.events<{ type: string; data: { id?: string } }>(SECRET)) {
      if (event.type === 'message' && typeof event.data.id === 'string') seen.add(stanzaOf(event.data.id));
    }
    const delivered = new Set(ids.filter((id) => seen.has(stanzaOf(id))));
    if (delivered.size === ids.length || Date.now() > deadline) return delivered;
    await sleep(1_000);
  }
}

/** Fetches the last few received files by their webhook url: the bytes the sha256 names. */
async function checkMediaUrls(daemon: Daemon, receiver: WebhookReceiver, violations: string[]): Promise<number> {
  const withMedia = receiver
    .events<{ type: string; data: { media?: { url?: string; sha256?: string } | null } }>(SECRET)
    .filter((e) => e.type === 'message' && typeof e.data.media?.url === 'string')
    .slice(-5);
  for (const event of withMedia) {
    const res = await fetch(daemon.url(event.data.media?.url ?? ''), { headers: { authorization: `Bearer ${API_TOKEN}` } });
    const bytes = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200 || sha256(bytes) !== event.data.media?.sha256)
      violations.push(`${event.data.media?.url} answered ${res.status} with other bytes`);
  }
  return withMedia.length;
}
