import { AppError, describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import { isClientGoneError } from '../whatsapp/client-gone';
import type { WaClient } from '../whatsapp/wa-client';
import type { AckSink, MessageSink } from './message-traffic';
import type { MetadataPort } from './pairing-record';
import { WATCHED_STATES } from './client-events';
import { SessionLifecycle, shuttingDown } from './session-lifecycle';
import type { ClearResult, SessionControl, SessionCounters, SessionSnapshot } from './session-state';
import type { SupervisorDeps } from './supervisor-deps';
import type { SessionMetadata } from '../storage/session-metadata';

/**
 * Owns the WhatsApp client and its lifecycle (the state machine is `SessionLifecycle`).
 * Everything else reads `snapshot()`, asks it to act (start, stop, clear), or uses the live
 * client through `withClient()`. HTTP handlers never touch the client.
 */
export class SessionSupervisor implements SessionControl {
  private readonly lifecycle: SessionLifecycle;
  private readonly log: Logger;
  private startPromise: Promise<void> | null = null;
  private stopPromise: Promise<void> | null = null;
  private clearPromise: Promise<ClearResult> | null = null;

  constructor(deps: SupervisorDeps) {
    this.lifecycle = new SessionLifecycle(deps);
    this.log = deps.logger.child({ component: 'session' });
  }

  snapshot(): SessionSnapshot {
    return this.lifecycle.holder.snapshot;
  }

  counters(): SessionCounters {
    const { totals, traffic } = this.lifecycle;
    return { ...totals, reconnects: { ...totals.reconnects }, messagesReceived: traffic.received, undecryptableMessages: traffic.undecryptable };
  }

  subscribe(listener: (snapshot: SessionSnapshot) => void): () => void {
    return this.lifecycle.holder.subscribe(listener);
  }

  /** Adds a receiver of the messages that arrive while `ready`; returns the remove function. */
  addMessageSink(sink: MessageSink): () => void {
    return this.lifecycle.traffic.addMessageSink(sink);
  }

  /** Adds a receiver of WhatsApp's acks of the messages we sent; returns the remove function. */
  addAckSink(sink: AckSink): () => void {
    return this.lifecycle.traffic.addAckSink(sink);
  }

  /**
   * Runs `use` with the live client, only while `ready`: anything else is NOT_READY (503), so a
   * caller retries later instead of talking to a browser that is being replaced. A "client
   * gone" failure inside `use` makes the supervisor probe the page at once.
   */
  async withClient<T>(use: (client: WaClient) => Promise<T>): Promise<T> {
    const { holder, slot } = this.lifecycle;
    const handle = slot.handle;
    if (holder.state !== 'ready' || handle === null) {
      throw new AppError('NOT_READY', `WhatsApp is not ready (the session is ${holder.state}). To resolve, wait for ready: GET /api/session/status.`);
    }
    try {
      return await use(handle.client);
    } catch (error) {
      if (isClientGoneError(error)) this.reportStrayError(error);
      throw error;
    }
  }

  /** Launches the first client. Idempotent: every call shares one start. */
  start(): Promise<void> {
    const { lifecycle } = this;
    this.startPromise ??= lifecycle.queue.run(async () => {
      // A clear that arrived before start (HTTP is up first) has launched a client already.
      if (lifecycle.slot.handle === null && lifecycle.holder.state === 'starting') await lifecycle.launch('start');
    });
    return this.startPromise;
  }

  /** Before start: who is paired, from the record another host saved with the session. */
  adoptMetadata(metadata: SessionMetadata): void {
    this.lifecycle.adoptMetadata(metadata);
  }

  /** Before start: what the start waits for (a standby waits for the lease), as the session's message. */
  describeWait(message: string): void {
    this.lifecycle.describeWait(message);
  }

  /** Closes the browser keeping the session (destroy, never logout). Idempotent. */
  stop(): Promise<void> {
    this.stopPromise ??= this.lifecycle.shutdown();
    return this.stopPromise;
  }

  /** Logs out if linked, deletes the session, launches a fresh client (a QR). Concurrent calls share one. */
  clear(): Promise<ClearResult> {
    if (this.lifecycle.isStopping) return Promise.reject(shuttingDown());
    this.clearPromise ??= this.lifecycle.queue
      .run(() => this.lifecycle.clearNow())
      .finally(() => {
        this.clearPromise = null;
      });
    return this.clearPromise;
  }

  /** Pair by a code for `phoneNumber` from now on (only while WhatsApp waits to be paired). */
  requestPairingCode(phoneNumber: string): Promise<'requested' | 'restarting'> {
    if (this.lifecycle.isStopping) return Promise.reject(shuttingDown());
    return this.lifecycle.queue.run(() => this.lifecycle.askForCode(phoneNumber));
  }

  /** Pair by QR from now on (only while WhatsApp waits to be paired). */
  usePairingQr(): Promise<'unchanged' | 'restarting'> {
    if (this.lifecycle.isStopping) return Promise.reject(shuttingDown());
    return this.lifecycle.queue.run(() => this.lifecycle.useQr());
  }

  /**
   * An error that escaped the library where it could not be caught at its source (the
   * process-level safety net). A "client gone" error makes the watchdog probe the page now.
   */
  reportStrayError(error: unknown): void {
    if (!isClientGoneError(error)) {
      this.log.error('Unexpected error outside any request', { error: describeError(error) });
      return;
    }
    this.log.warn('The browser or page went away under a library call; checking the page now', { error: describeError(error) });
    const handle = this.lifecycle.slot.handle;
    if (handle && WATCHED_STATES.has(this.lifecycle.holder.state)) void this.lifecycle.watchdog.probeNow(handle.client);
  }
}

export type { AckSink, MessageSink, MetadataPort, SupervisorDeps };
