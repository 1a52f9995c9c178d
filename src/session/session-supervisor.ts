import { AppError, describeError } from '../errors';
import type { Logger } from '../logging/logger';
import type { Config } from '../config/config';
import { computeBackoff } from './backoff';
import { isClientGoneError } from '../whatsapp/client-gone';
import type { Clock, TimerHandle } from './clock';
import type { ProfileGuard } from '../chromium/profile-guard';
import type { SessionInspector } from '../storage/session-info';
import type { SessionMetadata } from '../storage/session-metadata';
import type {
  ClearResult,
  CurrentQr,
  PairedAccount,
  SessionControl,
  SessionCounters,
  SessionSnapshot,
  SessionState,
} from './session-state';
import type { IncomingMessage, WaClient, WaClientEvent, WaClientFactory } from '../whatsapp/wa-client';
import { settleWithin, withTimeout } from './with-timeout';

/** How the supervisor reads and records the metadata file (SessionMetadataStore in production). */
export interface MetadataPort {
  read(): Promise<SessionMetadata>;
  update(patch: Partial<SessionMetadata>): Promise<SessionMetadata>;
}

/** Bounds on teardown steps: a hung browser must not hold up a clear or a shutdown. */
const DESTROY_TIMEOUT_MS = 5_000;
const INIT_SETTLE_TIMEOUT_MS = 10_000;
const LOGOUT_TIMEOUT_MS = 10_000;
/** `initialize()` failures no retry can fix. */
const PERMANENT_START_FAILURES: ReadonlySet<string> = new Set(['WEB_VERSION_UNAVAILABLE']);
/** States in which the watchdog probes the page. */
const WATCHED_STATES: ReadonlySet<SessionState> = new Set(['qr', 'ready']);

export interface SupervisorDeps {
  readonly config: Pick<Config, 'reconnect' | 'timeouts' | 'browserMemoryLimitMb'>;
  readonly createClient: WaClientFactory;
  readonly guard: ProfileGuard;
  readonly metadata: MetadataPort;
  readonly inspector: SessionInspector;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random?: () => number;
  /** Messages that arrive while `ready`. */
  readonly onMessage?: (message: IncomingMessage) => void;
  /** Every new QR, e.g. to print it to the log. */
  readonly onQr?: (qr: CurrentQr) => void;
  /** Bytes the browser's processes use; read by the watchdog when a memory limit is set. */
  readonly measureBrowserMemory?: () => Promise<number>;
}

/** The client in use, tagged with the generation its events must carry to count. */
interface ClientHandle {
  readonly client: WaClient;
  readonly generation: number;
  readonly initialized: Promise<void>;
  /** `initialize()` has settled: a destroy now reaches the browser it launched, if any. */
  initSettled: boolean;
  /** This client reached `authenticated` or `ready`: a later QR means the session is gone. */
  wasAuthenticated: boolean;
}

type Patch = Partial<Omit<SessionSnapshot, 'state' | 'since'>>;

/**
 * Owns the WhatsApp client and its lifecycle as the explicit state machine of DESIGN.md
 * section 1. Everything else reads `snapshot()` and asks it to act.
 *
 * Two rules keep it sane under concurrency:
 * - every client carries a generation; an event from an older generation is ignored, so a
 *   client being torn down can never move the state;
 * - operations that replace the client (launch, reconnect, logout, clear, stop) run one at
 *   a time on a queue, so there is never more than one browser.
 */
export class SessionSupervisor implements SessionControl {
  private snap: SessionSnapshot;
  private readonly listeners = new Set<(snapshot: SessionSnapshot) => void>();
  private current: ClientHandle | null = null;
  private generation = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private startPromise: Promise<void> | null = null;
  private stopPromise: Promise<void> | null = null;
  private clearPromise: Promise<ClearResult> | null = null;
  private stopping = false;
  private pairedAt: string | null = null;
  private undecryptableMessages = 0;
  private readonly timers = new Map<'start' | 'ready' | 'watchdog' | 'retry', TimerHandle>();
  private readonly log: Logger;
  private readonly random: () => number;

