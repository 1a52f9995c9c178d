/**
 * The composition root: every store, the session, the sender, the webhooks, the bot, the
 * cluster and the HTTP app, wired once here. It reads no environment of its own and never
 * exits: main.ts hands it the configuration and the process hooks, and a test can build it
 * with a fake WhatsApp client and drive it over HTTP.
 */
import type { Server } from 'node:http';
import path from 'node:path';
import type { Express } from 'express';
import { BotGate } from '../bot/bot-gate';
import { COMMANDS } from '../bot/commands';
import { createDispatcher } from '../bot/dispatch-message';
import type { ClusterStatus } from '../cluster/build-cluster';
import { standbyGuard } from '../cluster/standby-guard';
import { type Clock, systemClock } from '../common/clock';
import { describeError } from '../common/errors';
import type { Config } from '../config/config';
import { sessionPaths } from '../config/session-paths';
import { DemoPhone } from '../demo/demo-phone';
import type { Simulator } from '../demo/simulator-mode';
import { createApp } from '../http/create-app';
import type { LiveSecrets } from '../logging/live-secrets';
import type { Logger } from '../logging/logger';
import { standardOutputs } from '../logging/safe-output';
import { buildMessaging, type Messaging } from '../messaging/build-messaging';
import { DaemonMetrics } from '../metrics/daemon-metrics';
import type { SessionSupervisor } from '../session/session-supervisor';
import { acquireInstanceLock } from '../storage/lock/instance-lock';
import { type InstanceLock } from '../storage/lock/held-lock';
import { LocalSessionStore } from '../storage/local-session-store';
import { SessionMetadataStore } from '../storage/session-metadata';
import { openSqliteStores } from '../storage/sqlite/open-sqlite-stores';
import { buildSession, type SessionParts } from './build-session';
import { listen } from './listen';
import { createShutdown } from './shutdown';

/** How often the picture of the saved session is refreshed, off the request path. */
const INSPECT_INTERVAL_MS = 60_000;
/** Kept from the shutdown budget for handing the lease back after the last save. */
const SHUTDOWN_RELEASE_MS = 1_000;

/** What the daemon may do to its process: main.ts passes the real ones, a test its own. */
export interface ProcessHooks {
  readonly exit: (code: number) => void;
  /** The exit code so far (non-zero after a failure). */
  readonly exitCode: () => number;
  readonly setExitCode: (code: number) => void;
}

export interface DaemonOptions extends SessionParts {
  readonly config: Config;
  /** Demo mode: the simulated WhatsApp Web, whose phone the demo page drives. */
  readonly simulator: Simulator | null;
  readonly logger: Logger;
  /** Writes out what the logger still holds: the last step of a shutdown. */
  readonly flushLogs: () => Promise<void>;
  readonly secrets: LiveSecrets;
  /** The process's environment; the browser gets only what it needs of it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The package folder (public/, scripts/). */
  readonly packageRoot: string;
  readonly process: ProcessHooks;
  readonly clock?: Clock;
}

export interface RunningDaemon {
  readonly server: Server;
  readonly port: number;
  /** The orderly stop, in reverse order of the start; exits through the process hooks. */
  readonly shutdown: (signal: string) => void;
  /** With DATABASE_URL: take the lease and start the session, or wait as a standby; nothing without. */
  readonly waitForLease: () => void;
}

export interface Daemon {
  readonly app: Express;
  readonly supervisor: SessionSupervisor;
  readonly messaging: Messaging;
  /** HTTP first, then the instance lock, then the session (or the wait for the lease). Rejects with what to fix. */
  start(): Promise<RunningDaemon>;
}

