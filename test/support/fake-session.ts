import { type ClearResult, emptyCounters, type SessionControl, type SessionCounters, type SessionSnapshot } from '../../src/session/session-state';

export const T0 = new Date('2025-01-02T03:04:05.000Z');
export const QR_PAYLOAD = '2@SECRETqrPayloadThatMustNeverLeak,abcDEF123=,ghiJKL456=,mnoPQR789=';

export function makeSnapshot(overrides: Partial<SessionSnapshot> = {}): SessionSnapshot {
  return {
    state: 'starting',
    since: T0,
    me: null,
    qr: null,
    code: null,
    pairing: { method: 'qr', phoneNumber: null, retryAt: null },
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

export const CODE = 'K7QW2M9P';

export const WITH_CODE: Partial<SessionSnapshot> = {
  state: 'qr',
  qr: null,
  code: { value: CODE, phoneNumber: '15550001111', issuedAt: new Date('2025-01-02T03:05:00.000Z'), expiresAt: new Date('2025-01-02T03:08:00.000Z') },
  pairing: { method: 'code', phoneNumber: '15550001111', retryAt: null },
  message: 'Type the pairing code for +15550001111 on the phone.',
};

/** A session whose snapshot the test sets and whose clear() the test controls. */
export class FakeSession implements SessionControl {
  private current: SessionSnapshot;
  private readonly listeners = new Set<(snapshot: SessionSnapshot) => void>();
  clearCalls = 0;
  /** What counters() answers; tests replace it. */
  countersValue: SessionCounters = emptyCounters();
  clearImpl: () => Promise<ClearResult> = async () => ({ loggedOut: true, wiped: true });

  constructor(overrides: Partial<SessionSnapshot> = {}) {
    this.current = makeSnapshot(overrides);
  }

  snapshot(): SessionSnapshot {
    return this.current;
  }

  counters(): SessionCounters {
    return this.countersValue;
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

  /** Every number a code was asked for, in order. */
  readonly codeRequests: string[] = [];
  codeImpl: (phoneNumber: string) => Promise<'requested' | 'restarting'> = async () => 'restarting';
  qrRequests = 0;

  requestPairingCode(phoneNumber: string): Promise<'requested' | 'restarting'> {
    this.codeRequests.push(phoneNumber);
    return this.codeImpl(phoneNumber);
  }

  usePairingQr(): Promise<'unchanged' | 'restarting'> {
    this.qrRequests += 1;
    return Promise.resolve('restarting');
  }
}
