import { computeBackoff } from '../common/backoff';
import { SerialQueue } from '../common/serial-queue';
import { settleWithin } from '../common/with-timeout';
import { AppError, describeError } from '../errors';
import type { Logger } from '../logging/logger';
import type { WaClient, WaClientEvent } from '../whatsapp/wa-client';
import { ClientSlot } from './client-slot';
import type { ClientHandle } from './client-teardown';
import { MessageTraffic } from './message-traffic';
import { PairingRecord } from './pairing-record';
import { NamedTimers } from './named-timers';
import { MAX_UNUSED_CODES, PairingCodeBudget } from './pairing-code-budget';
import { type ClearResult, type CurrentCode, type CurrentQr, emptyCounters, type PairedAccount, type PairingMode, type ReconnectCause } from './session-state';
import type { SessionCounters, SessionState } from './session-state';
import { SessionReset } from './session-reset';
import { StateHolder } from './state-holder';
import type { SessionMetadata } from '../storage/session-metadata';
import type { SupervisorDeps } from './supervisor-deps';
import { Watchdog } from './watchdog';

/** `initialize()` failures no retry can fix. */
const PERMANENT_START_FAILURES: ReadonlySet<string> = new Set(['WEB_VERSION_UNAVAILABLE']);
/** A code not replaced this long after it ran out: the page stopped asking, so we ask. */
const CODE_GRACE_MS = 10_000;
/** How long WhatsApp accepts a pairing code. */
const CODE_LIFETIME_MS = 180_000;
const HOW_TO_TYPE_A_CODE = 'on the phone: WhatsApp > Settings > Linked devices > Link a device > Link with phone number instead';

/** States in which the watchdog probes the page. */
export const WATCHED_STATES: ReadonlySet<SessionState> = new Set(['qr', 'ready']);

/** The counters this class keeps (the message counts are `MessageTraffic`'s). */
type Totals = {
  -readonly [K in Exclude<keyof SessionCounters, 'messagesReceived' | 'undecryptableMessages'>]: SessionCounters[K] extends number
    ? number
    : Record<ReconnectCause, number>;
};

/**
 * The session's state machine: how each client event, timer and failure moves the state, with
 * the edges checked against `transitions.ts`. Operations that replace the client (launch,
 * reconnect, logout, clear, stop) run one at a time on `queue`, so there is never more than one
 * browser. `SessionSupervisor` is its public face.
 */
export class SessionLifecycle {
  readonly holder: StateHolder;
  readonly slot: ClientSlot;
  readonly traffic: MessageTraffic;
  readonly watchdog: Watchdog;
  readonly queue = new SerialQueue();
  readonly totals: Totals = emptyCounters();
  private readonly pairing: PairingRecord;
  private readonly reset: SessionReset;
  private readonly timers: NamedTimers<'start' | 'ready' | 'watchdog' | 'retry' | 'code'>;
  private readonly codes = new PairingCodeBudget();
  /** The number to pair by code when WhatsApp asks; null: by QR. An operator may change it. */
  private pairingPhone: string | null;
  /** What the client in service was made with. */
  private launchedPhone: string | null = null;
  private readonly log: Logger;
  private readonly random: () => number;
  private stopping = false;

  constructor(private readonly deps: SupervisorDeps) {
    this.log = deps.logger.child({ component: 'session' });
    this.random = deps.random ?? Math.random;
    this.timers = new NamedTimers(deps.clock);
    this.slot = new ClientSlot({ clock: deps.clock, guard: deps.guard, log: this.log });
    this.pairing = new PairingRecord(deps.initialMetadata, deps.metadata, deps.clock, this.log);
    this.traffic = new MessageTraffic(this.log);
    this.watchdog = new Watchdog({
      clock: deps.clock,
      log: this.log,
      intervalMs: deps.config.timeouts.watchdogIntervalMs,
      timeoutMs: deps.config.timeouts.watchdogTimeoutMs,
      memoryLimitMb: deps.config.browserMemoryLimitMb,
      ...(deps.measureBrowserMemory ? { measureMemory: deps.measureBrowserMemory } : {}),
      timers: this.timers,
      watching: (client) => ({
        watched: this.slot.handle?.client === client && WATCHED_STATES.has(this.holder.state),
        ready: this.holder.state === 'ready',
      }),
      onFailure: (client, failure) => {
        const handle = this.slot.handle;
        if (handle?.client !== client) return;
        if (failure.kind === 'watchdog') this.totals.watchdogFailures++;
        this.connectionLost(handle, failure.kind, failure.reason);
      },
    });
    this.pairingPhone = deps.config.pairingPhoneNumber ?? null;
    this.reset = new SessionReset({ slot: this.slot, pairing: this.pairing, guard: deps.guard, store: deps.store, clock: deps.clock, log: this.log });
    const initial = { state: 'starting', me: deps.initialMetadata.me, qr: null, code: null, pairing: this.pairingMode(), sessionExpired: false, reconnectAttempt: 0 } as const;
    this.holder = new StateHolder({ ...initial, message: 'Starting: launching the browser.', nextRetryAt: null, lastError: null }, deps.clock, this.log);
  }

