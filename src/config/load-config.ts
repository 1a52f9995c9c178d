import path from 'node:path';
import { normalizePhoneNumber } from '../common/phone-number';
import type { Config } from './config';
import { ConfigError } from './config-error';
import { EnvReader } from './env-reader';
import { readBotLimits } from './read-bot';
import { readDatabaseConfig } from './read-database';
import { readMediaConfig, readSendConfig, readWebhookConfig } from './read-messaging';
import { LOG_LEVELS } from '../logging/log-levels';
import { sessionPaths } from './session-paths';

const CLIENT_ID_PATTERN = /^[-_\w]+$/;
/** WhatsApp Web builds: 2.3000.1017054665, sometimes with a -alpha or -beta suffix. */
const WEB_VERSION_PATTERN = /^\d+\.\d+\.\d+(-(alpha|beta))?$/;
/** Long enough that guessing it over HTTP is hopeless. */
const MIN_ADMIN_TOKEN_LENGTH = 16;
const HOUR_MS = 3_600_000;

export interface LoadConfigOptions {
  /** Relative paths resolve against this; main passes `process.cwd()`. */
  readonly cwd: string;
}

/**
 * Builds the frozen configuration from an environment map. Pure: it reads no files and
 * no globals, so tests pass a plain object. Throws `ConfigError` listing every problem.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, options: LoadConfigOptions): Config {
  const read = new EnvReader(env);

  const port = read.integer('PORT', 3000, 0, 65535, 'To resolve, set PORT to a free port, e.g. PORT=3000.');
  const host = read.string('HOST', '0.0.0.0');

  const clientId = read.string('CLIENT_ID', 'wa-tether');
  if (!CLIENT_ID_PATTERN.test(clientId)) {
    read.fail(`CLIENT_ID may contain only letters, digits, "_" and "-" (got "${clientId}"). To resolve, set e.g. CLIENT_ID=my-bot.`);
  }

  const authPath = path.resolve(options.cwd, read.string('AUTH_PATH', './.wwebjs_auth'));
  const webCachePath = path.resolve(options.cwd, read.string('WEB_CACHE_PATH', './.wwebjs_cache'));

  const webVersion = read.raw('WEB_VERSION') ?? null;
  if (webVersion !== null && !WEB_VERSION_PATTERN.test(webVersion)) {
    read.fail(`WEB_VERSION must look like 2.3000.1017054665 (got "${webVersion}"). To resolve, unset it to use the library's default.`);
  }
  const webVersionRemotePath = read.raw('WEB_VERSION_REMOTE_PATH') ?? null;
  if (webVersionRemotePath !== null) {
    if (!/^https?:\/\/\S+$/.test(webVersionRemotePath) || !webVersionRemotePath.includes('{version}')) {
      read.fail(
        `WEB_VERSION_REMOTE_PATH must be an http(s) URL with {version} in it (got "${webVersionRemotePath}"), e.g. https://example.com/wa-version/html/{version}.html.`,
      );
    }
    if (webVersion === null) {
      read.fail('WEB_VERSION_REMOTE_PATH needs WEB_VERSION: the build to fetch. To resolve, set WEB_VERSION to a version the archive holds.');
    }
  }

  const adminToken = read.raw('ADMIN_TOKEN') ?? null;
  if (adminToken !== null && adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    read.fail(`ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters. To resolve, generate one with: openssl rand -hex 24`);
  }
  const apiToken = read.raw('API_TOKEN') ?? null;
  if (apiToken !== null && apiToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    read.fail(`API_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters. To resolve, generate one with: openssl rand -hex 24`);
  }
  if (apiToken !== null && apiToken === adminToken) {
    read.fail(
      'API_TOKEN must differ from ADMIN_TOKEN: an application given the API token must not be able to clear the session. To resolve, generate another one.',
    );
  }
  const metricsToken = read.raw('METRICS_TOKEN') ?? null;
  if (metricsToken !== null && metricsToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    read.fail(`METRICS_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters. To resolve, generate one with: openssl rand -hex 24`);
  }
  if (metricsToken !== null && (metricsToken === adminToken || metricsToken === apiToken)) {
    read.fail(
      'METRICS_TOKEN must differ from ADMIN_TOKEN and API_TOKEN: a scraper holding it must not be able to send or clear. To resolve, generate another one.',
    );
  }

  const pairingRaw = read.raw('PAIRING_PHONE_NUMBER') ?? null;
  const pairingPhoneNumber = pairingRaw === null ? null : normalizePhoneNumber(pairingRaw);
  if (pairingRaw !== null && pairingPhoneNumber === null) {
    read.fail(
      `PAIRING_PHONE_NUMBER must be the account's phone number with its country code, e.g. +1 555 000 1111 (got "${pairingRaw.slice(0, 40)}"). To resolve, fix it, or unset it to pair by QR.`,
    );
  }

  const baseMs = read.integer('RECONNECT_BASE_MS', 5_000, 100, HOUR_MS, 'The first reconnect delay; default 5000.');
  const maxMs = read.integer('RECONNECT_MAX_MS', 30_000, 100, HOUR_MS, 'The reconnect delay cap; default 30000.');
  if (maxMs < baseMs) read.fail(`RECONNECT_MAX_MS (${maxMs}) must not be below RECONNECT_BASE_MS (${baseMs}).`);

  const watchdogIntervalMs = read.integer('WATCHDOG_INTERVAL_MS', 30_000, 1_000, HOUR_MS, 'How often a ready page is probed.');
  const watchdogTimeoutMs = read.integer('WATCHDOG_TIMEOUT_MS', 10_000, 100, HOUR_MS, 'How long a probe may take.');
  const shutdownMs = read.integer('SHUTDOWN_TIMEOUT_MS', 8_000, 500, 25_000, 'Render sends SIGKILL about 30 s after SIGTERM; stay well under it.');

  const config: Config = {
    port,
    host,
    clientId,
    authPath,
    sessionDir: sessionPaths(authPath, clientId).profileDir,
    webCachePath,
    webVersion,
    webCacheStrict: read.boolean('WEB_CACHE_STRICT', false),
    webVersionRemotePath,
    chromePath: read.raw('CHROME_PATH') ?? read.raw('PUPPETEER_EXECUTABLE_PATH') ?? null,
    browserMode: read.oneOf('BROWSER_MODE', ['shell', 'full'] as const, 'shell'),
    chromiumArgs: splitArgs(read.raw('CHROMIUM_ARGS')),
    adminToken,
    apiToken,
    metricsToken,
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: read.oneOf('LOG_FORMAT', ['json', 'pretty'] as const, 'pretty'),
    qrInLogs: read.boolean('QR_IN_LOGS', true),
    simulator: read.boolean('WA_SIMULATOR', false),
    pairingPhoneNumber,
    pairingCodeIntervalMs: read.integer(
      'PAIRING_CODE_INTERVAL_MS',
      180_000,
      5_000,
      HOUR_MS,
      "How often a new code is issued while unpaired; WhatsApp's own is 3 minutes.",
    ),
    takeoverOnConflict: read.boolean('TAKEOVER_ON_CONFLICT', false),
    takeoverTimeoutMs: read.integer('TAKEOVER_TIMEOUT_MS', 0, 0, HOUR_MS, 'Delay before taking over a CONFLICT.'),
    reconnect: {
      baseMs,
      maxMs,
      maxAttempts: read.integer('RECONNECT_MAX_ATTEMPTS', 10, 0, 1_000_000, '0 means never give up.'),
    },
    timeouts: {
      startMs: read.integer('START_TIMEOUT_MS', 120_000, 1_000, HOUR_MS, 'Launch to QR or authenticated.'),
      readyMs: read.integer('READY_TIMEOUT_MS', 90_000, 1_000, HOUR_MS, 'Authenticated to ready.'),
      watchdogIntervalMs,
      watchdogTimeoutMs,
      shutdownMs,
    },
    browserMemoryLimitMb: read.integer('BROWSER_MEMORY_LIMIT_MB', 0, 0, 1_000_000, '0 turns the memory watchdog off.'),
    botPrefix: read.string('BOT_PREFIX', '!'),
    botLimits: readBotLimits(read),
    send: readSendConfig(read),
    media: readMediaConfig(read),
    webhooks: readWebhookConfig(read),
    database: readDatabaseConfig(read),
  };

  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return deepFreeze(config);
}

/** Splits CHROMIUM_ARGS on whitespace; quoting is not supported, flags never need spaces here. */
function splitArgs(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/\s+/).filter((arg) => arg.length > 0);
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child !== null && typeof child === 'object') deepFreeze(child as object);
  }
  return Object.freeze(value);
}