export async function buildDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config, logger, simulator } = options;
  const clock = options.clock ?? systemClock;
  const paths = sessionPaths(config.authPath, config.clientId);
  const localStore = new LocalSessionStore({ profileDir: paths.profileDir, logger, clock });
  const metadata = new SessionMetadataStore({ file: paths.metadataFile, logger });
  const routing = { urls: config.webhooks.urls, events: new Set(config.webhooks.events) };

  // A lost lease ends the process after an orderly stop (the browser first): the process
  // manager starts it again, and it waits as a standby for the lease.
  let onLeaseLost: (reason: string) => void = () => options.process.exit(1);
  // Loaded only with DATABASE_URL: without it, pg and tar cost the daemon no memory.
  const cluster =
    config.database === null
      ? null
      : // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only with DATABASE_URL, synchronously
        (require('../cluster/build-cluster') as typeof import('../cluster/build-cluster')).buildCluster({
          database: config.database,
          clientId: config.clientId,
          paths,
          routing,
          localStore,
          metadata,
          clock,
          logger,
          onLost: (reason) => onLeaseLost(reason),
        });
  if (cluster !== null) logger.info('DATABASE_URL is set: the session, the outbox and the webhook deliveries are kept in PostgreSQL');

  const session = await buildSession({ ...options, clock, paths, store: cluster?.store ?? localStore, metadata });
  const { supervisor } = session;
  const messaging = buildMessaging({
    config,
    stores: cluster?.stores ?? openSqliteStores(paths.databaseFile, routing, paths.mediaDir),
    pollMs: cluster?.pollMs ?? null,
    session: supervisor,
    clock,
    logger,
  });
  const botGate = new BotGate({
    limits: config.botLimits,
    clock,
    logger,
    readySince: () => {
      const snapshot = supervisor.snapshot();
      return snapshot.state === 'ready' ? snapshot.since.getTime() : null;
    },
  });
  const dispatch = createDispatcher({
    gate: botGate,
    commands: COMMANDS,
    prefix: config.botPrefix,
    logger,
    session: () => supervisor.snapshot(),
    // Bot replies go through the outbox too: committed, paced with API sends, in order per chat.
    reply: async (message, text) => {
      await messaging.outbox.accept({ chatId: message.chatId, text, replyTo: message.id }, 'bot');
    },
  });
  // The webhook event (and the file it names) is committed before the bot sees the message.
  supervisor.addMessageSink(async (message) => {
    await messaging.receive(message);
    await dispatch(message);
  });

  const demoPhone = simulator === null ? null : new DemoPhone(simulator, session.currentBrowser);
  const clusterStatus = cluster === null ? null : (): ClusterStatus => cluster.status();
  const metrics = new DaemonMetrics({
    session: supervisor,
    clock,
    backlog: () => messaging.backlog.current(),
    sender: messaging.sender,
    deliverer: messaging.deliverer,
    bot: botGate,
    browserMemory: session.measureBrowserMemory,
    logLinesDropped: () => standardOutputs().stdout.dropped + standardOutputs().stderr.dropped,
    ...(clusterStatus === null ? {} : { cluster: clusterStatus }),
  });

  let shuttingDown = false;
  const app = createApp({
    // A standby must not launch a browser: clears and pairing changes go to the instance holding the session.
    session: cluster === null ? supervisor : standbyGuard(supervisor, () => cluster.isHolder()),
    inspector: cluster?.store ?? localStore,
    ...(clusterStatus === null ? {} : { cluster: { status: clusterStatus } }),
    config,
    logger,
    clock,
    messaging,
    bot: botGate,
    metrics,
    simulated: simulator !== null,
    ...(demoPhone === null ? {} : { demo: { phone: demoPhone } }),
    publicDir: path.join(options.packageRoot, 'public'),
    isShuttingDown: () => shuttingDown,
  });

  async function start(): Promise<RunningDaemon> {
    // HTTP first: Render's health check and the operator get an answer long before Chromium is up.
    const server = await listen(app, config, logger);
    let lock: InstanceLock;
    try {
      lock = await acquireInstanceLock({ dir: config.authPath, clientId: config.clientId, logger });
    } catch (error) {
      server.close();
      throw error;
    }
    const stopInspecting = localStore.startAutoRefresh(INSPECT_INTERVAL_MS);
    if (cluster === null) {
      await messaging.start();
      void supervisor.start().catch((error: unknown) => logger.error('Start failed', { error: describeError(error) }));
    }

    const shutdown = createShutdown({
      logger,
      clock,
      timeoutMs: config.timeouts.shutdownMs,
      exit: options.process.exit,
      exitCode: options.process.exitCode,
      steps: {
        closeHttp: () => {
          shuttingDown = true;
          server.close();
          server.closeAllConnections();
        },
        stopBackground: stopInspecting,
        stopMessaging: () => {
          // A standby stops waiting for the lease; a takeover under way starts nothing more.
          cluster?.halt();
          return messaging.stop();
        },
        stopSession: async () => {
          await demoPhone?.close();
          await supervisor.stop();
        },
        ...(cluster === null
          ? {}
          : {
              // What is left of the budget once the browser closed, less a second to hand the
              // lease back and close: a release that the hard stop cut off would make the standby wait.
              saveSession: (remainingMs: number) => cluster.saveOnShutdown(remainingMs - SHUTDOWN_RELEASE_MS),
              releaseLease: () => cluster.release(),
            }),
        closeStorage: async () => {
          await messaging.close();
          await cluster?.close();
        },
        releaseLock: () => lock.release(),
        flushLogs: options.flushLogs,
      },
    });
    onLeaseLost = () => {
      options.process.setExitCode(1);
      // The browser first, at once: the outbox and the deliverer may be stuck on the database.
      void supervisor.stop();
      shutdown('The lost lease');
    };
    const waitForLease = (): void => {
      // A standby waits here, answering health, until the lease is free.
      void cluster?.takeOver(supervisor, messaging).catch((error: unknown) => {
        if (shuttingDown) return;
        // Only a problem no retry fixes gets here (a schema newer than this build, no permission
        // to create the tables): say it, and exit 1 so it is seen.
        logger.error(`Cannot run the session from the database: ${describeError(error)}`);
        options.process.setExitCode(1);
        shutdown('The failed takeover');
      });
    };
    const address = server.address();
    return { server, port: typeof address === 'object' && address !== null ? address.port : config.port, shutdown, waitForLease };
  }

  return { app, supervisor, messaging, start };
}
