import type { ProfileGuard } from '../../src/chromium/profile-guard';
import type { SessionInfo, SessionInspector } from '../../src/storage/session-info';
import type { SessionMetadata } from '../../src/storage/session-metadata';
import type { MetadataPort } from '../../src/session/session-supervisor';
import { Journal } from './fake-wa-client';

/** A ProfileGuard that counts its calls and can be told to fail. */
export class FakeGuard implements ProfileGuard {
  prepareCalls = 0;
  killLeftoversCalls = 0;
  wipeCalls = 0;
  prepareError: unknown = null;
  killLeftoversError: unknown = null;
  wipeError: unknown = null;
  /** prepare() waits for this first (a slow profile cleanup), when set. */
  prepareGate: Promise<void> | null = null;
  /** What killLeftovers does (e.g. end the browsers of retired fake clients); returns how many. */
  onKillLeftovers: () => number = () => 0;

  constructor(private readonly journal: Journal = new Journal()) {}

  async prepare(): Promise<void> {
    this.prepareCalls++;
    this.journal.record('guard.prepare');
    if (this.prepareGate) await this.prepareGate;
    if (this.prepareError !== null) throw this.prepareError;
  }

  async killLeftovers(): Promise<number> {
    this.killLeftoversCalls++;
    this.journal.record('guard.killLeftovers');
    if (this.killLeftoversError !== null) throw this.killLeftoversError;
    return this.onKillLeftovers();
  }

  async wipe(): Promise<void> {
    this.wipeCalls++;
    this.journal.record('guard.wipe');
    if (this.wipeError !== null) throw this.wipeError;
  }
}

export const EMPTY: SessionMetadata = Object.freeze({
  pairedAt: null,
  me: null,
  lastReadyAt: null,
  lastLoggedOutAt: null,
  logoutReason: null,
});

/** The metadata file, in memory. Keeps every patch it was given. */
export class FakeMetadata implements MetadataPort {
  data: SessionMetadata;
  readonly patches: Array<Partial<SessionMetadata>> = [];
  readCalls = 0;
  readError: unknown = null;
  updateError: unknown = null;

  constructor(initial: Partial<SessionMetadata> = {}) {
    this.data = { ...EMPTY, ...initial };
  }

  async read(): Promise<SessionMetadata> {
    this.readCalls++;
    if (this.readError !== null) throw this.readError;
    return { ...this.data };
  }

  async update(patch: Partial<SessionMetadata>): Promise<SessionMetadata> {
    if (this.updateError !== null) throw this.updateError;
    this.patches.push(patch);
    this.data = { ...this.data, ...patch };
    return { ...this.data };
  }
}

export class FakeInspector implements SessionInspector {
  refreshCalls = 0;
  info: SessionInfo = {
    exists: true,
    lastModified: new Date(0),
    size: 1024,
    files: 3,
    path: '/tmp/fake-auth/session-test',
    checkedAt: new Date(0),
  };

  current(): SessionInfo {
    return this.info;
  }

  async refresh(): Promise<SessionInfo> {
    this.refreshCalls++;
    return this.info;
  }
}
