/**
 * `npm run doctor` (or `node dist/src/doctor.js`): tells an operator what stands between this
 * machine and a running daemon, a line per check with the fix, exit 1 when anything fails.
 * Reads the environment and .env exactly as a start does.
 */
import { findPackageRoot } from './common/package-root';
import { loadEnvFile } from './config/load-env-file';
import { exitCodeOf, formatReport } from './doctor/check';
import { runDoctor } from './doctor/run-doctor';
import { createLogger } from './logging/create-logger';

async function main(): Promise<void> {
  loadEnvFile(process.env);
  // The checks reuse the daemon's stores, which log only what goes wrong; the report says it better.
  const secrets = ['ADMIN_TOKEN', 'API_TOKEN', 'METRICS_TOKEN', 'WEBHOOK_SECRET']
    .map((name) => process.env[name])
    .filter((v): v is string => typeof v === 'string' && v !== '');
  const logger = createLogger({ level: 'error', format: 'pretty', secrets: () => secrets });
  const results = await runDoctor({ env: process.env, cwd: process.cwd(), root: findPackageRoot(__dirname), logger });
  process.stdout.write(formatReport(results));
  process.exitCode = exitCodeOf(results);
}

main().catch((error: unknown) => {
  process.stderr.write(`The doctor itself failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
