import type { ProfileGuard } from '../../src/chromium/profile-guard';
import type { SessionInfo, SessionStore } from '../../src/storage/session-info';
import { EMPTY_METADATA, type SessionMetadata } from '../../src/storage/session-metadata';
import type { MetadataPort } from '../../src/session/pairing-record';
import { Journal } from './fake-wa-client';

/** A ProfileGuard that counts its calls and can be told to fail. */
export class FakeGuard implements ProfileGuard {
  prepareCalls = 0;
  killLeftoversCalls = 0;
  prepareError: unknown = null;
  killLeftoversError: unknown = null;
  /** prepare() waits for this first (a slow profile cleanup), when set. */
  prepareGate: Promise<void> | null = null;
  /** What killLeftovers does (e.g. end the browsers of retired fake clients); returns how many. */
  onKillLeftovers: () => number = () => 0;

  constructor(private readonly journal: Journal = new Journal()) {}

  async prepare(): Promise<void> {
    this.prepareCalls++;
    this.journal.record('guard.prepare');
    if (this.prepareGate) await this.prepareGate;
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a fake fails with whatever the test chose: whatsapp-web.js rejects with strings too
    if (this.prepareError !== null) throw this.prepareError;
  }

  async killLeftovers(): Promise<number> {
    this.killLeftoversCalls++;
    this.journal.record('guard.killLeftovers');
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a fake fails with whatever the test chose: whatsapp-web.js rejects with strings too
    if (this.killLeftoversError !== null) throw this.killLeftoversError;
    return this.onKillLeftovers();
  }
}

/** The metadata file, in memory. Keeps every patch it was given. */
export class FakeMetadata implements MetadataPort {
  data: SessionMetadata;
  readonly patches: Array<Partial<SessionMetadata>> = [];
  updateError: unknown = null;

  constructor(initial: Partial<SessionMetadata> = {}) {
    this.data = { ...EMPTY_METADATA, ...initial };
  }

  async update(patch: Partial<SessionMetadata>): Promise<SessionMetadata> {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a fake fails with whatever the test chose: whatsapp-web.js rejects with strings too
    if (this.updateError !== null) throw this.updateError;
    this.patches.push(patch);
    this.data = { ...this.data, ...patch };
    return { ...this.data };
  }
}

export const SAVED_SESSION: SessionInfo = Object.freeze({
  exists: true,
  lastModified: new Date('2025-01-01T10:00:00.000Z'),
  size: 12_345_678,
  path: '/data/auth/session-test-bot',
  checkedAt: new Date('2025-01-02T03:00:00.000Z'),
});

/**
 * The saved session, in memory: `info` is what `current()` answers. With `refreshForbidden`
 * a `refresh()` throws, so a request that would walk the disk fails loudly.
 */
export class FakeSessionStore implements SessionStore {
  info: SessionInfo = SAVED_SESSION;
  currentCalls = 0;
  refreshCalls = 0;
  wipeCalls = 0;
  wipeError: unknown = null;
  refreshForbidden = false;

  constructor(private readonly journal: Journal = new Journal()) {}

  current(): SessionInfo {
    this.currentCalls++;
    return this.info;
  }

  async refresh(): Promise<SessionInfo> {
    if (this.refreshForbidden) throw new Error('refresh() must never run on a request');
    this.refreshCalls++;
    return this.info;
  }

  async wipe(): Promise<void> {
    this.wipeCalls++;
    this.journal.record('store.wipe');
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- a fake fails with whatever the test chose: whatsapp-web.js rejects with strings too
    if (this.wipeError !== null) throw this.wipeError;
    this.info = { ...this.info, exists: false, lastModified: null, size: 0 };
  }
}
