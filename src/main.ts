/**
 * The daemon's entry point: the only file that reads process.env, listens, handles signals and
 * exits. Everything it wires together takes its dependencies as arguments.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import dotenv from 'dotenv';
import { createShutdown } from './app/shutdown';
import { standbyGuard } from './cluster/standby-guard';
import { openSqliteStores } from './storage/sqlite/open-sqlite-stores';
import { createCodeAnnouncer, createQrAnnouncer } from './app/announce-qr';
import { buildMessaging } from './app/build-messaging';
import { installSafetyNets } from './app/safety-nets';
import { BotGate } from './bot/bot-gate';
import { createDispatcher } from './bot/dispatch-message';
import { COMMANDS } from './bot/commands';
import { browserEnvironment } from './chromium/browser-env';
import { browserLaunch } from './chromium/die-with-daemon';
import { chromiumArgs } from './chromium/chromium-flags';
import { findProfileProcesses } from './chromium/chromium-processes';
import { LocalProfileGuard } from './chromium/local-profile-guard';
import { measureProcesses } from './chromium/process-memory';
import { systemClock } from './common/clock';
import { findPackageRoot } from './common/package-root';
import type { Config } from './config/config';
import { ConfigError } from './config/config-error';
import { browserBinaries, findBrowser, type FoundBrowser } from './config/find-browser';
import { loadConfig } from './config/load-config';
import { puppeteerDownload } from './config/puppeteer-download';
import { AppError, describeError } from './errors';
import { createApp } from './http/create-app';
import { createHttpServer } from './http/http-server';
import { createLogger } from './logging/create-logger';
import { LiveSecrets } from './logging/live-secrets';
import { standardOutputs } from './logging/safe-output';
import { DaemonMetrics } from './metrics/daemon-metrics';
import { DemoPhone } from './demo/demo-phone';
import { loadSimulator, type Simulator, simulatorConfig } from './demo/simulator-mode';
import type { Logger } from './logging/logger';
import { SessionSupervisor } from './session/session-supervisor';
import { acquireInstanceLock, type InstanceLock } from './storage/instance-lock';
import { LocalSessionStore } from './storage/local-session-store';
import { SessionMetadataStore } from './storage/session-metadata';
import { sessionPaths } from './storage/session-paths';
import { wwebjsClientFactory } from './whatsapp/client-factory';
import type { WwebjsClient } from './whatsapp/wwebjs-client';

/** How often the picture of the saved session is refreshed, off the request path. */
const INSPECT_INTERVAL_MS = 60_000;
/** Kept from the shutdown budget for handing the lease back after the last save. */
const SHUTDOWN_RELEASE_MS = 1_000;
/** A signal that arrives while the daemon starts ends it this long after, orderly or not. */
const EARLY_SIGNAL_EXIT_MS = 20_000;
/** `public/` at the package root, whether this runs from `src/` (tsx) or `dist/src/`. */
const PUBLIC_DIR = path.join(findPackageRoot(__dirname), 'public');

