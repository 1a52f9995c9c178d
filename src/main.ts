/**
 * The daemon's entry point: the only file that reads process.env, listens, handles
 * signals and exits. Everything it wires together takes its dependencies as arguments.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import dotenv from 'dotenv';
import QRCode from 'qrcode';
import { createDispatcher } from './bot/dispatch-message';
import { COMMANDS } from './bot/commands';
import type { Config } from './config/config';
import { ConfigError } from './config/config-error';
import { findBrowser } from './config/find-browser';
import { loadConfig } from './config/load-config';
import { AppError, describeError } from './errors';
import { createApp } from './http/create-app';
import { createLogger } from './logging/create-logger';
import type { Logger } from './logging/logger';
import { chromiumArgs } from './chromium/chromium-flags';
import { findProfileProcesses } from './chromium/chromium-processes';
import { isClientGoneError } from './whatsapp/client-gone';
import { systemClock } from './session/clock';
import { acquireInstanceLock, type InstanceLock } from './storage/instance-lock';
import { LocalProfileGuard } from './chromium/local-profile-guard';
import { measureProcesses } from './chromium/process-memory';
import { ProfileInspector } from './storage/profile-inspector';
import { metadataPathFor, SessionMetadataStore } from './storage/session-metadata';
import { SessionSupervisor } from './session/session-supervisor';
import type { CurrentQr } from './session/session-state';
import type { WaClientFactory } from './whatsapp/wa-client';
import type { WwebjsClientOptions } from './whatsapp/wwebjs-client';

/** How often the on-disk picture of the profile is refreshed, off the request path. */
const INSPECT_INTERVAL_MS = 60_000;
/** `public/` at the package root, whether this runs from `src/` (tsx) or `dist/src/`. */
const PUBLIC_DIR = path.join(findPackageRoot(__dirname), 'public');

async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  const config = readConfigOrExit();
  let currentQr: string | null = null;
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    secrets: () => [config.adminToken, currentQr].filter((s): s is string => s !== null),
  });
  const browser = findBrowserOrExit(config, logger);

  const inspector = new ProfileInspector({ profileDir: config.sessionDir, logger });
  const metadata = new SessionMetadataStore({ file: metadataPathFor(config.authPath, config.clientId), logger });
  const guard = new LocalProfileGuard({ profileDir: config.sessionDir, logger });
  const dispatch = createDispatcher(COMMANDS, config.botPrefix, logger);
  const supervisor = new SessionSupervisor({
    config,
    clock: systemClock,
    logger,
    guard,
    metadata,
    inspector,
    createClient: lazyWwebjsFactory({
      clientId: config.clientId,
      authPath: config.authPath,
      webCachePath: config.webCachePath,
      webVersion: config.webVersion,
      webCacheStrict: config.webCacheStrict,
      webVersionRemotePath: config.webVersionRemotePath,
      executablePath: browser,
      args: chromiumArgs(config.chromiumArgs, process.getuid?.() === 0),
      takeoverOnConflict: config.takeoverOnConflict,
      takeoverTimeoutMs: config.takeoverTimeoutMs,
    }),
    onMessage: (message) => void dispatch(message),
    measureBrowserMemory: async () =>
      (await measureProcesses((await findProfileProcesses(config.sessionDir)).map((p) => p.pid))).pss,
    onQr: (qr) => {
      currentQr = qr.payload;
      if (config.qrInLogs) void printQr(qr, logger);
    },
  });

  installSafetyNets(supervisor, logger);

  // HTTP first: Render's health check and the operator get an answer long before Chromium is up.
  let shuttingDown = false;
  const app = createApp({
    session: supervisor,
    inspector,
    config,
    logger,
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

  const stopInspecting = inspector.startAutoRefresh(INSPECT_INTERVAL_MS);
  void inspector.refresh().catch(() => undefined);
  void supervisor.start().catch((error: unknown) => logger.error('Start failed', { error: describeError(error) }));

  const shutdown = (signal: string): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info(`${signal} received: shutting down (the session is kept)`);
    const hardStop = setTimeout(() => {
      logger.error(`Shutdown took longer than ${config.timeouts.shutdownMs} ms; exiting anyway`);
      process.exit(1);
    }, config.timeouts.shutdownMs);
    // Reverse order of start, each step guarded: stop taking requests, close the browser,
    // release the lock, flush the log.
    void (async () => {
      server.close();
      server.closeAllConnections();
      stopInspecting();
      await supervisor.stop().catch((error: unknown) => logger.error('Stopping the session failed', { error: describeError(error) }));
      await lock.release().catch(() => undefined);
      clearTimeout(hardStop);
      logger.info('Stopped');
      // Flush the logger last; exit even if a transport never reports back. The exit code
      // stays non-zero after a crash so a process manager that restarts on failure does.
      const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
      logger.on('finish', () => process.exit(code));
      logger.end();
      setTimeout(() => process.exit(code), 200);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
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

function findBrowserOrExit(config: Config, logger: Logger): string {
  try {
    const found = findBrowser({ explicit: config.chromePath, puppeteerBrowser: puppeteerDownload });
    logger.info(`Using browser ${found.path} (${found.source})`);
    return found.path;
  } catch (error) {
    exitWith(logger, error);
  }
}

/**
 * whatsapp-web.js (with puppeteer) takes about half a second and 30 MB to load: it is loaded
 * when the first client is made, after the HTTP server answers, not at start.
 */
function lazyWwebjsFactory(options: WwebjsClientOptions): WaClientFactory {
  let factory: WaClientFactory | null = null;
  return () => {
    factory ??= (require('./whatsapp/wwebjs-client') as typeof import('./whatsapp/wwebjs-client')).wwebjsClientFactory(options);
    return factory();
  };
}

function puppeteerDownload(): string | null {
  try {
    // Only reached when no system browser exists, so the load is paid only then.
    const puppeteer = (require('puppeteer') as typeof import('puppeteer')).default;
    return puppeteer.executablePath();
  } catch {
    return null;
  }
}

function listen(app: ReturnType<typeof createApp>, config: Config, logger: Logger): Promise<Server> {
  return new Promise((resolve) => {
    const server = app.listen(config.port, config.host);
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

async function printQr(qr: CurrentQr, logger: Logger): Promise<void> {
  try {
    const art = await QRCode.toString(qr.payload, { type: 'terminal', small: true });
    logger.info(`Scan this QR with WhatsApp (Settings > Linked devices > Link a device), or open /qr:\n${art}`);
  } catch (error) {
    logger.warn('Could not render the QR for the log', { error: describeError(error) });
  }
}

/**
 * The last line of defence: whatsapp-web.js rejects promises nobody awaits (e.g. a
 * `destroy()` after CONFLICT, a takeover on a closed page). Those become state, not a crash.
 */
function installSafetyNets(supervisor: SessionSupervisor, logger: Logger): void {
  process.on('unhandledRejection', (reason) => supervisor.reportStrayError(reason));
  process.on('uncaughtException', (error) => {
    if (isClientGoneError(error)) {
      supervisor.reportStrayError(error);
      return;
    }
    logger.error('Uncaught exception: exiting so the process manager restarts a clean daemon', {
      error: describeError(error),
    });
    process.exitCode = 1;
    process.kill(process.pid, 'SIGTERM');
  });
}

function findPackageRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
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
