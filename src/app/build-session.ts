import { BrowserBinaries } from '../chromium/browser-binaries';
import { browserEnvironment } from '../chromium/browser-env';
import { chromiumArgs } from '../chromium/chromium-flags';
import { findProfileProcesses } from '../chromium/chromium-processes';
import { browserLaunch } from '../chromium/die-with-daemon';
import { LocalProfileGuard } from '../chromium/local-profile-guard';
import { measureProcesses } from '../chromium/process-memory';
import type { ProfileGuard } from '../chromium/profile-guard';
import type { Clock } from '../common/clock';
import type { Config } from '../config/config';
import { browserBinaries, findBrowser, type FoundBrowser } from '../config/find-browser';
import { puppeteerDownload } from '../config/puppeteer-download';
import type { SessionPaths } from '../config/session-paths';
import type { LiveSecrets } from '../logging/live-secrets';
import type { Logger } from '../logging/logger';
import { SessionSupervisor } from '../session/session-supervisor';
import type { SessionMetadataStore } from '../storage/session-metadata';
import type { SessionStore } from '../storage/session-info';
import { wwebjsClientFactory } from '../whatsapp/client-factory';
import type { WaClientFactory } from '../whatsapp/wa-client';
import type { WwebjsClient } from '../whatsapp/wwebjs-client';
import { createCodeAnnouncer, createQrAnnouncer } from './announce-qr';

/** What runs the WhatsApp session; tests replace the client (no browser) and the guard. */
export interface SessionParts {
  /** Makes each WhatsApp client; by default whatsapp-web.js in the browser found. */
  readonly createClient?: WaClientFactory;
  /** Keeps the profile launchable; by default ends leftover Chromium processes of ours. */
  readonly guard?: ProfileGuard;
  /** The browser's memory (PSS, bytes); by default measured from /proc. */
  readonly measureBrowserMemory?: () => Promise<number>;
}

export interface SessionOptions extends SessionParts {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly secrets: LiveSecrets;
  /** The daemon's own environment; the browser gets only what it needs of it (no secrets). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly packageRoot: string;
  readonly paths: SessionPaths;
  /** The saved session: the local profile, or its replica in PostgreSQL. */
  readonly store: SessionStore;
  readonly metadata: SessionMetadataStore;
}

export interface BuiltSession {
  readonly supervisor: SessionSupervisor;
  readonly measureBrowserMemory: () => Promise<number>;
  /** The browser of the client in service, while one runs (the demo's phone drives it). */
  readonly currentBrowser: () => ReturnType<WwebjsClient['browser']>;
}

/** The session supervisor and what it stands on: the browser, the profile, its metadata. */
export async function buildSession(options: SessionOptions): Promise<BuiltSession> {
  const { config, clock, logger, paths, metadata } = options;
  let latestClient: WwebjsClient | null = null;
  let createClient = options.createClient;
  let guard = options.guard;
  let measureBrowserMemory = options.measureBrowserMemory;

  if (createClient === undefined || guard === undefined || measureBrowserMemory === undefined) {
    const browser = findBrowserOrThrow(config, logger);
    const binaries = await BrowserBinaries.load(paths.browserFile, browserBinaries(browser.path), logger);
    // The only processes the daemon ever signals or measures: our user's, running our browser.
    const ours = { uid: process.getuid?.() ?? 0, executables: () => binaries.list() };
    guard ??= new LocalProfileGuard({ profileDir: paths.profileDir, logger, only: ours });
    measureBrowserMemory ??= async () => (await measureProcesses((await findProfileProcesses(paths.profileDir, ours)).map((p) => p.pid))).pss;
    if (createClient === undefined) {
      const launch = browserLaunch(browser.path, browserEnvironment(options.env), options.packageRoot);
      if (!launch.diesWithDaemon) logger.debug('setpriv not found: a browser orphaned by kill -9 is ended at the next start instead');
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
        onBrowserProcess: (pid) => void binaries.learn(pid),
      });
      createClient = async (perClient) => (latestClient = await makeClient(perClient));
    }
  }

  const supervisor = new SessionSupervisor({
    config,
    clock,
    logger,
    guard,
    store: options.store,
    metadata,
    // Read before HTTP answers: status never says "nobody is paired" before it has looked.
    initialMetadata: await metadata.read(),
    createClient,
    measureBrowserMemory,
    onQr: createQrAnnouncer({ secrets: options.secrets, logger, printToLog: config.qrInLogs }),
    onCode: createCodeAnnouncer({ secrets: options.secrets, logger, printToLog: config.qrInLogs }),
  });
  return { supervisor, measureBrowserMemory, currentBrowser: () => latestClient?.browser() ?? null };
}

function findBrowserOrThrow(config: Config, logger: Logger): FoundBrowser {
  const found = findBrowser({ explicit: config.chromePath, mode: config.browserMode, puppeteerBrowser: puppeteerDownload });
  const kind = found.mode === 'shell' ? 'headless shell' : 'full Chromium';
  logger.info(`Using browser ${found.path} (${kind}, ${found.source === 'CHROME_PATH' ? 'from CHROME_PATH' : found.source})`);
  if (found.warning !== null) logger.warn(found.warning);
  return found;
}
