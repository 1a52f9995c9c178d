/**
 * The daemon's process: the only file that reads process.env, handles signals and exits. It
 * reads the configuration, has the composition root (app/build-daemon.ts) build the daemon,
 * and turns what goes wrong into one line and an exit code.
 */
import { buildDaemon, type RunningDaemon } from './app/build-daemon';
import { withDemoMode } from './app/demo-mode';
import { installSafetyNets } from './app/safety-nets';
import { describeError } from './common/errors';
import { findPackageRoot } from './common/package-root';
import type { Config } from './config/config';
import { ConfigError } from './config/config-error';
import { loadConfig } from './config/load-config';
import { loadEnvFile } from './config/load-env-file';
import { createLogger } from './logging/create-logger';
import { LiveSecrets } from './logging/live-secrets';
import type { Logger } from './logging/logger';

/** A signal that arrives while the daemon starts ends it this long after, orderly or not. */
const EARLY_SIGNAL_EXIT_MS = 20_000;

async function main(): Promise<void> {
  // Listen for signals before anything else: once HTTP answers, a message can be accepted, and
  // a SIGTERM with no handler yet would end the process without the orderly stop. Until the
  // daemon runs, a signal is held and acted on as soon as it does.
  let running: RunningDaemon | null = null;
  let pendingSignal: NodeJS.Signals | null = null;
  let startHung: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (running) return running.shutdown(signal);
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

  loadEnvFile(process.env);
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
  const { config, simulator } = await withDemoMode(configured, logger).catch((error: unknown) => exitWith(logger, error));

  const daemon = await buildDaemon({
    config,
    simulator,
    logger,
    flushLogs: () => new Promise<void>((resolve) => logger.end(resolve)),
    secrets,
    env: process.env,
    packageRoot: findPackageRoot(__dirname),
    process: {
      exit: (code) => process.exit(code),
      exitCode: () => (typeof process.exitCode === 'number' ? process.exitCode : 0),
      setExitCode: (code) => {
        process.exitCode = code;
      },
    },
  }).catch((error: unknown) => exitWith(logger, error));
  const started = await daemon.start().catch((error: unknown) => exitWith(logger, error));
  running = started;
  installSafetyNets(process, daemon.supervisor, logger, started.shutdown);
  clearTimeout(startHung);
  if (pendingSignal !== null) return started.shutdown(pendingSignal);
  started.waitForLease();
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

/** A problem no retry can fix: one line that says what to do, then exit 1 so it is seen. */
function exitWith(logger: Logger, error: unknown): never {
  logger.error(describeError(error));
  // stdout is synchronous for files and pipes on Linux, so the line is written by now.
  process.exit(1);
}

void main().catch((error: unknown) => {
  process.stderr.write(`wa-tether failed to start: ${describeError(error)}\n`);
  process.exit(1);
});
