import { AppError, describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { PairedAccount, WaClientEvent } from '../whatsapp/wa-client';
import type { ClientHandle } from './client-teardown';
import type { MessageTraffic } from './message-traffic';
import type { NamedTimers } from './named-timers';
import type { PairingByCode } from './pairing-by-code';
import type { PairingRecord } from './pairing-record';
import type { CurrentQr, ReconnectCause, SessionState } from './session-state';
import type { LifecycleTotals } from './session-state';
import type { StateHolder } from './state-holder';
import type { SupervisorDeps } from './supervisor-deps';
import type { Watchdog } from './watchdog';

/** `initialize()` failures no retry can fix. */
const PERMANENT_START_FAILURES: ReadonlySet<string> = new Set(['WEB_VERSION_UNAVAILABLE']);

/** States in which the watchdog probes the page. */
export const WATCHED_STATES: ReadonlySet<SessionState> = new Set(['qr', 'ready']);

/** How the lifecycle leaves a client: what an event may lead to. */
export interface ClientExits {
  loggedOut(handle: ClientHandle, reason: string): void;
  connectionLost(handle: ClientHandle, cause: ReconnectCause, reason: string): void;
  fail(message: string, handle: ClientHandle | null): void;
}

export interface ClientEventsOptions {
  readonly deps: Pick<SupervisorDeps, 'clock' | 'config' | 'onQr' | 'store'>;
  readonly holder: StateHolder;
  readonly timers: Pick<NamedTimers<'start' | 'ready' | 'watchdog'>, 'arm' | 'disarm'>;
  readonly totals: LifecycleTotals;
  readonly pairing: PairingRecord;
  readonly byCode: PairingByCode;
  readonly traffic: MessageTraffic;
  readonly watchdog: Watchdog;
  readonly log: Logger;
  readonly exits: ClientExits;
}

/**
 * What each event of the client in service means for the session: a QR to show, a login, ready,
 * a logout, a lost connection. The lifecycle routes every event of its current client here.
 */
export class ClientEvents {
  constructor(private readonly o: ClientEventsOptions) {}

  handle(handle: ClientHandle, event: WaClientEvent): void {
    const { o } = this;
    switch (event.type) {
      case 'qr':
        return this.onQr(handle, event.payload);
      case 'code':
        if (!handle.wasAuthenticated) {
          o.timers.disarm('start');
          o.totals.pairingCodesShown++;
        }
        return o.byCode.onCode(handle, event.code);
      case 'code_failed':
        if (handle.wasAuthenticated) return;
        o.timers.disarm('start');
        return o.byCode.onCodeFailed(handle, event.error);
      case 'authenticated':
        return this.onAuthenticated(handle);
      case 'ready':
        return this.onReady(handle, event.me);
      case 'disconnected':
        if (event.reason === 'LOGOUT') return o.exits.loggedOut(handle, 'The phone unlinked this device (LOGOUT).');
        return o.exits.connectionLost(handle, 'disconnected', `WhatsApp disconnected (${event.reason})`);
      case 'browser_disconnected':
        return o.exits.connectionLost(handle, 'browser_closed', 'the browser closed or crashed');
      case 'internal_error':
        o.log.warn('The library failed inside its own page handler', { error: describeError(event.error) });
        // In other states the start/ready timers catch a client that stopped moving.
        return this.probeNow(handle);
      case 'auth_failure':
        return o.log.warn('WhatsApp rejected the saved session', { reason: event.message });
      case 'change_state':
        return o.log.debug('WhatsApp connection state changed', { waState: event.state });
      case 'message':
      case 'message_ack':
      case 'message_undecryptable':
        return o.traffic.handle(event, o.holder.state === 'ready');
    }
  }

  /** `initialize()` rejected: a setting to fix (failed), or a connection to retry. */
  startFailed(handle: ClientHandle, error: unknown): void {
    // A setting no retry can fix: the operator must change it, and health says so (503).
    if (error instanceof AppError && PERMANENT_START_FAILURES.has(error.code)) {
      this.o.log.error(error.message);
      return this.o.exits.fail(error.message, handle);
    }
    this.o.exits.connectionLost(handle, 'start_failed', `the client failed to start: ${describeError(error)}`);
  }

  /** WhatsApp asks to be paired although a session was saved: it expired or was revoked. */
  noteExpired(what: string): boolean {
    const { holder, pairing, log } = this.o;
    const expired = holder.snapshot.sessionExpired || pairing.paired;
    if (expired && !holder.snapshot.sessionExpired) {
      log.warn(`The saved session no longer works (expired, or revoked on the phone): ${what} to pair again`);
      pairing.expired();
    }
    return expired;
  }

  watchWhilePairing(handle: ClientHandle): void {
    // QRs and codes rotate faster than the probe interval: arm once, not on every one.
    if (!this.o.watchdog.armed) {
      this.o.watchdog.schedule(handle.client);
      void this.o.deps.store.refresh().catch(() => undefined);
    }
  }

  /** Checks at once that the page still answers, in the states the watchdog watches. */
  probeNow(handle: ClientHandle): void {
    if (WATCHED_STATES.has(this.o.holder.state)) void this.o.watchdog.probeNow(handle.client);
  }

  private onQr(handle: ClientHandle, payload: string): void {
    const { o } = this;
    // An unlink WhatsApp signalled with no logout event (a reload onto an unpaired page)
    // shows only a new QR: the keys are gone.
    if (handle.wasAuthenticated) return o.exits.loggedOut(handle, 'WhatsApp asked for a new QR after login: the phone unlinked this device.');
    o.timers.disarm('start');
    const qr: CurrentQr = { payload, issuedAt: new Date(o.deps.clock.now()) };
    const expired = this.noteExpired('scan the new QR');
    const message = expired
      ? 'The saved session no longer works (expired or revoked on the phone): scan this QR to pair again.'
      : 'Waiting for a phone to scan the QR (WhatsApp > Settings > Linked devices > Link a device).';
    o.totals.qrShown++;
    o.holder.move('qr', { qr, sessionExpired: expired, me: expired ? null : o.holder.snapshot.me, message });
    this.watchWhilePairing(handle);
    try {
      o.deps.onQr?.(qr);
    } catch (error) {
      o.log.warn('Showing the QR in the log failed', { error: describeError(error) });
    }
  }

  private onAuthenticated(handle: ClientHandle): void {
    const { o } = this;
    handle.wasAuthenticated = true;
    o.timers.disarm('start');
    o.timers.disarm('watchdog');
    o.holder.move('authenticated', { qr: null, message: 'Logged in; syncing with the phone.' });
    const { readyMs } = o.deps.config.timeouts;
    o.timers.arm('ready', readyMs, () => o.exits.connectionLost(handle, 'ready_timeout', `authenticated but not ready within ${readyMs} ms`));
  }

  private onReady(handle: ClientHandle, me: PairedAccount | null): void {
    const { o } = this;
    handle.wasAuthenticated = true;
    o.timers.disarm('start');
    o.timers.disarm('ready');
    const account = me ?? o.holder.snapshot.me;
    o.totals.readyTransitions++;
    o.byCode.paired();
    const fresh = { qr: null, sessionExpired: false, reconnectAttempt: 0, nextRetryAt: null, lastError: null };
    o.holder.move('ready', {
      ...fresh,
      pairing: o.byCode.mode(),
      me: account,
      message: account ? `Connected as ${account.name ?? account.id}.` : 'Connected.',
    });
    o.pairing.ready(account);
    void o.deps.store.refresh().catch(() => undefined);
    o.watchdog.schedule(handle.client);
  }
}
