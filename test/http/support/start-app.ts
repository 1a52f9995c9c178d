import type { Server } from 'node:http';
import type { ClusterStatus } from '../../../src/cluster/build-cluster';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp, type AppDeps } from '../../../src/http/create-app';
import { FakeClock } from '../../support/fake-clock';
import { FakeSessionStore } from '../../support/fake-session-ports';
import { RecordingLogger } from '../../support/recording-logger';
import { createTestStores, type TestStores } from '../../support/test-messaging';
import { FakeSession } from '../../support/fake-session';
import { DaemonMetrics } from '../../../src/metrics/daemon-metrics';
import { checkResponsesOf } from '../../support/contract-fetch';

export const TOKEN = 'test-admin-token-0123456789abcdef';
export const PUBLIC_DIR = path.resolve(__dirname, '../../../public');

export interface TestApp {
  readonly url: string;
  readonly session: FakeSession;
  readonly inspector: FakeSessionStore;
  readonly logger: RecordingLogger;
  readonly stores: TestStores;
  readonly clock: FakeClock;
  /** What /metrics reads besides the session and the stores; tests change these to see them move. */
  readonly metricSources: { sent: number; failed: number; delivered: number; deliveryFailures: number; dead: number; browserBytes: number | null };
  close(): Promise<void>;
}

export interface TestAppOptions {
  readonly adminToken?: string | null;
  readonly apiToken?: string | null;
  readonly metricsToken?: string | null;
  readonly session?: FakeSession;
  readonly host?: string;
  /** With DATABASE_URL: the cluster status, for health, status and /metrics alike. */
  readonly cluster?: () => ClusterStatus;
  readonly overrides?: Partial<AppDeps>;
  /** MEDIA_MAX_BYTES; 16 MiB by default. */
  readonly mediaMaxBytes?: number;
  /** MEDIA_URL_ALLOW_PRIVATE: a URL send may fetch from the test's loopback server. */
  readonly mediaUrlAllowPrivate?: boolean;
}

export const bearer = (token: string = TOKEN): Record<string, string> => ({ Authorization: `Bearer ${token}` });
export const basic = (password: string = TOKEN, user = 'admin'): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

type Built = Omit<TestApp, 'url' | 'close'> & { readonly app: ReturnType<typeof createApp> };

/** The real app with fakes behind it, not listening. */
export function buildTestApp(options: TestAppOptions = {}): Built {
  const session = options.session ?? new FakeSession();
  const inspector = new FakeSessionStore();
  inspector.refreshForbidden = true;
  const logger = new RecordingLogger();
  const clock = new FakeClock(Date.parse('2025-01-02T04:00:00.000Z'));
  const stores = createTestStores(clock);
  const metricSources = { sent: 0, failed: 0, delivered: 0, deliveryFailures: 0, dead: 0, browserBytes: null as number | null };
  const bot = { dropped: { not_allowed: 0, group: 0, stale: 0, rate_chat: 0, rate_global: 0, queue_full: 0 }, queued: 0 };
  const metrics = new DaemonMetrics({
    session,
    clock,
    backlog: () => stores.backlog.current(),
    sender: {
      get stats() {
        return { sent: metricSources.sent, failed: metricSources.failed };
      },
    },
    deliverer: {
      get stats() {
        return { delivered: metricSources.delivered, failed: metricSources.deliveryFailures, dead: metricSources.dead };
      },
    },
    bot,
    browserMemory: async () => metricSources.browserBytes,
    logLinesDropped: () => 0,
    ...(options.cluster ? { cluster: options.cluster } : {}),
  });
  const app = createApp({
    ...(options.cluster ? { cluster: { status: options.cluster } } : {}),
    session,
    inspector,
    logger,
    config: {
      adminToken: options.adminToken === undefined ? TOKEN : options.adminToken,
      apiToken: options.apiToken ?? null,
      metricsToken: options.metricsToken ?? null,
      clientId: 'test-bot',
      authPath: '/data/auth',
      sessionDir: '/data/auth/session-test-bot',
      webhooks: {
        urls: ['http://127.0.0.1:9/hooks'],
        secret: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
        events: ['message', 'message.status', 'session.status'],
        retryBaseMs: 5_000,
        retryMaxMs: 3_600_000,
        maxAgeMs: 86_400_000,
      },
      media: {
        maxBytes: options.mediaMaxBytes ?? 16 * 1_048_576,
        urlAllowPrivate: options.mediaUrlAllowPrivate ?? false,
        retentionMs: 24 * 3_600_000,
      },
    },
    publicDir: PUBLIC_DIR,
    clock,
    messaging: { outbox: stores.outbox, webhooks: stores.webhooks, media: stores.media, deliverer: stores.deliverer, backlog: stores.backlog },
    bot,
    metrics,
    ...options.overrides,
  });
  return { app, session, inspector, logger, stores, clock, metricSources };
}

/** The real app on a real socket (loopback unless the test asks otherwise), with fakes behind it. */
export async function startApp(options: TestAppOptions = {}): Promise<TestApp> {
  const { app, stores, ...rest } = buildTestApp(options);
  const host = options.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(0, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  const uncheck = checkResponsesOf(url);
  return {
    ...rest,
    url,
    stores,
    close: () =>
      new Promise<void>((resolve) => {
        uncheck();
        server.closeAllConnections();
        server.close(() => {
          stores.dispose();
          resolve();
        });
      }),
  };
}
