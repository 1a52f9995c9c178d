import { AppError, describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { ClientSlot } from './client-slot';
import type { ClientHandle } from './client-teardown';
import type { NamedTimers } from './named-timers';
import { MAX_UNUSED_CODES, PairingCodeBudget } from './pairing-code-budget';
import type { CurrentCode, PairingMode, SessionState } from './session-state';
import type { StateHolder } from './state-holder';
import type { SupervisorDeps } from './supervisor-deps';

/** A code not replaced this long after it ran out: the page stopped asking, so we ask. */
const CODE_GRACE_MS = 10_000;
/** How long WhatsApp accepts a pairing code. */
const CODE_LIFETIME_MS = 180_000;
const HOW_TO_TYPE_A_CODE = 'on the phone: WhatsApp > Settings > Linked devices > Link a device > Link with phone number instead';

/** What the pairing-code half needs of the lifecycle it belongs to. */
export interface PairingByCodeContext {
  readonly deps: Pick<SupervisorDeps, 'clock' | 'config' | 'onCode'>;
  readonly holder: StateHolder;
  readonly slot: ClientSlot;
  readonly timers: Pick<NamedTimers<'code'>, 'arm' | 'disarm'>;
  readonly log: Logger;
  /** True (and said once) when WhatsApp asks to pair although a session was saved. */
  noteExpired(what: string): boolean;
  /** Probes the page while it waits to be paired. */
  watchWhilePairing(handle: ClientHandle): void;
  /** Checks at once that the page still answers. */
  probeNow(handle: ClientHandle): void;
}

/**
 * Pairing by phone-number code: which number, the codes WhatsApp issues for it, their budget
 * (so the phone is not flooded) and WhatsApp's refusals (so it is not asked again too soon).
 * The lifecycle hands it the client's `code` and `code_failed` events.
 */
export class PairingByCode {
  private readonly codes = new PairingCodeBudget();
  /** The number to pair by code when WhatsApp asks; null: by QR. An operator may change it. */
  private phone: string | null;
  /** What the client in service was made with. */
  private launchedPhone: string | null = null;

  constructor(private readonly ctx: PairingByCodeContext) {
    this.phone = ctx.deps.config.pairingPhoneNumber ?? null;
  }

  /** The number the next client pairs with; null: by QR. */
  get phoneNumber(): string | null {
    return this.phone;
  }

  /** How the session pairs, as status shows it. */
  mode(): PairingMode {
    const retryAt = this.codes.retryAt(this.ctx.deps.clock.now());
    return { ...initialPairingMode(this.phone), retryAt: retryAt === null ? null : new Date(retryAt) };
  }

  /** Before launching a client for a code: WhatsApp's wait still running, or null. */
  launchWaitUntil(): number | null {
    return this.phone === null ? null : this.codes.retryAt(this.ctx.deps.clock.now());
  }

  /** A client was made with the current number. */
  launched(): void {
    this.launchedPhone = this.phone;
  }

  /** The session paired: the budget starts afresh. */
  paired(): void {
    this.codes.clear();
  }

  /**
   * An operator asks for a code for `phoneNumber`, while WhatsApp waits to be paired: the client
   * in service asks again (`requested`), or it must be replaced by one made for this number.
   */
  ask(handle: ClientHandle, phoneNumber: string): 'requested' | 'replace' {
    const retryAt = this.codes.retryAt(this.ctx.deps.clock.now());
    if (retryAt !== null) throw tooManyCodes(retryAt);
    this.codes.reset();
    if (this.launchedPhone === phoneNumber) {
      this.ctx.timers.disarm('code');
      void handle.client.requestPairingCode(phoneNumber);
      return 'requested';
    }
    this.phone = phoneNumber;
    return 'replace';
  }

  /** Back to the QR: whether the client in service must be replaced. */
  useQr(): 'unchanged' | 'replace' {
    this.phone = null;
    return this.launchedPhone === null ? 'unchanged' : 'replace';
  }

  onCode(handle: ClientHandle, value: string): void {
    const { ctx } = this;
    if (handle.wasAuthenticated) {
      // A code only answers a request (the page's timer, ours, an operator's) that was still
      // under way when the phone linked us: unlike a QR after login, it says nothing of an
      // unlink, and a logout here would delete the session just made. The page is checked.
      ctx.log.debug('A pairing code arrived after login (a late answer); ignored');
      void handle.client.stopPairingCodes().catch(() => undefined);
      ctx.probeNow(handle);
      return;
    }
    const now = ctx.deps.clock.now();
    const intervalMs = ctx.deps.config.pairingCodeIntervalMs ?? 180_000;
    const phoneNumber = this.launchedPhone ?? '';
    // WhatsApp's codes stop working after about 3 minutes, however rarely new ones are asked for.
    const code: CurrentCode = { value, phoneNumber, issuedAt: new Date(now), expiresAt: new Date(now + Math.min(intervalMs, CODE_LIFETIME_MS)) };
    const { last } = this.codes.issued();
    const expired = ctx.noteExpired('type the new pairing code');
    const next = last
      ? `No more codes are asked for by themselves after this one (${MAX_UNUSED_CODES} went unused): when it runs out, ask for a new one on /qr.`
      : `A new code follows every ${Math.round(intervalMs / 1000)} s until one is typed.`;
    const message = `${expired ? 'The saved session no longer works (expired or revoked on the phone). ' : ''}Type the pairing code for +${phoneNumber} ${HOW_TO_TYPE_A_CODE}. ${next}`;
    ctx.holder.move('qr', { qr: null, code, sessionExpired: expired, me: expired ? null : ctx.holder.snapshot.me, pairing: this.mode(), message });
    if (last) void handle.client.stopPairingCodes().catch(() => undefined);
    ctx.timers.arm('code', intervalMs + CODE_GRACE_MS, () => this.ranOut(handle, code));
    ctx.watchWhilePairing(handle);
    try {
      ctx.deps.onCode?.(code);
    } catch (error) {
      ctx.log.warn('Showing the pairing code in the log failed', { error: describeError(error) });
    }
  }

  onCodeFailed(handle: ClientHandle, error: unknown): void {
    const { ctx } = this;
    ctx.timers.disarm('code');
    // 1.34.7 starts the page's every-interval timer before the first answer, and keeps it after
    // a refusal: left running, it would ask again (and be refused unseen) during our backoff.
    void handle.client.stopPairingCodes().catch(() => undefined);
    const now = ctx.deps.clock.now();
    const { retryAt, tooMany } = this.codes.failed(error, now);
    const at = new Date(retryAt);
    const reason = tooMany
      ? `WhatsApp refused a pairing code for +${this.launchedPhone ?? ''}: too many attempts`
      : `Asking WhatsApp for a pairing code failed (${describeError(error)})`;
    ctx.log.warn(`${reason}; asking again at ${at.toISOString()}`);
    const wait = Math.round((retryAt - now) / 60_000);
    // A code still valid (an operator's "New code" was refused) stays usable until it runs out.
    const current = ctx.holder.snapshot.code;
    const stillValid = current !== null && current.expiresAt.getTime() > now ? current : null;
    ctx.holder.move('qr', {
      qr: null,
      code: stillValid,
      pairing: this.mode(),
      message: `${reason}. The daemon asks again at ${at.toISOString()} (in ${wait < 1 ? 'less than a minute' : `${wait} min`}); asking sooner only makes WhatsApp wait longer.`,
    });
    ctx.timers.arm('code', retryAt - now, () => {
      if (!ctx.slot.isCurrent(handle.generation) || ctx.holder.state !== 'qr') return;
      ctx.holder.move('qr', { pairing: this.mode(), message: `Asking WhatsApp for a pairing code for +${this.launchedPhone ?? ''}.` });
      void handle.client.requestPairingCode(this.launchedPhone ?? '');
    });
    ctx.watchWhilePairing(handle);
  }

  /** The code on show ran out and no new one came: pause (budget spent), or ask ourselves. */
  private ranOut(handle: ClientHandle, code: CurrentCode): void {
    const { ctx } = this;
    if (!ctx.slot.isCurrent(handle.generation) || ctx.holder.snapshot.code !== code) return;
    if (this.codes.paused) {
      ctx.holder.move('qr', {
        code: null,
        message: `Pairing codes paused after ${MAX_UNUSED_CODES} unused ones, so the phone is not flooded with notifications: press "New code" on /qr (or POST /api/session/pairing-code) when you are at the phone.`,
      });
      return;
    }
    void handle.client.requestPairingCode(code.phoneNumber);
  }
}

/** How a session pairs before any code was asked for: by QR, or by code for `phone`. */
export function initialPairingMode(phone: string | null): PairingMode {
  return { method: phone === null ? 'qr' : 'code', phoneNumber: phone, retryAt: null };
}

/** Asking for a code, or back to the QR, is only for a session that waits to be paired. */
export function notWaitingForPairing(state: SessionState): AppError {
  if (state === 'ready' || state === 'authenticated') {
    return new AppError(
      'ALREADY_PAIRED',
      `The session is ${state}: a code is never asked for a linked account (WhatsApp has revoked devices for it). To pair another phone, clear the session first (Re-pair on /qr).`,
    );
  }
  return new AppError(
    'NOT_WAITING_FOR_PAIRING',
    `WhatsApp is not asking to be paired (the session is ${state}). To resolve, wait until /qr shows a QR or a code, then ask again.`,
  );
}

function tooManyCodes(retryAt: number): AppError {
  return new AppError(
    'TOO_MANY_ATTEMPTS',
    `WhatsApp refused the last pairing code: too many attempts. Ask again after ${new Date(retryAt).toISOString()}; asking sooner makes it wait longer.`,
  );
}