async function main(): Promise<void> {
  // Listen for signals before anything else: once HTTP answers, a message can be accepted, and
  // a SIGTERM with no handler yet would end the process without the orderly stop. Until the
  // shutdown is built, a signal is held and acted on as soon as it is.
  let shutdown: ((signal: string) => void) | null = null;
  let pendingSignal: NodeJS.Signals | null = null;
  let startHung: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shutdown) return shutdown(signal);
    if (pendingSignal !== null) return;
    pendingSignal = signal;
    // Should the start itself hang, the signal must still end the process.
    startHung = setTimeout(() => process.exit(1), EARLY_SIGNAL_EXIT_MS).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // Everything the daemon and its browser create (the profile with the WhatsApp keys, the
  // database, the lock, the metadata) is for this user alone, whatever the shell's umask.
  process.umask(0o077);

  dotenv.config({ quiet: true });
  const configured = readConfigOrExit();
  const secrets = new LiveSecrets([
    configured.adminToken,
    configured.apiToken,
    configured.metricsToken,
    configured.webhooks.secret,
    configured.database?.url ?? null,
    databasePassword(configured.database?.url ?? null),
  ]);
  const logger = createLogger({ level: configured.logLevel, format: configured.logFormat, secrets: () => secrets.list() });
  const simulator = configured.simulator ? loadSimulatorOrExit(logger) : null;
  const config = simulator === null ? configured : await simulatorConfig(configured, simulator);
  if (simulator !== null) {
    logger.warn(
      `DEMO MODE (WA_SIMULATOR=true): WhatsApp is simulated, no real account is involved. Session ${config.clientId} in ${config.authPath}; the simulated phone is at /demo/phone.`,
    );
  }
  const browser = findBrowserOrExit(config, logger);
  const paths = sessionPaths(config.authPath, config.clientId);
  // The only processes the daemon ever signals or measures: our user's, running our browser.
  const ours = { uid: process.getuid?.() ?? 0, executables: browserBinaries(browser.path) };

  const launch = browserLaunch(browser.path, browserEnvironment(process.env), findPackageRoot(__dirname));
  if (!launch.diesWithDaemon) logger.debug('setpriv not found: a browser orphaned by kill -9 is ended at the next start instead');
  const measureBrowserMemory = async (): Promise<number> =>
    (await measureProcesses((await findProfileProcesses(paths.profileDir, ours)).map((p) => p.pid))).pss;
  const makeClient = wwebjsClientFactory({
    clientId: config.clientId,
    authPath: config.authPath,
    webCachePath: config.webCachePath,
    webVersion: config.webVersion,
    webCacheStrict: config.webCacheStrict,
    webVersionRemotePath: config.webVersionRemotePath,
    executablePath: launch.executablePath,
    browserMode: browser.mode,
    args: chromiumArgs(config.chromiumArgs, process.getuid?.() === 0),
    env: launch.env,
    takeoverOnConflict: config.takeoverOnConflict,
    takeoverTimeoutMs: config.takeoverTimeoutMs,
    pairingCodeIntervalMs: config.pairingCodeIntervalMs,
  });
  let latestClient: WwebjsClient | null = null;
  const localStore = new LocalSessionStore({ profileDir: paths.profileDir, logger, clock: systemClock });
  const metadata = new SessionMetadataStore({ file: paths.metadataFile, logger });
  const routing = { urls: config.webhooks.urls, events: new Set(config.webhooks.events) };
  // A lost lease ends the process after an orderly stop (the browser first): the process
  // manager starts it again, and it waits as a standby for the lease.
  let onLeaseLost: (reason: string) => void = () => process.exit(1);
  // Loaded only with DATABASE_URL: without it, pg and tar cost the daemon no memory.
  const cluster =
    config.database === null
      ? null
      : (require('./cluster/build-cluster') as typeof import('./cluster/build-cluster')).buildCluster({
          database: config.database,
          clientId: config.clientId,
          paths,
          routing,
          localStore,
          metadata,
          clock: systemClock,
          logger,
          onLost: (reason) => onLeaseLost(reason),
        });
  if (cluster !== null) logger.info('DATABASE_URL is set: the session, the outbox and the webhook deliveries are kept in PostgreSQL');
  const store = cluster?.store ?? localStore;
  const supervisor = new SessionSupervisor({
    config,
    clock: systemClock,
    logger,
    guard: new LocalProfileGuard({ profileDir: paths.profileDir, logger, only: ours }),
    store,
    metadata,
    // Read before HTTP answers: status never says "nobody is paired" before it has looked.
    initialMetadata: await metadata.read(),
    // The demo's phone drives the simulated page through the client's own browser.
    createClient: async (options) => (latestClient = await makeClient(options)),
    measureBrowserMemory,
    onQr: createQrAnnouncer({ secrets, logger, printToLog: config.qrInLogs }),
    onCode: createCodeAnnouncer({ secrets, logger, printToLog: config.qrInLogs }),
  });
  const messaging = buildMessaging({
    config,
    stores: cluster?.stores ?? openSqliteStores(paths.databaseFile, routing),
    pollMs: cluster?.pollMs ?? null,
    session: supervisor,
    clock: systemClock,
    logger,
  });
  const botGate = new BotGate({
    limits: config.botLimits,
    clock: systemClock,
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
  // The webhook event is committed before the bot sees the message.
  supervisor.addMessageSink(async (message) => {
    await messaging.events.incoming(message);
    await dispatch(message);
  });

  const demoPhone = simulator === null ? null : new DemoPhone(simulator, () => latestClient?.browser() ?? null);
  const metrics = new DaemonMetrics({
    session: supervisor,
    clock: systemClock,
    backlog: () => messaging.backlog.current(),
    sender: messaging.sender,
    deliverer: messaging.deliverer,
    bot: botGate,
    browserMemory: measureBrowserMemory,
    logLinesDropped: () => standardOutputs().stdout.dropped + standardOutputs().stderr.dropped,
    ...(cluster === null ? {} : { cluster: () => cluster.status() }),
  });

  // HTTP first: Render's health check and the operator get an answer long before Chromium is up.
  let shuttingDown = false;
  const app = createApp({
    // A standby must not launch a browser: clears and pairing changes go to the instance holding the session.
    session: cluster === null ? supervisor : standbyGuard(supervisor, () => cluster.isHolder()),
    inspector: store,
    ...(cluster === null ? {} : { cluster: { status: () => cluster.status() } }),
    config,
    logger,
    clock: systemClock,
    messaging,
    bot: botGate,
    metrics,
    simulated: simulator !== null,
    ...(demoPhone === null ? {} : { demo: { phone: demoPhone } }),
    publicDir: PUBLIC_DIR,
    isShuttingDown: () => shuttingDown,
  });
  const server = await listen(app, config, logger);

  let lock: InstanceLock;
  try {
    lock = await acquireInstanceLock({ dir: config.authPath, clientId: config.clientId, logger });
  } catch (error) {
    exitWith(logger, error, server);
  }

  const stopInspecting = localStore.startAutoRefresh(INSPECT_INTERVAL_MS);
  if (cluster === null) {
    await messaging.start();
    void supervisor.start().catch((error: unknown) => logger.error('Start failed', { error: describeError(error) }));
  }

  shutdown = createShutdown({
    logger,
    clock: systemClock,
    timeoutMs: config.timeouts.shutdownMs,
    exit: (code) => process.exit(code),
    exitCode: () => (typeof process.exitCode === 'number' ? process.exitCode : 0),
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
            saveSession: (remainingMs) => cluster.saveOnShutdown(remainingMs - SHUTDOWN_RELEASE_MS),
            releaseLease: () => cluster.release(),
          }),
      closeStorage: async () => {
        await messaging.close();
        await cluster?.close();
      },
      releaseLock: () => lock.release(),
      flushLogs: () => new Promise<void>((resolve) => logger.end(resolve)),
    },
  });
  onLeaseLost = () => {
    process.exitCode = 1;
    // The browser first, at once: the outbox and the deliverer may be stuck on the database.
    void supervisor.stop();
    shutdown?.('The lost lease');
  };
  installSafetyNets(process, supervisor, logger, shutdown);
  clearTimeout(startHung);
  if (pendingSignal !== null) return shutdown(pendingSignal);
  // A standby waits here, answering health, until the lease is free.
  void cluster?.takeOver(supervisor, messaging).catch((error: unknown) => {
    if (shuttingDown) return;
    // Only a problem no retry fixes gets here (a schema newer than this build, no permission
    // to create the tables): say it, and exit 1 so it is seen.
    logger.error(`Cannot run the session from the database: ${describeError(error)}`);
    process.exitCode = 1;
    shutdown?.('The failed takeover');
  });
}

