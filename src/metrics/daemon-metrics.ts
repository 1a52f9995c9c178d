import type { Registry } from 'prom-client';
import type { DropReason } from '../bot/bot-gate';
import type { Clock } from '../common/clock';
import type { Backlog } from '../messaging/backlog';
import { SESSION_STATES, type SessionControl } from '../session/session-state';

/** What the metrics read, at every scrape; nothing is pushed to them. */
export interface MetricSources {
  readonly session: Pick<SessionControl, 'snapshot' | 'counters'>;
  readonly clock: Clock;
  /** The outbox and deliveries, as last counted (every 5 s); null before the first count. */
  readonly backlog: () => Backlog | null;
  readonly sender: { readonly stats: { readonly sent: number; readonly failed: number } };
  readonly deliverer: { readonly stats: { readonly delivered: number; readonly failed: number; readonly dead: number } };
  readonly bot: { readonly dropped: Readonly<Record<DropReason, number>> };
  /** PSS of the browser's processes in bytes; null when there is no browser. */
  readonly browserMemory: () => Promise<number | null>;
  /** Log lines dropped because stdout or stderr was closed. */
  readonly logLinesDropped: () => number;
  /** With DATABASE_URL: the lease and the saves; absent without it. */
  readonly cluster?: () => { readonly role: string; readonly backup: { readonly saves: number; readonly failures: number } };
}

/** A browser memory reading is reused for this long: summing PSS over /proc is not free. */
const MEMORY_CACHE_MS = 15_000;

/**
 * The daemon's Prometheus metrics on a registry of its own (plus node's process metrics). Each
 * value is read from its source at scrape time, so the metrics can never disagree with
 * /api/session/status. Totals count since the process started, as Prometheus counters do.
 * The registry (and prom-client with its 80-odd modules) is made at the first scrape: every
 * value is kept by its source meanwhile, so a daemon nobody scrapes never loads it.
 */
export class DaemonMetrics {
  private registry: Registry | null = null;
  private memory: { at: number; value: number | null } | null = null;

  constructor(private readonly sources: MetricSources) {}

