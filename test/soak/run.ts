/**
 * npm run soak -- --hours H      (or --minutes M; --sample-sec S)
 *
 * A long life for one daemon (test/soak/soak-run.ts) and the trend of what it holds over the
 * second half. Builds first. Prints the table and one JSON line with every sample; exits 1 when
 * a series climbs, a message is lost or a reconnect does not recover.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../support/daemon';
import { formatSoak, judge, soakPassed } from './soak-report';
import { FULL_PLAN, runSoak } from './soak-run';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      hours: { type: 'string' },
      minutes: { type: 'string' },
      'sample-sec': { type: 'string' },
      'skip-build': { type: 'boolean', default: false },
    },
  });
  const minutes = values.hours !== undefined ? Number(values.hours) * 60 : Number(values.minutes ?? 120);
  if (!Number.isFinite(minutes) || minutes <= 0) {
    process.stderr.write('soak: --hours or --minutes must be a positive number (e.g. --hours 2)\n');
    process.exit(2);
  }
  if (!values['skip-build']) {
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'inherit' });
    if (build.status !== 0) process.exit(1);
  }
  const durationMs = Math.round(minutes * 60_000);
  const scale = durationMs / (2 * 3_600_000);
  process.stderr.write(
    `soak: ${minutes} min at the 2-hour plan's pace: about ${Math.round(FULL_PLAN.faults * scale)} faults (4 in 5 a reconnect), ${Math.round(FULL_PLAN.incoming * scale)} incoming, ${Math.round(FULL_PLAN.sends * scale)} sends\n`,
  );
  const result = await runSoak({
    durationMs,
    ...(values['sample-sec'] === undefined ? {} : { sampleEveryMs: Number(values['sample-sec']) * 1_000 }),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${formatSoak(result)}\n`);
  process.stdout.write(`${JSON.stringify({ ...result, trends: judge(result.samples) })}\n`);
  process.exit(soakPassed(result) ? 0 : 1);
}

void main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
