import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { MessagingStores } from '../storage/messaging-stores';
import type { Clock } from '../common/clock';
import type { DatabaseConfig } from '../config/config';
import { whileUnavailable } from '../common/while-unavailable';
import { AppError, describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { SessionMetadata, SessionMetadataStore } from '../storage/session-metadata';
import type { LocalSessionStore } from '../storage/local-session-store';
import type { SessionPaths } from '../config/session-paths';
import { createPool, type DatabaseHealth, PgDatabase } from '../storage/postgres/pg-database';
import { PgLeaseTable } from '../storage/postgres/pg-lease-table';
import { PgMetadataMirror } from '../storage/postgres/pg-metadata-mirror';
import { PgMediaStore } from '../storage/postgres/pg-media-store';
import { PgOutboxStore } from '../storage/postgres/pg-outbox-store';
import { PgSessionVault } from '../storage/postgres/pg-session-vault';
import { PgWebhookStore } from '../storage/postgres/pg-webhook-store';
import type { WebhookRouting } from '../storage/webhook-store';
import { LeaseKeeper, type LeaseRole, type LeaseStatus } from './lease-keeper';
import { ReplicatedSessionStore } from './replicated-session-store';
import { listenForReleases } from './release-listener';
import { type BackupStatus, SessionReplica } from './session-replica';
import type { SessionSnapshot } from '../session/session-state';

export const STANDBY_MESSAGE = 'standby: another instance holds the session';

/** What health and status say about the database, the lease and the saved session. */
export interface ClusterStatus {
  readonly role: LeaseRole;
  /** One line for people, public: why health is not `pass` because of the database or the lease; null when all is well. Never a host or an error text. */
  readonly problem: string | null;
  readonly database: DatabaseHealth;
  readonly lease: LeaseStatus;
  readonly backup: BackupStatus;
}

/** What taking over drives: the supervisor, before its start. */
export interface HeldSession {
  snapshot(): SessionSnapshot;
  subscribe(listener: (snapshot: SessionSnapshot) => void): () => void;
  describeWait(message: string): void;
  adoptMetadata(metadata: SessionMetadata): void;
  start(): Promise<void>;
}

export interface ClusterOptions {
  readonly database: DatabaseConfig;
  readonly clientId: string;
  readonly paths: SessionPaths;
  readonly routing: WebhookRouting;
  readonly localStore: LocalSessionStore;
  readonly metadata: SessionMetadataStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The lease was lost while held: stop everything (the browser first). */
  readonly onLost: (reason: string) => void;
}

/** Tries at bringing the session up to date before the lease is handed back. */
const PREPARE_ATTEMPTS = 3;

/** How often messages and deliveries accepted by another instance are looked for. */
export const CLUSTER_POLL_MS = 2_000;

/**
 * Everything DATABASE_URL switches on: the stores in PostgreSQL, the lease, the saved session.
 */
export function buildCluster(options: ClusterOptions) {
  const { clientId, clock, logger } = options;
  const db = new PgDatabase({ url: options.database.url, logger, clock });
  const leasePool = createPool(options.database.url, 1, logger, 'lease', Math.floor(options.database.leaseTtlMs / 6));
  const self = `${os.hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
  let onRole: (role: LeaseRole) => void = () => undefined;
  const keeper = new LeaseKeeper({
    table: new PgLeaseTable(leasePool, clientId),
    self,
    ttlMs: options.database.leaseTtlMs,
    clock,
    logger,
    onLost: options.onLost,
    onRole: (role) => onRole(role),
  });
  const replica = new SessionReplica({
    profileDir: options.paths.profileDir,
    savedVersionFile: options.paths.savedVersionFile,
    vault: new PgSessionVault(db, clientId, logger),
    mirror: new PgMetadataMirror(db, clientId),
    metadata: options.metadata,
    fence: () => keeper.current(),
    backupIntervalMs: options.database.backupIntervalMs,
    clock,
    logger,
  });
  const webhooks = new PgWebhookStore(db, clientId, options.routing);
  const stores: MessagingStores = {
    outbox: new PgOutboxStore(db, clientId, webhooks),
    webhooks,
    media: new PgMediaStore(db, clientId),
    close: () => db.close(),
  };
  let stopWatching: (() => void) | null = null;
  let stopListening: () => Promise<void> = async () => undefined;
  let stopped = false;
  /** From just before the session starts: only then may a clear or a pairing change go through. */
  let serving = false;

  const status = (): ClusterStatus => {
    const lease = keeper.status();
    const database = db.status();
    let problem: string | null = null;
    if (lease.role === 'standby') problem = STANDBY_MESSAGE;
    else if (lease.role === 'lost') problem = 'the lease on the session was lost; stopping';
    // The cause (host, port) is for authorized callers only: `database.lastError`.
    else if (database.reachable === false) problem = 'database unreachable: the session runs on; saves and sends wait for it';
    else if (lease.role === 'connecting') problem = 'connecting to the database';
    else if (replica.status().lastError !== null)
      problem = 'the last save of the session to the database failed (the reason is in status: cluster.sessionBackup.lastError)';
    return { role: lease.role, problem, database, lease, backup: replica.status() };
  };

  return {
    stores,
    pollMs: CLUSTER_POLL_MS,
    store: new ReplicatedSessionStore(options.localStore, replica, logger),
    status,
    /** Holding the lease and past the restore: the session is this instance's to act on. */
    isHolder: (): boolean => serving && keeper.current() !== null,

    /**
     * Waits for the database and the lease (a standby waits here), makes the local profile the
     * newest saved session, then starts messaging and the session. Resolves once started;
     * rejects only when stopped first.
     */
    async takeOver(session: HeldSession, messaging: { start(): Promise<void> }): Promise<void> {
      onRole = (role) => {
        if (role === 'standby') session.describeWait(`${STANDBY_MESSAGE}; this one takes over when it stops.`);
        if (role === 'connecting') session.describeWait('Waiting for the database (DATABASE_URL).');
      };
      session.describeWait('Connecting to the database (DATABASE_URL).');
      await db.ready();
      stopListening = await listenForReleases(options.database.url, clientId, () => keeper.wake(), logger);
      try {
        await keeper.acquire();
      } finally {
        await stopListening();
      }
      session.describeWait('Holding the lease: bringing the session up to date from the database.');
      for (let attempt = 1, delayMs = 1_000; ; attempt++, delayMs = Math.min(delayMs * 2, 10_000)) {
        if (stopped || keeper.current() === null) throw new Error('stopped before the session was taken over');
        try {
          const adopted = await replica.prepare();
          if (adopted !== null) session.adoptMetadata(adopted);
          break;
        } catch (error) {
          // The database away is waited out (the lease ends by itself if it stays away); anything
          // else (a full disk, an archive that will not unpack) is given up after a few tries, so
          // the lease goes back and another instance may do better.
          const unavailable = error instanceof AppError && error.code === 'DATABASE_UNAVAILABLE';
          if (!unavailable && attempt >= PREPARE_ATTEMPTS) throw error;
          logger.warn('Could not bring the session up to date from the database; trying again', { error: describeError(error) });
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
      }
      if (stopped) throw new Error('stopped before the session was taken over');
      stopWatching = replica.watch(session);
      await whileUnavailable(() => messaging.start(), clock, 60_000);
      if (stopped) throw new Error('stopped before the session was taken over');
      serving = true;
      await session.start();
    },

    /** Shutdown has begun: stop waiting for the lease, start nothing more. */
    halt(): void {
      stopped = true;
      keeper.stopAcquiring();
    },

    /** Shutdown, after the browser closed: the last save, bounded. */
    saveOnShutdown: (timeoutMs: number): Promise<void> => {
      stopWatching?.();
      return replica.saveOnShutdown(timeoutMs);
    },

    /** Hands the lease back (or stops asking for it, as a standby). */
    async release(): Promise<void> {
      stopped = true;
      await keeper.release();
    },

    async close(): Promise<void> {
      stopped = true;
      keeper.stop();
      await Promise.allSettled([stopListening(), leasePool.end(), db.close()]);
    },
  };
}

export type Cluster = ReturnType<typeof buildCluster>;