/** The password in a DATABASE_URL, so it is redacted even where it appears alone. */
function databasePassword(url: string | null): string | null {
  if (url === null) return null;
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === '' ? null : password;
  } catch {
    return null;
  }
}

function loadSimulatorOrExit(logger: Logger): Simulator {
  try {
    return loadSimulator();
  } catch (error) {
    exitWith(logger, error);
  }
}

function readConfigOrExit(): Config {
  try {
    return loadConfig(process.env, { cwd: process.cwd() });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

function findBrowserOrExit(config: Config, logger: Logger): FoundBrowser {
  try {
    const found = findBrowser({ explicit: config.chromePath, mode: config.browserMode, puppeteerBrowser: puppeteerDownload });
    const kind = found.mode === 'shell' ? 'headless shell' : 'full Chromium';
    logger.info(`Using browser ${found.path} (${kind}, ${found.source === 'CHROME_PATH' ? 'from CHROME_PATH' : found.source})`);
    if (found.warning !== null) logger.warn(found.warning);
    return found;
  } catch (error) {
    exitWith(logger, error);
  }
}

function listen(app: ReturnType<typeof createApp>, config: Config, logger: Logger): Promise<Server> {
  return new Promise((resolve) => {
    const server = createHttpServer(app).listen(config.port, config.host);
    server.once('listening', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.port;
      logger.info(`HTTP listening on http://${config.host}:${port} (admin page: /qr, health: /api/health)`);
      resolve(server);
    });
    server.once('error', (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'EADDRINUSE'
          ? `Port ${config.port} on ${config.host} is already in use. To resolve, stop the other process or set PORT to a free port.`
          : `Cannot listen on ${config.host}:${config.port}: ${error.message}`;
      exitWith(logger, new AppError('INTERNAL', message));
    });
  });
}

/** A problem no retry can fix: one line that says what to do, then exit 1 so it is seen. */
function exitWith(logger: Logger, error: unknown, server?: Server): never {
  logger.error(describeError(error));
  server?.close();
  // stdout is synchronous for files and pipes on Linux, so the line is written by now.
  process.exit(1);
}

void main().catch((error: unknown) => {
  process.stderr.write(`wa-tether failed to start: ${describeError(error)}\n`);
  process.exit(1);
});