  constructor(private readonly deps: SupervisorDeps) {
    this.log = deps.logger.child({ component: 'session' });
    this.random = deps.random ?? Math.random;
    this.snap = {
      state: 'starting',
      since: new Date(deps.clock.now()),
      me: null,
      qr: null,
      sessionExpired: false,
      message: 'Starting: launching the browser.',
      reconnectAttempt: 0,
      nextRetryAt: null,
      lastError: null,
    };
  }

  snapshot(): SessionSnapshot {
    return this.snap;
  }

  counters(): SessionCounters {
    return { undecryptableMessages: this.undecryptableMessages };
  }

  subscribe(listener: (snapshot: SessionSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the metadata, then launches the first client. Idempotent: every call shares one start. */
  start(): Promise<void> {
    this.startPromise ??= this.enqueue(async () => {
      const metadata = await this.deps.metadata.read();
      this.pairedAt = metadata.pairedAt;
      if (metadata.me && this.snap.state === 'starting') this.update(this.snap.state, { me: metadata.me });
      // A clear that arrived before start (HTTP is up first) has launched a client already.
      if (this.current === null && this.snap.state === 'starting') await this.launch('start');
    });
    return this.startPromise;
  }

  /**
   * Closes the browser keeping the session (destroy, never logout). Idempotent. Does not
   * wait for queued operations: they see `stopping` and give up.
   */
  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      this.stopping = true;
      this.cancelTimers();
      this.transition('stopping', { qr: null, message: 'Shutting down: closing the browser, keeping the session.' });
      // Half the shutdown budget for a polite close; what is left of it ends Chromium by
      // process, so none outlives us (puppeteer starts it detached) before main's hard exit.
      const budget = Math.floor(this.deps.config.timeouts.shutdownMs / 2);
      const { clock } = this.deps;
      await settleWithin(this.teardown(this.detach()), budget, clock);
      // A queued operation may be tearing down an older client right now.
      await settleWithin(this.queue, Math.min(1_000, budget), clock);
      await this.deps.guard.killLeftovers().catch(() => 0);
    })();
    return this.stopPromise;
  }

  clear(): Promise<ClearResult> {
    if (this.stopping) {
      return Promise.reject(new AppError('SHUTTING_DOWN', 'The daemon is shutting down; clear the session after it restarts.'));
    }
    this.clearPromise ??= this.enqueue(() => this.clearNow()).finally(() => {
      this.clearPromise = null;
    });
    return this.clearPromise;
  }

  /**
   * An error that escaped the library somewhere we could not catch it at its source (the
   * process-level safety net). A "client gone" error makes us probe the page now.
   */
  reportStrayError(error: unknown): void {
    if (!isClientGoneError(error)) {
      this.log.error('Unexpected error outside any request', { error: describeError(error) });
      return;
    }
    this.log.warn('The browser or page went away under a library call; checking the page now', {
      error: describeError(error),
    });
    const handle = this.current;
    if (handle && WATCHED_STATES.has(this.snap.state)) void this.probe(handle);
  }

  // ---- launching and replacing clients -------------------------------------------------

  private async launch(reason: string): Promise<void> {
    if (this.stopping) return;
    this.cancelTimers();
    this.transition('starting', {
      qr: null,
      nextRetryAt: null,
      message: reason === 'start' ? 'Starting: launching the browser.' : `Starting (${reason}).`,
    });
    try {
      await this.deps.guard.prepare();
    } catch (error) {
      this.log.warn('Could not clean the profile before launch; launching anyway', { error: describeError(error) });
    }
    if (this.stopping) return;

    const generation = ++this.generation;
    let client: WaClient;
    try {
      client = this.deps.createClient();
    } catch (error) {
      // The factory only throws for what no retry can fix (no browser, bad options).
      this.transition('failed', { message: `Cannot create the WhatsApp client: ${describeError(error)}`, lastError: describeError(error) });
      return;
    }
    client.onEvent((event) => this.onClientEvent(generation, event));
    const initialized = client
      .initialize()
      .catch((error: unknown) => this.onClientFailure(generation, error))
      .finally(() => {
        handle.initSettled = true;
      });
    const handle: ClientHandle = { client, generation, initialized, initSettled: false, wasAuthenticated: false };
    this.current = handle;
    this.arm('start', this.deps.config.timeouts.startMs, () =>
      this.connectionLost(generation, `no QR and no login within ${this.deps.config.timeouts.startMs} ms of launch`),
    );
  }

  /** Takes the current client out of service: its events stop counting from here on. */
  private detach(): ClientHandle | null {
    const handle = this.current;
    this.current = null;
    this.generation++;
    return handle;
  }

  /**
   * Closes a client's browser for good: destroy; if `initialize()` was still under way, wait
   * for it (it may launch a browser after our destroy) and destroy again; then end any
   * Chromium still holding the profile. Every step bounded; never throws.
   */
  private async teardown(handle: ClientHandle | null): Promise<void> {
    if (!handle) return;
    const { clock } = this.deps;
    const destroy = async (): Promise<void> => {
      try {
        await withTimeout(handle.client.destroy(), DESTROY_TIMEOUT_MS, clock, 'destroy');
      } catch (error) {
        this.log.debug('destroy() failed; the browser is ended by process below', { error: describeError(error) });
      }
    };
    const launching = !handle.initSettled;
    await destroy();
    if (launching) {
      // initialize() may launch its browser after our destroy(): close that one too.
      if (await settleWithin(handle.initialized, INIT_SETTLE_TIMEOUT_MS, clock)) {
        await destroy();
      } else {
        void handle.initialized.then(destroy);
      }
    }
    try {
      const ended = await this.deps.guard.killLeftovers();
      if (ended > 0) this.log.warn(`Ended ${ended} Chromium processes that outlived destroy()`);
    } catch (error) {
      this.log.warn('Could not check for leftover Chromium processes', { error: describeError(error) });
    }
  }

  private async clearNow(): Promise<ClearResult> {
    if (this.stopping) {
      throw new AppError('SHUTTING_DOWN', 'The daemon is shutting down; clear the session after it restarts.');
    }
    this.cancelTimers();
    const handle = this.detach();
    const wasLinked = this.snap.state === 'ready' || this.snap.state === 'authenticated';
    this.transition('logged_out', {
      me: null,
      qr: null,
      sessionExpired: false,
      reconnectAttempt: 0,
      nextRetryAt: null,
      message: 'Session cleared by an operator; a fresh QR follows.',
    });

    let loggedOut = false;
    if (handle && wasLinked) {
      try {
        await withTimeout(handle.client.logout(), LOGOUT_TIMEOUT_MS, this.deps.clock, 'logout');
        loggedOut = true;
      } catch (error) {
        // The profile is wiped below either way; the phone may keep showing a stale linked
        // device until WhatsApp expires it.
        this.log.warn('Logout on WhatsApp failed; wiping the local session anyway', { error: describeError(error) });
      }
    }
    await this.teardown(handle);
    try {
      await this.forgetSession('cleared by an operator');
    } catch (error) {
      this.transition('failed', { lastError: describeError(error), message: describeError(error) });
      throw error;
    }
    await this.launch('fresh session after clear');
    return { loggedOut, wiped: true };
  }

  /** Deletes the profile after its browser is gone and records the logout. */
  private async forgetSession(reason: string): Promise<void> {
    try {
      await this.deps.guard.wipe();
    } catch (error) {
      throw new AppError('CLEAR_FAILED', `Could not delete the session folder: ${describeError(error)}. Stop the daemon and delete it by hand.`, {
        cause: error,
      });
    }
    this.pairedAt = null;
    await this.recordMetadata({ pairedAt: null, me: null, lastLoggedOutAt: this.isoNow(), logoutReason: reason });
    void this.deps.inspector.refresh().catch(() => undefined);
  }

  // ---- events from the client ----------------------------------------------------------

  private onClientEvent(generation: number, event: WaClientEvent): void {
    const handle = this.current;
    if (this.stopping || !handle || handle.generation !== generation) {
      if (event.type !== 'message') this.log.debug(`Ignoring '${event.type}' from a retired client`);
      return;
    }
    try {
      this.handleEvent(handle, event);
    } catch (error) {
      this.log.error(`Handling '${event.type}' failed`, { error: describeError(error) });
    }
  }

  private handleEvent(handle: ClientHandle, event: WaClientEvent): void {
    switch (event.type) {
      case 'qr':
        return this.onQr(handle, event.payload);
      case 'authenticated':
        handle.wasAuthenticated = true;
        this.disarm('start');
        this.disarm('watchdog');
        this.transition('authenticated', { qr: null, message: 'Logged in; syncing with the phone.' });
        this.arm('ready', this.deps.config.timeouts.readyMs, () =>
          this.connectionLost(handle.generation, `authenticated but not ready within ${this.deps.config.timeouts.readyMs} ms`),
        );
        return;
      case 'ready':
        return this.onReady(handle, event.me);
      case 'disconnected':
        if (event.reason === 'LOGOUT') {
          return this.loggedOut(handle.generation, 'The phone unlinked this device (LOGOUT).');
        }
        return this.connectionLost(handle.generation, `WhatsApp disconnected (${event.reason})`);
      case 'browser_disconnected':
        return this.connectionLost(handle.generation, 'the browser closed or crashed');
      case 'internal_error':
        return this.onInternalError(handle, event.error);
      case 'auth_failure':
        this.log.warn('WhatsApp rejected the saved session', { reason: event.message });
        return;
      case 'change_state':
        this.log.debug('WhatsApp connection state changed', { waState: event.state });
        return;
      case 'message':
        if (this.snap.state === 'ready') this.deps.onMessage?.(event.message);
        return;
      case 'message_undecryptable':
        this.undecryptableMessages++;
        this.log.warn('A message could not be decrypted and is lost (WhatsApp gave up after asking the phone to resend it)', {
          messageId: event.id,
          chatId: event.chatId,
          total: this.undecryptableMessages,
        });
        return;
    }
  }

  private onQr(handle: ClientHandle, payload: string): void {
    if (handle.wasAuthenticated) {
      // An unlink WhatsApp signalled with no logout event (a reload onto an unpaired page)
      // shows only a new QR: the keys are gone.
      this.loggedOut(handle.generation, 'WhatsApp asked for a new QR after login: the phone unlinked this device.');
      return;
    }
    this.disarm('start');
    const qr: CurrentQr = { payload, issuedAt: new Date(this.deps.clock.now()) };
    const expired = this.snap.sessionExpired || this.pairedAt !== null;
    if (expired && !this.snap.sessionExpired) {
      this.log.warn('The saved session no longer works (expired, or revoked on the phone): scan the new QR to pair again');
      this.pairedAt = null;
      void this.recordMetadata({ pairedAt: null, me: null, logoutReason: 'session expired or revoked' });
    }
    const message = expired
      ? 'The saved session no longer works (expired or revoked on the phone): scan this QR to pair again.'
      : 'Waiting for a phone to scan the QR (WhatsApp > Settings > Linked devices > Link a device).';
    this.transition('qr', { qr, sessionExpired: expired, me: expired ? null : this.snap.me, message });
    // QRs rotate faster than the probe interval: arm once, not on every QR.
    if (!this.timers.has('watchdog')) {
      this.scheduleProbe(handle);
      void this.deps.inspector.refresh().catch(() => undefined);
    }
    try {
      this.deps.onQr?.(qr);
    } catch (error) {
      this.log.warn('Showing the QR in the log failed', { error: describeError(error) });
    }
  }

  private onReady(handle: ClientHandle, me: PairedAccount | null): void {
    handle.wasAuthenticated = true;
    this.disarm('start');
    this.disarm('ready');
    const now = this.isoNow();
    const newlyPaired = this.pairedAt === null;
    if (newlyPaired) this.pairedAt = now;
    const account = me ?? this.snap.me;
    this.transition('ready', {
      me: account,
      qr: null,
      sessionExpired: false,
      reconnectAttempt: 0,
      nextRetryAt: null,
      lastError: null,
      message: account ? `Connected as ${account.name ?? account.id}.` : 'Connected.',
    });
    void this.recordMetadata({ pairedAt: this.pairedAt, me: account, lastReadyAt: now });
    void this.deps.inspector.refresh().catch(() => undefined);
    this.scheduleProbe(handle);
  }

  private onClientFailure(generation: number, error: unknown): void {
    if (this.stopping || this.current?.generation !== generation) return;
    if (error instanceof AppError && PERMANENT_START_FAILURES.has(error.code)) {
      // Retrying cannot help: the operator must change a setting, and health says so (503).
      this.cancelTimers();
      const handle = this.detach();
      this.log.error(error.message);
      this.transition('failed', { qr: null, nextRetryAt: null, lastError: error.message, message: error.message });
      void this.enqueue(() => this.teardown(handle));
      return;
    }
    this.connectionLost(generation, `the client failed to start: ${describeError(error)}`);
  }

  private onInternalError(handle: ClientHandle, error: unknown): void {
    this.log.warn('The library failed inside its own page handler', { error: describeError(error) });
    if (WATCHED_STATES.has(this.snap.state)) void this.probe(handle);
    // In other states the start/ready timers catch a client that stopped moving.
  }

  // ---- leaving a client: logout vs connection loss -------------------------------------

  private loggedOut(generation: number, reason: string): void {
    if (this.current?.generation !== generation) return;
    this.cancelTimers();
    const handle = this.detach();
    this.log.warn(reason);
    this.transition('logged_out', { me: null, qr: null, sessionExpired: false, message: `${reason} A fresh QR follows.` });
    // LocalAuth deletes the profile while this Chromium still has it open; pairing again
    // inside this browser would be lost at the next restart. So: a brand-new client.
    void this.enqueue(async () => {
      await this.teardown(handle);
      if (this.stopping) return;
      await this.forgetSession(reason).catch((error: unknown) =>
        this.log.error('Could not wipe the logged-out session', { error: describeError(error) }),
      );
      await this.launch('fresh session after logout');
    });
  }

  private connectionLost(generation: number, reason: string): void {
    if (this.stopping || this.current?.generation !== generation) return;
    this.cancelTimers();
    const handle = this.detach();
    const attempt = this.snap.reconnectAttempt + 1;
    const { maxAttempts } = this.deps.config.reconnect;
    if (maxAttempts > 0 && attempt > maxAttempts) {
      this.log.error(`Giving up after ${maxAttempts} reconnect attempts: ${reason}`);
      this.transition('failed', {
        qr: null,
        lastError: reason,
        nextRetryAt: null,
        message: `Gave up after ${maxAttempts} reconnect attempts (last: ${reason}). Restart the process.`,
      });
      void this.enqueue(() => this.teardown(handle));
      return;
    }
    const delay = computeBackoff(attempt, this.deps.config.reconnect, this.random);
    const nextRetryAt = new Date(this.deps.clock.now() + delay);
    this.log.warn(`Connection lost (${reason}); reconnecting in ${delay} ms, keeping the session`, { attempt });
    this.transition('reconnecting', {
      qr: null,
      reconnectAttempt: attempt,
      nextRetryAt,
      lastError: reason,
      message: `Connection lost (${reason}). Reconnecting, attempt ${attempt}; the session is kept.`,
    });
    void this.enqueue(async () => {
      await this.teardown(handle);
      if (this.stopping || this.snap.state !== 'reconnecting') return;
      this.arm('retry', Math.max(0, nextRetryAt.getTime() - this.deps.clock.now()), () => {
        void this.enqueue(() => this.launch(`reconnect attempt ${attempt}`));
      });
    });
  }

  // ---- watchdog ------------------------------------------------------------------------

  private scheduleProbe(handle: ClientHandle): void {
    this.arm('watchdog', this.deps.config.timeouts.watchdogIntervalMs, () => void this.probe(handle));
  }

  /**
   * Asks the page for its state; no answer in time means it stopped answering. Runs while
   * `ready` and while showing a QR (a frozen page would otherwise show a dead QR forever).
   * Before login the page answers 'UNPAIRED', which is no problem; a page with no socket
   * state at all (null) only counts against `ready`.
   */
  private async probe(handle: ClientHandle): Promise<void> {
    const { watchdogTimeoutMs } = this.deps.config.timeouts;
    let problem: string | null = null;
    try {
      const state = await withTimeout(handle.client.getState(), watchdogTimeoutMs, this.deps.clock, 'getState()');
      if (state === null && this.snap.state === 'ready') problem = 'the page lost its WhatsApp socket';
    } catch (error) {
      problem = `the page stopped answering (${describeError(error)})`;
    }
    problem ??= await this.checkMemory();
    if (this.current !== handle || !WATCHED_STATES.has(this.snap.state)) return;
    if (problem) {
      this.connectionLost(handle.generation, problem);
      return;
    }
    this.scheduleProbe(handle);
  }

  /** Over the memory limit: restart the browser, keeping the session (a reconnect). */
  private async checkMemory(): Promise<string | null> {
    const limitMb = this.deps.config.browserMemoryLimitMb;
    const measure = this.deps.measureBrowserMemory;
    if (limitMb <= 0 || !measure || this.snap.state !== 'ready') return null;
    try {
      const usedMb = Math.round((await measure()) / 1024 / 1024);
      return usedMb > limitMb ? `the browser uses ${usedMb} MB, over BROWSER_MEMORY_LIMIT_MB=${limitMb}` : null;
    } catch (error) {
      this.log.debug('Could not measure the browser memory', { error: describeError(error) });
      return null;
    }
  }

  // ---- plumbing ------------------------------------------------------------------------

  private transition(state: SessionState, patch: Patch): void {
    const previous = this.snap.state;
    this.update(state, patch);
    // `event`, `from` and `to` are for machines (tests, log pipelines); the text is for people.
    if (previous !== state) this.log.info(`Session ${previous} -> ${state}: ${this.snap.message}`, { event: 'session.transition', from: previous, to: state });
  }

  private update(state: SessionState, patch: Patch): void {
    const since = state === this.snap.state ? this.snap.since : new Date(this.deps.clock.now());
    this.snap = Object.freeze({ ...this.snap, ...patch, state, since });
    for (const listener of this.listeners) {
      try {
        listener(this.snap);
      } catch (error) {
        this.log.warn('A session listener failed', { error: describeError(error) });
      }
    }
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private arm(name: 'start' | 'ready' | 'watchdog' | 'retry', ms: number, callback: () => void): void {
    this.disarm(name);
    this.timers.set(
      name,
      this.deps.clock.setTimeout(() => {
        this.timers.delete(name);
        callback();
      }, ms),
    );
  }

  private disarm(name: 'start' | 'ready' | 'watchdog' | 'retry'): void {
    const timer = this.timers.get(name);
    if (timer) this.deps.clock.clearTimeout(timer);
    this.timers.delete(name);
  }

  private cancelTimers(): void {
    for (const timer of this.timers.values()) this.deps.clock.clearTimeout(timer);
    this.timers.clear();
  }

  private async recordMetadata(patch: Partial<SessionMetadata>): Promise<void> {
    try {
      await this.deps.metadata.update(patch);
    } catch (error) {
      this.log.warn('Could not write the session metadata file', { error: describeError(error) });
    }
  }

  private isoNow(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }
}
