import { computeBackoff } from '../common/backoff';
import type { SerialQueue } from '../common/serial-queue';
import type { Logger } from '../logging/logger';
import type { ClientExits } from './client-events';
import type { ClientSlot } from './client-slot';
import type { ClientHandle } from './client-teardown';
import type { NamedTimers } from './named-timers';
import type { LifecycleTotals, ReconnectCause } from './session-state';
import type { SessionReset } from './session-reset';
import type { StateHolder } from './state-holder';
import type { SupervisorDeps } from './supervisor-deps';

export interface ClientDeparturesOptions {
  readonly deps: Pick<SupervisorDeps, 'clock' | 'config'>;
  readonly holder: StateHolder;
  readonly slot: ClientSlot;
  readonly timers: Pick<NamedTimers<'retry'>, 'arm' | 'cancelAll'>;
  readonly queue: SerialQueue;
  readonly reset: SessionReset;
  readonly totals: LifecycleTotals;
  readonly log: Logger;
  readonly random: () => number;
  readonly isStopping: () => boolean;
  /** Launches the next client (queued by the caller). */
  readonly launch: (reason: string) => Promise<void>;
}

/**
 * How the session leaves the client in service: the phone unlinked it (logged_out, wipe, a fresh
 * QR), the connection was lost (reconnecting with backoff, the session kept), or the retry budget
 * is spent (failed). Each detaches the client at once, so its later events change nothing.
 */
export class ClientDepartures implements ClientExits {
  constructor(private readonly o: ClientDeparturesOptions) {}

  loggedOut(handle: ClientHandle, reason: string): void {
    const { o } = this;
    if (!o.slot.isCurrent(handle.generation)) return;
    o.timers.cancelAll();
    o.slot.detach();
    o.totals.remoteLogouts++;
    o.log.warn(reason);
    o.holder.move('logged_out', { me: null, qr: null, sessionExpired: false, message: `${reason} A fresh QR follows.` });
    void o.queue.run(async () => {
      if (o.isStopping()) return o.slot.close(handle);
      await o.reset.afterRemoteLogout(handle, reason);
      await o.launch('fresh session after logout');
    });
  }

  connectionLost(handle: ClientHandle, cause: ReconnectCause, reason: string): void {
    const { o } = this;
    if (o.isStopping() || !o.slot.isCurrent(handle.generation)) return;
    const attempt = o.holder.snapshot.reconnectAttempt + 1;
    const { maxAttempts } = o.deps.config.reconnect;
    if (maxAttempts > 0 && attempt > maxAttempts) {
      o.log.error(`Giving up after ${maxAttempts} reconnect attempts: ${reason}`);
      return this.fail(`Gave up after ${maxAttempts} reconnect attempts (last: ${reason}). Restart the process.`, handle, reason);
    }
    o.timers.cancelAll();
    o.slot.detach();
    o.totals.reconnects[cause]++;
    const delay = computeBackoff(attempt, o.deps.config.reconnect, o.random);
    const nextRetryAt = new Date(o.deps.clock.now() + delay);
    o.log.warn(`Connection lost (${reason}); reconnecting in ${delay} ms, keeping the session`, { attempt, cause });
    const message = `Connection lost (${reason}). Reconnecting, attempt ${attempt}; the session is kept.`;
    o.holder.move('reconnecting', { qr: null, reconnectAttempt: attempt, nextRetryAt, lastError: reason, message });
    void o.queue.run(async () => {
      await o.slot.close(handle);
      if (o.isStopping() || o.holder.state !== 'reconnecting') return;
      o.timers.arm('retry', Math.max(0, nextRetryAt.getTime() - o.deps.clock.now()), () => {
        void o.queue.run(() => o.launch(`reconnect attempt ${attempt}`));
      });
    });
  }

  /** `failed`: nothing more happens until a restart; the client, if there is one, is closed. */
  fail(message: string, handle: ClientHandle | null, lastError: string = message): void {
    const { o } = this;
    o.timers.cancelAll();
    if (handle) o.slot.detach();
    o.holder.move('failed', { qr: null, nextRetryAt: null, lastError, message });
    if (handle) void o.queue.run(() => o.slot.close(handle));
  }
}