  /** True until the first client is launched: only then may the start be held back or re-described. */
  get notLaunched(): boolean {
    return this.slot.handle === null && this.holder.state === 'starting' && !this.stopping;
  }

  /** Before the first launch: who is paired according to the record restored from another host. */
  adoptMetadata(metadata: SessionMetadata): void {
    if (!this.notLaunched) return;
    this.pairing.adopt(metadata);
    this.holder.move('starting', { me: metadata.me });
  }

  /** Before the first launch: what the start waits for (the lease, the database). */
  describeWait(message: string): void {
    if (this.notLaunched) this.holder.move('starting', { message });
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  private pairingMode(): PairingMode {
    const retryAt = this.codes.retryAt(this.deps.clock.now());
    return { method: this.pairingPhone === null ? 'qr' : 'code', phoneNumber: this.pairingPhone, retryAt: retryAt === null ? null : new Date(retryAt) };
  }

  /** Closes the browser keeping the session (destroy, never logout); queued operations give up. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    this.timers.cancelAll();
    this.holder.move('stopping', { qr: null, message: 'Shutting down: closing the browser, keeping the session.' });
    // Half the shutdown budget for a polite close; what is left of it ends Chromium by
    // process, so none outlives us (puppeteer starts it detached) before main's hard exit.
    const budget = Math.floor(this.deps.config.timeouts.shutdownMs / 2);
    await settleWithin(this.slot.close(this.slot.detach()), budget, this.deps.clock);
    // A queued operation may be tearing down an older client right now.
    await settleWithin(this.queue.idle(), Math.min(1_000, budget), this.deps.clock);
    await this.deps.guard.killLeftovers().catch(() => 0);
  }

  // ---- launching and replacing clients -------------------------------------------------

  async launch(reason: string): Promise<void> {
    if (this.stopping) return;
    this.timers.cancelAll();
    // A client made for a code asks WhatsApp for one at once: during the wait WhatsApp asked
    // for, a new client (after a logout, a clear, a reconnect while unpaired) waits too.
    const waitUntil = this.pairingPhone === null ? null : this.codes.retryAt(this.deps.clock.now());
    if (waitUntil !== null) {
      const at = new Date(waitUntil).toISOString();
      if (!this.holder.move('starting', { qr: null, code: null, pairing: this.pairingMode(), nextRetryAt: new Date(waitUntil), message: `Waiting until ${at} before asking WhatsApp for a pairing code again (it refused one: too many attempts).` })) return;
      this.timers.arm('retry', waitUntil - this.deps.clock.now(), () => void this.queue.run(() => this.launch(reason)));
      return;
    }
    const message = reason === 'start' ? 'Starting: launching the browser.' : `Starting (${reason}).`;
    if (!this.holder.move('starting', { qr: null, code: null, pairing: this.pairingMode(), nextRetryAt: null, message })) return;
    await this.deps.guard.prepare().catch((error: unknown) => {
      this.log.warn('Could not clean the profile before launch; launching anyway', { error: describeError(error) });
    });
    if (this.stopping) return;
    let client: WaClient;
    try {
      client = await this.deps.createClient({ pairingPhoneNumber: this.pairingPhone });
    } catch (error) {
      // The factory only fails for what no retry can fix (no browser, bad options).
      const message = `Cannot create the WhatsApp client: ${describeError(error)}`;
      this.log.error(message);
      this.fail(message, null);
      return;
    }
    if (this.stopping) return;
    this.launchedPhone = this.pairingPhone;
    const handle = this.slot.install(client, (h, event) => this.onClientEvent(h, event), (h, error) => this.onStartFailure(h, error));
    const { startMs } = this.deps.config.timeouts;
    this.timers.arm('start', startMs, () => this.connectionLost(handle, 'start_timeout', `no QR and no login within ${startMs} ms of launch`));
  }

  async clearNow(): Promise<ClearResult> {
    if (this.stopping) throw shuttingDown();
    this.timers.cancelAll();
    const handle = this.slot.detach();
    const linked = this.holder.state === 'ready' || this.holder.state === 'authenticated';
    this.totals.clears++;
    const cleared = { me: null, qr: null, sessionExpired: false, reconnectAttempt: 0, nextRetryAt: null };
    this.holder.move('logged_out', { ...cleared, message: 'Session cleared by an operator; a fresh QR follows.' });
    let result: ClearResult;
    try {
      result = await this.reset.clear(handle, linked);
    } catch (error) {
      this.holder.move('failed', { lastError: describeError(error), message: describeError(error) });
      throw error;
    }
    await this.launch('fresh session after clear');
    return result;
  }

  /**
   * Pair by a code for `phoneNumber` (queued by the supervisor). Only while WhatsApp waits to be
   * paired: asking for a code for a linked number has been followed by WhatsApp revoking the
   * device. A client made for a QR is replaced (asking it for a code can hang in 1.34.7).
   */
  async askForCode(phoneNumber: string): Promise<'requested' | 'restarting'> {
    const handle = this.slot.handle;
    if (this.stopping) throw shuttingDown();
    if (this.holder.state !== 'qr' || handle === null || handle.wasAuthenticated) throw notWaitingForPairing(this.holder.state);
    const retryAt = this.codes.retryAt(this.deps.clock.now());
    if (retryAt !== null) throw tooManyCodes(retryAt);
    this.codes.reset();
    if (this.launchedPhone === phoneNumber) {
      this.timers.disarm('code');
      void handle.client.requestPairingCode(phoneNumber);
      return 'requested';
    }
    this.pairingPhone = phoneNumber;
    await this.replaceClient(handle, `Switching to pairing by code for +${phoneNumber}.`);
    return 'restarting';
  }

  /** Back to pairing by QR (queued by the supervisor); only while WhatsApp waits to be paired. */
  async useQr(): Promise<'unchanged' | 'restarting'> {
    const handle = this.slot.handle;
    if (this.stopping) throw shuttingDown();
    if (this.holder.state !== 'qr' || handle === null || handle.wasAuthenticated) throw notWaitingForPairing(this.holder.state);
    this.pairingPhone = null;
    if (this.launchedPhone === null) return 'unchanged';
    await this.replaceClient(handle, 'Switching to pairing by QR.');
    return 'restarting';
  }

  /** A new client for a changed pairing method; nobody is paired, so nothing is lost. */
  private async replaceClient(handle: ClientHandle, message: string): Promise<void> {
    this.timers.cancelAll();
    this.slot.detach();
    // The old client's QR or code would link a device that is about to disappear.
    this.holder.move('qr', { qr: null, code: null, pairing: this.pairingMode(), message });
    await this.slot.close(handle);
    await this.launch(message.replace(/\.$/, '').toLowerCase());
  }

  // ---- events from the client ----------------------------------------------------------

  private onClientEvent(handle: ClientHandle, event: WaClientEvent): void {
    if (this.stopping) return;
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
      case 'code':
        return this.onCode(handle, event.code);
      case 'code_failed':
        return this.onCodeFailed(handle, event.error);
      case 'authenticated':
        return this.onAuthenticated(handle);
      case 'ready':
        return this.onReady(handle, event.me);
      case 'disconnected':
        if (event.reason === 'LOGOUT') return this.loggedOut(handle, 'The phone unlinked this device (LOGOUT).');
        return this.connectionLost(handle, 'disconnected', `WhatsApp disconnected (${event.reason})`);
      case 'browser_disconnected':
        return this.connectionLost(handle, 'browser_closed', 'the browser closed or crashed');
      case 'internal_error':
        this.log.warn('The library failed inside its own page handler', { error: describeError(event.error) });
        // In other states the start/ready timers catch a client that stopped moving.
        if (WATCHED_STATES.has(this.holder.state)) void this.watchdog.probeNow(handle.client);
        return;
      case 'auth_failure':
        return this.log.warn('WhatsApp rejected the saved session', { reason: event.message });
      case 'change_state':
        return this.log.debug('WhatsApp connection state changed', { waState: event.state });
      case 'message':
      case 'message_ack':
      case 'message_undecryptable':
        return this.traffic.handle(event, this.holder.state === 'ready');
    }
  }

