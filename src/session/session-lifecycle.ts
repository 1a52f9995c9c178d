import { SerialQueue } from '../common/serial-queue';
import { settleWithin } from '../common/with-timeout';
import { AppError, describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { WaClient, WaClientEvent } from '../whatsapp/wa-client';
import { ClientEvents, WATCHED_STATES } from './client-events';
import { ClientDepartures } from './client-departures';
import { ClientSlot } from './client-slot';
import type { ClientHandle } from './client-teardown';
import { MessageTraffic } from './message-traffic';
import { PairingRecord } from './pairing-record';
import { NamedTimers } from './named-timers';
import { initialPairingMode, notWaitingForPairing, PairingByCode } from './pairing-by-code';
import { type ClearResult, emptyCounters, type LifecycleTotals } from './session-state';
import { SessionReset } from './session-reset';
import { StateHolder } from './state-holder';
import type { SessionMetadata } from '../storage/session-metadata';
import type { SupervisorDeps } from './supervisor-deps';
import { Watchdog } from './watchdog';

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
  readonly totals: LifecycleTotals = emptyCounters();
  private readonly pairing: PairingRecord;
  private readonly reset: SessionReset;
  private readonly timers: NamedTimers<'start' | 'ready' | 'watchdog' | 'retry' | 'code'>;
  private readonly byCode: PairingByCode;
  private readonly events: ClientEvents;
  private readonly exits: ClientDepartures;
  private readonly log: Logger;
  private stopping = false;

  constructor(private readonly deps: SupervisorDeps) {
    this.log = deps.logger.child({ component: 'session' });
    this.timers = new NamedTimers(deps.clock);
    this.slot = new ClientSlot({ clock: deps.clock, guard: deps.guard, log: this.log });
    this.pairing = new PairingRecord(deps.initialMetadata, deps.metadata, deps.clock, this.log);
    this.traffic = new MessageTraffic(this.log);
    const pairing = initialPairingMode(deps.config.pairingPhoneNumber ?? null);
    const initial = {
      state: 'starting',
      me: deps.initialMetadata.me,
      qr: null,
      code: null,
      pairing,
      sessionExpired: false,
      reconnectAttempt: 0,
    } as const;
    const message = 'Starting: launching the browser.';
    this.holder = new StateHolder({ ...initial, message, nextRetryAt: null, lastError: null }, deps.clock, this.log);
    this.reset = new SessionReset({ slot: this.slot, pairing: this.pairing, guard: deps.guard, store: deps.store, clock: deps.clock, log: this.log });
    this.exits = new ClientDepartures({
      deps,
      holder: this.holder,
      slot: this.slot,
      timers: this.timers,
      queue: this.queue,
      reset: this.reset,
      totals: this.totals,
      log: this.log,
      random: deps.random ?? Math.random,
      isStopping: () => this.stopping,
      launch: (reason) => this.launch(reason),
    });
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
        this.exits.connectionLost(handle, failure.kind, failure.reason);
      },
    });
    this.byCode = new PairingByCode({
      deps,
      holder: this.holder,
      slot: this.slot,
      timers: this.timers,
      log: this.log,
      noteExpired: (what) => this.events.noteExpired(what),
      watchWhilePairing: (handle) => this.events.watchWhilePairing(handle),
      probeNow: (handle) => this.events.probeNow(handle),
    });
    this.events = new ClientEvents({
      deps,
      holder: this.holder,
      timers: this.timers,
      totals: this.totals,
      pairing: this.pairing,
      byCode: this.byCode,
      traffic: this.traffic,
      watchdog: this.watchdog,
      log: this.log,
      exits: this.exits,
    });
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
    const waitUntil = this.byCode.launchWaitUntil();
    if (waitUntil !== null) {
      const at = new Date(waitUntil).toISOString();
      if (
        !this.holder.move('starting', {
          qr: null,
          code: null,
          pairing: this.byCode.mode(),
          nextRetryAt: new Date(waitUntil),
          message: `Waiting until ${at} before asking WhatsApp for a pairing code again (it refused one: too many attempts).`,
        })
      )
        return;
      this.timers.arm('retry', waitUntil - this.deps.clock.now(), () => void this.queue.run(() => this.launch(reason)));
      return;
    }
    const message = reason === 'start' ? 'Starting: launching the browser.' : `Starting (${reason}).`;
    if (!this.holder.move('starting', { qr: null, code: null, pairing: this.byCode.mode(), nextRetryAt: null, message })) return;
    await this.deps.guard.prepare().catch((error: unknown) => {
      this.log.warn('Could not clean the profile before launch; launching anyway', { error: describeError(error) });
    });
    if (this.stopping) return;
    let client: WaClient;
    try {
      client = await this.deps.createClient({ pairingPhoneNumber: this.byCode.phoneNumber });
    } catch (error) {
      // The factory only fails for what no retry can fix (no browser, bad options).
      const message = `Cannot create the WhatsApp client: ${describeError(error)}`;
      this.log.error(message);
      this.exits.fail(message, null);
      return;
    }
    if (this.stopping) return;
    this.byCode.launched();
    const handle = this.slot.install(
      client,
      (h, event) => this.onClientEvent(h, event),
      (h, error) => {
        if (!this.stopping && this.slot.isCurrent(h.generation)) this.events.startFailed(h, error);
      },
    );
    const { startMs } = this.deps.config.timeouts;
    this.timers.arm('start', startMs, () => this.exits.connectionLost(handle, 'start_timeout', `no QR and no login within ${startMs} ms of launch`));
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
    if (this.byCode.ask(handle, phoneNumber) === 'requested') return 'requested';
    await this.replaceClient(handle, `Switching to pairing by code for +${phoneNumber}.`);
    return 'restarting';
  }

  /** Back to pairing by QR (queued by the supervisor); only while WhatsApp waits to be paired. */
  async useQr(): Promise<'unchanged' | 'restarting'> {
    const handle = this.slot.handle;
    if (this.stopping) throw shuttingDown();
    if (this.holder.state !== 'qr' || handle === null || handle.wasAuthenticated) throw notWaitingForPairing(this.holder.state);
    if (this.byCode.useQr() === 'unchanged') return 'unchanged';
    await this.replaceClient(handle, 'Switching to pairing by QR.');
    return 'restarting';
  }

  /** A new client for a changed pairing method; nobody is paired, so nothing is lost. */
  private async replaceClient(handle: ClientHandle, message: string): Promise<void> {
    this.timers.cancelAll();
    this.slot.detach();
    // The old client's QR or code would link a device that is about to disappear.
    this.holder.move('qr', { qr: null, code: null, pairing: this.byCode.mode(), message });
    await this.slot.close(handle);
    await this.launch(message.replace(/\.$/, '').toLowerCase());
  }

  // ---- events from the client ----------------------------------------------------------

  private onClientEvent(handle: ClientHandle, event: WaClientEvent): void {
    if (this.stopping) return;
    try {
      this.events.handle(handle, event);
    } catch (error) {
      this.log.error(`Handling '${event.type}' failed`, { error: describeError(error) });
    }
  }
}

export function shuttingDown(): AppError {
  return new AppError('SHUTTING_DOWN', 'The daemon is shutting down; clear the session after it restarts.');
}
