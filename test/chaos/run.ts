/**
 * npm run chaos -- --faults N [--seed S] [--max-seconds T] [--only TEXT]
 *
 * A seeded fault run (see test/chaos/chaos-run.ts). The seed is random unless given, and always
 * printed: the same seed draws the same faults in the same order. --only keeps the faults whose
 * name contains TEXT (e.g. --only sends), to hammer one kind.
 */
import { disposeChaos, runChaos } from './chaos-run';
import { randomSeed } from './random';
import { formatReport } from './report';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}

function integer(name: string, fallback: number | undefined): number | undefined {
  const value = option(name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) {
    process.stderr.write(`--${name} must be a whole number (got "${value}")\n`);
    process.exit(2);
  }
  return parsed;
}

async function main(): Promise<void> {
  const faults = integer('faults', 50) ?? 50;
  const seed = integer('seed', randomSeed()) ?? randomSeed();
  const maxSeconds = integer('max-seconds', undefined);
  const only = option('only');
  process.stdout.write(`chaos: ${faults} faults, seed ${seed}\n`);
  const report = await runChaos({
    faults,
    seed,
    ...(maxSeconds === undefined ? {} : { maxSeconds }),
    ...(only === undefined ? {} : { only }),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${formatReport(report)}\n`);
  await disposeChaos(report);
  process.exit(report.violations.length === 0 ? 0 : 1);
}

void main();