  private onQr(handle: ClientHandle, payload: string): void {
    // An unlink WhatsApp signalled with no logout event (a reload onto an unpaired page)
    // shows only a new QR: the keys are gone.
    if (handle.wasAuthenticated) return this.loggedOut(handle, 'WhatsApp asked for a new QR after login: the phone unlinked this device.');
    this.timers.disarm('start');
    const qr: CurrentQr = { payload, issuedAt: new Date(this.deps.clock.now()) };
    const expired = this.noteExpired('scan the new QR');
    const message = expired
      ? 'The saved session no longer works (expired or revoked on the phone): scan this QR to pair again.'
      : 'Waiting for a phone to scan the QR (WhatsApp > Settings > Linked devices > Link a device).';
    this.totals.qrShown++;
    this.holder.move('qr', { qr, sessionExpired: expired, me: expired ? null : this.holder.snapshot.me, message });
    this.watchWhilePairing(handle);
    try {
      this.deps.onQr?.(qr);
    } catch (error) {
      this.log.warn('Showing the QR in the log failed', { error: describeError(error) });
    }
  }

  /** WhatsApp asks to be paired although a session was saved: it expired or was revoked. */
  private noteExpired(what: string): boolean {
    const expired = this.holder.snapshot.sessionExpired || this.pairing.paired;
    if (expired && !this.holder.snapshot.sessionExpired) {
      this.log.warn(`The saved session no longer works (expired, or revoked on the phone): ${what} to pair again`);
      this.pairing.expired();
    }
    return expired;
  }

