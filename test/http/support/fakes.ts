import type { Logger } from '../../../src/logging/logger';
import type { SessionInfo, SessionInspector } from '../../../src/storage/session-info';
import type { ClearResult, SessionControl, SessionCounters, SessionSnapshot } from '../../../src/session/session-state';

export const T0 = new Date('2025-01-02T03:04:05.000Z');
export const QR_PAYLOAD = '2@SECRETqrPayloadThatMustNeverLeak,abcDEF123=,ghiJKL456=,mnoPQR789=';

export function makeSnapshot(overrides: Partial<SessionSnapshot> = {}): SessionSnapshot {
  return {
    state: 'starting',
    since: T0,
    me: null,
    qr: null,
    sessionExpired: false,
    message: 'Starting WhatsApp Web.',
    reconnectAttempt: 0,
    nextRetryAt: null,
    lastError: null,
    ...overrides,
  };
}

export const READY: Partial<SessionSnapshot> = {
  state: 'ready',
  me: { id: '15550001111', name: 'Sim Phone' },
  message: 'Connected as Sim Phone (+15550001111).',
};

export const WITH_QR: Partial<SessionSnapshot> = {
  state: 'qr',
  qr: { payload: QR_PAYLOAD, issuedAt: new Date('2025-01-02T03:05:00.000Z') },
  message: 'Waiting for a phone to scan the QR.',
};

/** A session whose snapshot the test sets and whose clear() the test controls. */
export class FakeSession implements SessionControl {
  private current: SessionSnapshot;
  private readonly listeners = new Set<(snapshot: SessionSnapshot) => void>();
  clearCalls = 0;
  clearImpl: () => Promise<ClearResult> = async () => ({ loggedOut: true, wiped: true });

  constructor(overrides: Partial<SessionSnapshot> = {}) {
    this.current = makeSnapshot(overrides);
  }

  snapshot(): SessionSnapshot {
    return this.current;
  }

  counters(): SessionCounters {
    return { undecryptableMessages: 0 };
  }

  /** Replaces the snapshot and tells every subscriber, like the supervisor does. */
  set(overrides: Partial<SessionSnapshot>): void {
    this.current = makeSnapshot({ ...this.current, ...overrides });
    for (const listener of [...this.listeners]) listener(this.current);
  }

  subscribe(listener: (snapshot: SessionSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  clear(): Promise<ClearResult> {
    this.clearCalls += 1;
    return this.clearImpl();
  }
}

/** current() answers from a field; refresh() throws, so any request that walks the disk fails loudly. */
export class FakeInspector implements SessionInspector {
  currentCalls = 0;
  info: SessionInfo = {
    exists: true,
    lastModified: new Date('2025-01-01T10:00:00.000Z'),
    size: 12_345_678,
    files: 321,
    path: '/data/auth/session-test-bot',
    checkedAt: new Date('2025-01-02T03:00:00.000Z'),
  };

  current(): SessionInfo {
    this.currentCalls += 1;
    return this.info;
  }

  refresh(): Promise<SessionInfo> {
    throw new Error('refresh() must never run on a request');
  }
}

export interface LogEntry {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly message: string;
  readonly meta: Record<string, unknown>;
}

/** Records every entry, children included, so tests can assert on what was (not) logged. */
export class RecordingLogger implements Logger {
  constructor(
    readonly entries: LogEntry[] = [],
    private readonly bound: Record<string, unknown> = {},
  ) {}

  error(message: string, meta: Record<string, unknown> = {}): void {
    this.entries.push({ level: 'error', message, meta: { ...this.bound, ...meta } });
  }
  warn(message: string, meta: Record<string, unknown> = {}): void {
    this.entries.push({ level: 'warn', message, meta: { ...this.bound, ...meta } });
  }
  info(message: string, meta: Record<string, unknown> = {}): void {
    this.entries.push({ level: 'info', message, meta: { ...this.bound, ...meta } });
  }
  debug(message: string, meta: Record<string, unknown> = {}): void {
    this.entries.push({ level: 'debug', message, meta: { ...this.bound, ...meta } });
  }
  child(meta: Record<string, unknown>): Logger {
    return new RecordingLogger(this.entries, { ...this.bound, ...meta });
  }

  /** Everything logged, as one string, for "never logs X" checks. */
  text(): string {
    return JSON.stringify(this.entries);
  }
}