  private build(): Registry {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at the first scrape, see above
    const { collectDefaultMetrics, Counter, Gauge, Registry } = require('prom-client') as typeof import('prom-client');
    const { sources } = this;
    const registry = new Registry();
    // prom-client samples event-loop lag with a 10 ms timer by default: 100 wake-ups a second,
    // measured at ~0.6 CPU s a minute on an idle daemon. Once a second still shows any stall
    // (a blocked loop delays that sample too) at a fiftieth of the cost.
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1_000 });
    const session = (): ReturnType<MetricSources['session']['snapshot']> => sources.session.snapshot();
    const counters = (): ReturnType<MetricSources['session']['counters']> => sources.session.counters();
    /** A counter whose value is a total kept elsewhere: set from it at every scrape. */
    const total = (name: string, help: string, read: () => number): void => {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    };
    const totals = <L extends string>(name: string, help: string, label: L, read: () => Readonly<Record<string, number>>): void => {
      new Counter({
        name,
        help,
        labelNames: [label],
        registers: [registry],
        collect() {
          this.reset();
          for (const [value, n] of Object.entries(read())) this.inc({ [label]: value } as Record<L, string>, n);
        },
      });
    };

    new Gauge({
      name: 'wa_tether_session_state',
      help: 'The session state: 1 for the current one, 0 for the others.',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const current = session().state;
        for (const state of SESSION_STATES) this.set({ state }, state === current ? 1 : 0);
      },
    });
    new Gauge({
      name: 'wa_tether_session_state_seconds',
      help: 'Seconds since the session entered its current state.',
      registers: [registry],
      collect() {
        this.set((sources.clock.now() - session().since.getTime()) / 1000);
      },
    });
    totals('wa_tether_reconnects_total', 'Reconnects since start, by what caused them.', 'reason', () => counters().reconnects);
    total('wa_tether_qr_shown_total', 'QR codes shown since start.', () => counters().qrShown);
    total(
      'wa_tether_pairing_codes_shown_total',
      'Pairing codes shown since start (PAIRING_PHONE_NUMBER or asked for on /qr).',
      () => counters().pairingCodesShown,
    );
    totals('wa_tether_logouts_total', 'Logouts since start: by the phone (remote) or by an operator (clear).', 'kind', () => ({
      remote: counters().remoteLogouts,
      clear: counters().clears,
    }));
    total('wa_tether_ready_transitions_total', 'Times the session became ready since start.', () => counters().readyTransitions);
    total('wa_tether_watchdog_failures_total', 'Watchdog probes that failed since start.', () => counters().watchdogFailures);
    total('wa_tether_messages_received_total', 'Incoming messages since start.', () => counters().messagesReceived);
    total('wa_tether_messages_undecryptable_total', 'Incoming messages that never decrypted since start.', () => counters().undecryptableMessages);
    total('wa_tether_messages_sent_total', 'Messages WhatsApp took from the outbox since start (API and bot).', () => sources.sender.stats.sent);
    total('wa_tether_messages_failed_total', 'Outbox messages that ended failed since start.', () => sources.sender.stats.failed);
    totals(
      'wa_tether_webhook_attempts_total',
      'Webhook delivery attempts since start, by result: delivered, failed (retried later), dead (given up).',
      'result',
      () => sources.deliverer.stats,
    );
    total('wa_tether_log_lines_dropped_total', 'Log lines dropped since start because stdout or stderr was closed.', () => sources.logLinesDropped());
    totals('wa_tether_bot_dropped_total', 'Bot commands not run since start, by reason.', 'reason', () => sources.bot.dropped);
    new Gauge({
      name: 'wa_tether_lease_held',
      help: 'This instance runs the account: 1 holding the lease (DATABASE_URL) or, without a database, always; 0 as a standby.',
      registers: [registry],
      collect() {
        this.set(sources.cluster === undefined || sources.cluster().role === 'holder' ? 1 : 0);
      },
    });
    totals(
      'wa_tether_session_saves_total',
      'Saves of the session to the database since start, by result (always 0 without DATABASE_URL).',
      'result',
      () => {
        const backup = sources.cluster?.().backup;
        return { saved: backup?.saves ?? 0, failed: backup?.failures ?? 0 };
      },
    );

    const backlog = sources.backlog;
    /** Counts by status from the last backlog count; no sample before the first one. */
    const byStatus = <K extends string>(
      name: string,
      help: string,
      read: () => Readonly<Record<K, number | null>> | undefined,
      statuses: readonly K[],
    ): void => {
      new Gauge({
        name,
        help,
        labelNames: ['status'],
        registers: [registry],
        collect() {
          const counts = read();
          if (counts === undefined) return;
          for (const status of statuses) this.set({ status }, counts[status] ?? 0);
        },
      });
    };
    byStatus('wa_tether_outbox_messages', 'Outbox messages of the last 7 days by status (counted every 5 s).', () => backlog()?.outbox, [
      'queued',
      'sending',
      'sent',
      'failed',
    ]);
    byStatus('wa_tether_webhook_deliveries', 'Webhook deliveries of the last 7 days by status (counted every 5 s).', () => backlog()?.webhooks, [
      'pending',
      'failed',
      'dead',
      'delivered',
    ]);
    new Gauge({
      name: 'wa_tether_oldest_pending_seconds',
      help: 'Age of the oldest outbox message not yet sent, or webhook delivery not yet done; 0 when none waits.',
      labelNames: ['queue'],
      registers: [registry],
      collect() {
        // Labelled, so that before the first count there is no sample rather than a made-up 0.
        const counted = backlog();
        if (counted === null) return;
        this.set({ queue: 'outbox' }, (counted.outbox.oldestPendingAgeMs ?? 0) / 1000);
        this.set({ queue: 'webhooks' }, (counted.webhooks.oldestPendingAgeMs ?? 0) / 1000);
      },
    });
    const readMemory = (): Promise<number | null> => this.browserMemory();
    new Gauge({
      name: 'wa_tether_browser_memory_bytes',
      help: "PSS of the browser's processes (proportional: shared pages counted once over all).",
      registers: [registry],
      async collect() {
        const value = await readMemory();
        // No browser, no sample: the last reading must not outlive the browser it measured.
        if (value === null) this.reset();
        else this.set(value);
      },
    });
    return registry;
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ readonly contentType: string; readonly text: string }> {
    this.registry ??= this.build();
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  private async browserMemory(): Promise<number | null> {
    const now = this.sources.clock.now();
    if (this.memory !== null && now - this.memory.at < MEMORY_CACHE_MS) return this.memory.value;
    const value = await this.sources.browserMemory().catch(() => null);
    this.memory = { at: now, value: value === 0 ? null : value };
    return this.memory.value;
  }
}