  private watchWhilePairing(handle: ClientHandle): void {
    // QRs and codes rotate faster than the probe interval: arm once, not on every one.
    if (!this.watchdog.armed) {
      this.watchdog.schedule(handle.client);
      void this.deps.store.refresh().catch(() => undefined);
    }
  }

  private onCode(handle: ClientHandle, value: string): void {
    if (handle.wasAuthenticated) {
      // A code only answers a request (the page's timer, ours, an operator's) that was still
      // under way when the phone linked us: unlike a QR after login, it says nothing of an
      // unlink, and a logout here would delete the session just made. The page is checked.
      this.log.debug('A pairing code arrived after login (a late answer); ignored');
      void handle.client.stopPairingCodes().catch(() => undefined);
      if (WATCHED_STATES.has(this.holder.state)) void this.watchdog.probeNow(handle.client);
      return;
    }
    this.timers.disarm('start');
    const now = this.deps.clock.now();
    const intervalMs = this.deps.config.pairingCodeIntervalMs ?? 180_000;
    const phoneNumber = this.launchedPhone ?? '';
    // WhatsApp's codes stop working after about 3 minutes, however rarely new ones are asked for.
    const code: CurrentCode = { value, phoneNumber, issuedAt: new Date(now), expiresAt: new Date(now + Math.min(intervalMs, CODE_LIFETIME_MS)) };
    const { last } = this.codes.issued();
    const expired = this.noteExpired('type the new pairing code');
    this.totals.pairingCodesShown++;
    const next = last
      ? `No more codes are asked for by themselves after this one (${MAX_UNUSED_CODES} went unused): when it runs out, ask for a new one on /qr.`
      : `A new code follows every ${Math.round(intervalMs / 1000)} s until one is typed.`;
    const message = `${expired ? 'The saved session no longer works (expired or revoked on the phone). ' : ''}Type the pairing code for +${phoneNumber} ${HOW_TO_TYPE_A_CODE}. ${next}`;
    this.holder.move('qr', { qr: null, code, sessionExpired: expired, me: expired ? null : this.holder.snapshot.me, pairing: this.pairingMode(), message });
    if (last) void handle.client.stopPairingCodes().catch(() => undefined);
    this.timers.arm('code', intervalMs + CODE_GRACE_MS, () => this.codeRanOut(handle, code));
    this.watchWhilePairing(handle);
    try {
      this.deps.onCode?.(code);
    } catch (error) {
      this.log.warn('Showing the pairing code in the log failed', { error: describeError(error) });
    }
  }

