import type { Config } from '../../src/config/config';
import type { SessionMetadata } from '../../src/storage/session-metadata';
import type { CurrentCode, CurrentQr, SessionSnapshot } from '../../src/session/session-state';
import { SessionSupervisor } from '../../src/session/session-supervisor';
import type { IncomingMessage } from '../../src/whatsapp/wa-client';
import { FakeClock, flush } from './fake-clock';
import { FakeGuard, FakeMetadata, FakeSessionStore } from './fake-session-ports';
import { FakeClientFactory, Journal, type FakeWaClient } from './fake-wa-client';
import { RecordingLogger } from './recording-logger';

export type SupervisorConfig = Pick<Config, 'reconnect' | 'timeouts' | 'browserMemoryLimitMb'> &
  Partial<Pick<Config, 'pairingPhoneNumber' | 'pairingCodeIntervalMs'>>;

/** The defaults of load-config: base 5 s, cap 30 s. */
export const DEFAULT_CONFIG: SupervisorConfig = {
  reconnect: { baseMs: 5_000, maxMs: 30_000, maxAttempts: 10 },
  timeouts: { startMs: 120_000, readyMs: 90_000, watchdogIntervalMs: 30_000, watchdogTimeoutMs: 10_000, shutdownMs: 8_000 },
  browserMemoryLimitMb: 0,
};

export interface HarnessOptions {
  readonly reconnect?: Partial<SupervisorConfig['reconnect']>;
  readonly timeouts?: Partial<SupervisorConfig['timeouts']>;
  /** What the metadata file holds before start. */
  readonly metadata?: Partial<SessionMetadata> | FakeMetadata;
  readonly random?: () => number;
  readonly configure?: (client: FakeWaClient, index: number) => void;
  /** Replaces the recording onQr (e.g. to make it throw). */
  readonly onQr?: (qr: CurrentQr) => void;
  readonly browserMemoryLimitMb?: number;
  /** Bytes the fake browser uses, read by the memory watchdog. */
  readonly browserMemory?: () => Promise<number>;
  /** PAIRING_PHONE_NUMBER. */
  readonly pairingPhoneNumber?: string;
  readonly pairingCodeIntervalMs?: number;
}

export const ME = Object.freeze({ id: '15550001111', name: 'Tester' });
export const PAIRED_AT = '2024-12-01T10:00:00.000Z';

/** A SessionSupervisor wired to fakes, with everything it did recorded. */
export function createHarness(options: HarnessOptions = {}) {
  const journal = new Journal();
  const clock = new FakeClock();
  const factory = new FakeClientFactory(journal);
  factory.configure = options.configure ?? null;
  const guard = new FakeGuard(journal);
  guard.onKillLeftovers = () => factory.killRetired();
  const metadata = options.metadata instanceof FakeMetadata ? options.metadata : new FakeMetadata(options.metadata);
  const store = new FakeSessionStore(journal);
  const logger = new RecordingLogger();
  const qrs: CurrentQr[] = [];
  const codes: CurrentCode[] = [];
  const messages: IncomingMessage[] = [];
  const snapshots: SessionSnapshot[] = [];
  /** Every state change, as "from → to". */
  const transitions: string[] = [];
  const config: SupervisorConfig = {
    reconnect: { ...DEFAULT_CONFIG.reconnect, ...options.reconnect },
    timeouts: { ...DEFAULT_CONFIG.timeouts, ...options.timeouts },
    browserMemoryLimitMb: options.browserMemoryLimitMb ?? 0,
    pairingPhoneNumber: options.pairingPhoneNumber ?? null,
    pairingCodeIntervalMs: options.pairingCodeIntervalMs ?? 180_000,
  };

  const supervisor = new SessionSupervisor({
    config,
    createClient: factory.create,
    guard,
    metadata,
    initialMetadata: metadata.data,
    store,
    clock,
    logger,
    random: options.random ?? (() => 0.5),
    onQr: options.onQr ?? ((qr) => void qrs.push(qr)),
    onCode: (code) => void codes.push(code),
    ...(options.browserMemory ? { measureBrowserMemory: options.browserMemory } : {}),
  });
  supervisor.addMessageSink((message) => void messages.push(message));
  let last = supervisor.snapshot().state;
  supervisor.subscribe((snapshot) => {
    snapshots.push(snapshot);
    if (snapshot.state !== last) transitions.push(`${last} → ${snapshot.state}`);
    last = snapshot.state;
  });

  const harness = {
    supervisor,
    clock,
    factory,
    guard,
    metadata,
    store,
    logger,
    journal,
    config,
    qrs,
    codes,
    messages,
    snapshots,
    transitions,
    state: () => supervisor.snapshot().state,
    snap: () => supervisor.snapshot(),
    flush,
    /** start() and let the first launch happen. */
    async start(): Promise<FakeWaClient> {
      await supervisor.start();
      await flush();
      return factory.latest();
    },
    /** Start, scan, log in: ends in `ready` on client #1. */
    async pairFresh(): Promise<FakeWaClient> {
      const client = await harness.start();
      client.qr();
      client.authenticated();
      client.ready(ME);
      await flush();
      return client;
    },
    /** The latest client logs in with the saved session: ends in `ready`. */
    async loginLatest(me: typeof ME | null = ME): Promise<FakeWaClient> {
      const client = factory.latest();
      client.authenticated();
      client.ready(me);
      await flush();
      return client;
    },
  };
  return harness;
}

export type Harness = ReturnType<typeof createHarness>;