  /** The code on show ran out and no new one came: pause (budget spent), or ask ourselves. */
  private codeRanOut(handle: ClientHandle, code: CurrentCode): void {
    if (!this.slot.isCurrent(handle.generation) || this.holder.snapshot.code !== code) return;
    if (this.codes.paused) {
      this.holder.move('qr', {
        code: null,
        message: `Pairing codes paused after ${MAX_UNUSED_CODES} unused ones, so the phone is not flooded with notifications: press "New code" on /qr (or POST /api/session/pairing-code) when you are at the phone.`,
      });
      return;
    }
    void handle.client.requestPairingCode(code.phoneNumber);
  }

  private onCodeFailed(handle: ClientHandle, error: unknown): void {
    if (handle.wasAuthenticated) return;
    this.timers.disarm('start');
    this.timers.disarm('code');
    // 1.34.7 starts the page's every-interval timer before the first answer, and keeps it after
    // a refusal: left running, it would ask again (and be refused unseen) during our backoff.
    void handle.client.stopPairingCodes().catch(() => undefined);
    const now = this.deps.clock.now();
    const { retryAt, tooMany } = this.codes.failed(error, now);
    const at = new Date(retryAt);
    const reason = tooMany
      ? `WhatsApp refused a pairing code for +${this.launchedPhone ?? ''}: too many attempts`
      : `Asking WhatsApp for a pairing code failed (${describeError(error)})`;
    this.log.warn(`${reason}; asking again at ${at.toISOString()}`);
    const wait = Math.round((retryAt - now) / 60_000);
    // A code still valid (an operator's "New code" was refused) stays usable until it runs out.
    const current = this.holder.snapshot.code;
    const stillValid = current !== null && current.expiresAt.getTime() > now ? current : null;
    this.holder.move('qr', {
      qr: null,
      code: stillValid,
      pairing: this.pairingMode(),
      message: `${reason}. The daemon asks again at ${at.toISOString()} (in ${wait < 1 ? 'less than a minute' : `${wait} min`}); asking sooner only makes WhatsApp wait longer.`,
    });
    this.timers.arm('code', retryAt - now, () => {
      if (!this.slot.isCurrent(handle.generation) || this.holder.state !== 'qr') return;
      this.holder.move('qr', { pairing: this.pairingMode(), message: `Asking WhatsApp for a pairing code for +${this.launchedPhone ?? ''}.` });
      void handle.client.requestPairingCode(this.launchedPhone ?? '');
    });
    this.watchWhilePairing(handle);
  }

  private onAuthenticated(handle: ClientHandle): void {
    handle.wasAuthenticated = true;
    this.timers.disarm('start');
    this.timers.disarm('watchdog');
    this.holder.move('authenticated', { qr: null, message: 'Logged in; syncing with the phone.' });
    const { readyMs } = this.deps.config.timeouts;
    this.timers.arm('ready', readyMs, () => this.connectionLost(handle, 'ready_timeout', `authenticated but not ready within ${readyMs} ms`));
  }

  private onReady(handle: ClientHandle, me: PairedAccount | null): void {
    handle.wasAuthenticated = true;
    this.timers.disarm('start');
    this.timers.disarm('ready');
    const account = me ?? this.holder.snapshot.me;
    this.totals.readyTransitions++;
    this.codes.clear();
    const fresh = { qr: null, sessionExpired: false, reconnectAttempt: 0, nextRetryAt: null, lastError: null };
    this.holder.move('ready', { ...fresh, pairing: this.pairingMode(), me: account, message: account ? `Connected as ${account.name ?? account.id}.` : 'Connected.' });
    this.pairing.ready(account);
    void this.deps.store.refresh().catch(() => undefined);
    this.watchdog.schedule(handle.client);
  }

  private onStartFailure(handle: ClientHandle, error: unknown): void {
    if (this.stopping || !this.slot.isCurrent(handle.generation)) return;
    // A setting no retry can fix: the operator must change it, and health says so (503).
    if (error instanceof AppError && PERMANENT_START_FAILURES.has(error.code)) {
      this.log.error(error.message);
      return this.fail(error.message, handle);
    }
    this.connectionLost(handle, 'start_failed', `the client failed to start: ${describeError(error)}`);
  }

  // ---- leaving a client: logout, connection loss, giving up ----------------------------

  private loggedOut(handle: ClientHandle, reason: string): void {
    if (!this.slot.isCurrent(handle.generation)) return;
    this.timers.cancelAll();
    this.slot.detach();
    this.totals.remoteLogouts++;
    this.log.warn(reason);
    this.holder.move('logged_out', { me: null, qr: null, sessionExpired: false, message: `${reason} A fresh QR follows.` });
    void this.queue.run(async () => {
      if (this.stopping) return this.slot.close(handle);
      await this.reset.afterRemoteLogout(handle, reason);
      await this.launch('fresh session after logout');
    });
  }

  private connectionLost(handle: ClientHandle, cause: ReconnectCause, reason: string): void {
    if (this.stopping || !this.slot.isCurrent(handle.generation)) return;
    const attempt = this.holder.snapshot.reconnectAttempt + 1;
    const { maxAttempts } = this.deps.config.reconnect;
    if (maxAttempts > 0 && attempt > maxAttempts) {
      this.log.error(`Giving up after ${maxAttempts} reconnect attempts: ${reason}`);
      return this.fail(`Gave up after ${maxAttempts} reconnect attempts (last: ${reason}). Restart the process.`, handle, reason);
    }
    this.timers.cancelAll();
    this.slot.detach();
    this.totals.reconnects[cause]++;
    const delay = computeBackoff(attempt, this.deps.config.reconnect, this.random);
    const nextRetryAt = new Date(this.deps.clock.now() + delay);
    this.log.warn(`Connection lost (${reason}); reconnecting in ${delay} ms, keeping the session`, { attempt, cause });
    const message = `Connection lost (${reason}). Reconnecting, attempt ${attempt}; the session is kept.`;
    this.holder.move('reconnecting', { qr: null, reconnectAttempt: attempt, nextRetryAt, lastError: reason, message });
    void this.queue.run(async () => {
      await this.slot.close(handle);
      if (this.stopping || this.holder.state !== 'reconnecting') return;
      this.timers.arm('retry', Math.max(0, nextRetryAt.getTime() - this.deps.clock.now()), () => {
        void this.queue.run(() => this.launch(`reconnect attempt ${attempt}`));
      });
    });
  }

  /** `failed`: nothing more happens until a restart; the client, if there is one, is closed. */
  private fail(message: string, handle: ClientHandle | null, lastError: string = message): void {
    this.timers.cancelAll();
    if (handle) this.slot.detach();
    this.holder.move('failed', { qr: null, nextRetryAt: null, lastError, message });
    if (handle) void this.queue.run(() => this.slot.close(handle));
  }
}

function notWaitingForPairing(state: SessionState): AppError {
  if (state === 'ready' || state === 'authenticated') {
    return new AppError('ALREADY_PAIRED', `The session is ${state}: a code is never asked for a linked account (WhatsApp has revoked devices for it). To pair another phone, clear the session first (Re-pair on /qr).`);
  }
  return new AppError('NOT_WAITING_FOR_PAIRING', `WhatsApp is not asking to be paired (the session is ${state}). To resolve, wait until /qr shows a QR or a code, then ask again.`);
}

function tooManyCodes(retryAt: number): AppError {
  return new AppError('TOO_MANY_ATTEMPTS', `WhatsApp refused the last pairing code: too many attempts. Ask again after ${new Date(retryAt).toISOString()}; asking sooner makes it wait longer.`);
}

export function shuttingDown(): AppError {
  return new AppError('SHUTTING_DOWN', 'The daemon is shutting down; clear the session after it restarts.');
}
