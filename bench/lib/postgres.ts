/**
 * Section 9, with DATABASE_URL: a real PostgreSQL server started for the run (Debian's, in a
 * temp dir on loopback, as in the tests), the built daemon, the simulated WhatsApp Web.
 *
 * - the first save after `ready` (when, how long, how big) and SIGTERM to exit with the
 *   shutdown save and the lease handed back;
 * - a host move: spawn to `ready` on an empty AUTH_PATH, restored from the database, against the
 *   same daemon on its own disk (the local profile kept) and on SQLite (no DATABASE_URL);
 * - a handover (SIGTERM to the holder -> the standby `ready`) and a crash takeover (kill -9 ->
 *   the standby `ready`, at the lease ttl given);
 * - API sends through the PostgreSQL outbox to the simulator, and the ready-state PSS of the
 *   daemon's tree with DATABASE_URL and without (pg and tar are loaded only with it).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SimPhone } from '../../test/sim';
import { TestPostgres } from '../../test/support/postgres';
import { type BenchContext, type DaemonRun, startDaemon } from './contenders';
import { measureTree } from './memory';
import { apiSends, type Latencies } from './messaging';
import { mib, round, table } from './stats';

export interface PostgresSection {
  readonly leaseTtlMs: number;
  /** From `ready` to the first save committed. */
  readonly firstSaveAfterReadyMs: number;
  /** The save itself (pack + commit), as the daemon logged it. */
  readonly saveMs: number;
  readonly saveBytes: number;
  /** SIGTERM to exit, with the shutdown save and the release. */
  readonly stopMs: number;
  /** Spawn to `ready` on an empty AUTH_PATH (restored from the database). */
  readonly emptyDiskReadyMs: number;
  /** Spawn to `ready` on its own disk with DATABASE_URL (the local profile kept). */
  readonly ownDiskReadyMs: number;
  /** Spawn to `ready` on a copy of the same profile without DATABASE_URL. */
  readonly sqliteReadyMs: number;
  /** SIGTERM to the holder -> the standby `ready`. */
  readonly handoverMs: number;
  /** kill -9 of the holder -> the standby `ready`. */
  readonly crashTakeoverMs: number;
  readonly sends: Latencies;
  readonly pss: { readonly postgres: number; readonly sqlite: number };
}

export interface PostgresOptions {
  readonly template: string;
  readonly leaseTtlMs: number;
  readonly settleMs: number;
  readonly sends: number;
  readonly sendRatePerSec: number;
  readonly log: (line: string) => void;
}

const SEND_BUDGET_PER_MINUTE = 600;

export async function postgresSection(ctx: BenchContext, options: PostgresOptions): Promise<PostgresSection> {
  const pg = await TestPostgres.start();
  ctx.cleanup.add('stop the bench PostgreSQL', () => pg.destroy());
  const url = await pg.createDatabase('bench');
  const env = {
    DATABASE_URL: url,
    LEASE_TTL_MS: String(options.leaseTtlMs),
    SEND_RATE_PER_MINUTE: String(SEND_BUDGET_PER_MINUTE),
    SEND_CHAT_GAP_MS: '0',
  };
  const running: DaemonRun[] = [];
  const start = async (authPath: string, withDatabase = true): Promise<DaemonRun> => {
    const run = await startDaemon(
      ctx,
      authPath,
      withDatabase ? { env } : { env: { SEND_RATE_PER_MINUTE: String(SEND_BUDGET_PER_MINUTE), SEND_CHAT_GAP_MS: '0' } },
    );
    running.push(run);
    return run;
  };
  try {
    // Without DATABASE_URL first, alone: two browsers at once would share (and halve) their PSS.
    const control = await start(await ctx.dirs.copyOf(options.template, 'pg-sqlite-control'), false);
    const sqliteReadyMs = await control.waitForReady();
    await sleep(options.settleMs);
    const sqlitePss = (await measureTree(control.child.pid, [control.profileDir])).pss;
    await control.stop();

    // The paired profile, on a disk the database has not seen: kept, and saved soon after ready.
    const first = await start(await ctx.dirs.copyOf(options.template, 'pg-first'));
    const readyAt = first.child.spawnedAt + (await first.waitForReady());
    const saved = await waitForSave(first, 30_000);
    const firstSaveAfterReadyMs = saved.at - readyAt;
    options.log(`  first save ${Math.round(firstSaveAfterReadyMs)} ms after ready: ${saved.ms} ms, ${saved.bytes} bytes`);

    await sleep(options.settleMs);
    const pgPss = (await measureTree(first.child.pid, [first.profileDir])).pss;
    options.log(
      `  PSS: ${mib(pgPss)} MiB with DATABASE_URL, ${mib(sqlitePss)} MiB without; start to ready without it ${Math.round(sqliteReadyMs)} ms`,
    );
    const phone = await SimPhone.attach(first.profileDir, { timeoutMs: 30_000 });
    let sends: Latencies;
    try {
      sends = await apiSends(first.url('/api/messages'), phone, options.sends, options.sendRatePerSec);
    } finally {
      await phone.detach();
    }
    options.log(`  API sends through PostgreSQL: ${sends.done}/${sends.count}, p50 ${sends.p50Ms.toFixed(1)} ms, p99 ${sends.p99Ms.toFixed(1)} ms`);

    // A standby beside the holder; SIGTERM the holder: the standby takes over.
    const second = await start(await ctx.dirs.newAuthPath('pg-second'));
    await waitForRole(second, 'standby');
    const stopAt = performance.now();
    await first.stop();
    const stopMs = performance.now() - stopAt;
    await second.waitForReady(1, 60_000);
    const handoverMs = performance.now() - stopAt;
    options.log(`  SIGTERM to exit ${Math.round(stopMs)} ms; handover to the standby ready ${Math.round(handoverMs)} ms`);

    // A standby again; kill -9 the holder: the standby takes over once the lease expires.
    const third = await start(await ctx.dirs.newAuthPath('pg-third'));
    await waitForRole(third, 'standby');
    const killAt = performance.now();
    await second.child.stop('SIGKILL', 5_000);
    await third.waitForReady(1, options.leaseTtlMs + 60_000);
    const crashTakeoverMs = performance.now() - killAt;
    options.log(`  kill -9 to the standby ready ${Math.round(crashTakeoverMs)} ms (LEASE_TTL_MS=${options.leaseTtlMs})`);

    // A host move: the holder stops, a new host on an empty disk starts; then that host again on its own disk.
    await third.stop();
    const moved = await start(await ctx.dirs.newAuthPath('pg-moved'));
    const emptyDiskReadyMs = await moved.waitForReady();
    await moved.stop();
    const again = await start(moved.authPath);
    const ownDiskReadyMs = await again.waitForReady();
    await again.stop();
    options.log(`  spawn to ready: empty disk ${Math.round(emptyDiskReadyMs)} ms, own disk ${Math.round(ownDiskReadyMs)} ms`);

    return {
      leaseTtlMs: options.leaseTtlMs,
      firstSaveAfterReadyMs,
      saveMs: saved.ms,
      saveBytes: saved.bytes,
      stopMs,
      emptyDiskReadyMs,
      ownDiskReadyMs,
      sqliteReadyMs,
      handoverMs,
      crashTakeoverMs,
      sends,
      pss: { postgres: pgPss, sqlite: sqlitePss },
    };
  } finally {
    for (const run of running) if (!run.child.hasExited) await run.child.stop('SIGKILL', 5_000).catch(() => undefined);
    await pg.destroy();
  }
}

/** The first `session.saved` record: when it arrived (performance.now()), how long and how big. */
async function waitForSave(run: DaemonRun, timeoutMs: number): Promise<{ at: number; ms: number; bytes: number }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const index = run.daemon.records.findIndex((r) => r.event === 'session.saved');
    if (index !== -1) {
      const record = run.daemon.records[index]!;
      const line = run.child.lines.find((l) => l.text.includes('"event":"session.saved"'));
      const ms = Number(/, (\d+) ms/.exec(record.message)?.[1] ?? Number.NaN);
      return { at: line?.at ?? performance.now(), ms, bytes: Number(record.bytes) };
    }
    if (performance.now() > deadline) throw new Error(`no session save within ${timeoutMs} ms`);
    await sleep(20);
  }
}

async function waitForRole(run: DaemonRun, role: string): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const health = await run.getJson('/api/health', false).catch(() => null);
    if ((health?.body.cluster as { role?: string } | undefined)?.role === role) return;
    await sleep(100);
  }
  throw new Error(`not ${role} within 60 s`);
}

/** The section's table, for the report. */
export function formatPostgres(section: PostgresSection): string {
  const ms = (value: number): string => String(Math.round(value));
  const rows = [
    ['figure', 'value'],
    ['first save after ready', `${ms(section.firstSaveAfterReadyMs)} ms (RemoteAuth: 60000 ms)`],
    ['a save (pack + commit), size', `${section.saveMs} ms, ${section.saveBytes} bytes`],
    ['SIGTERM to exit (save after the browser closed, lease handed back)', `${ms(section.stopMs)} ms`],
    ['spawn to ready: empty AUTH_PATH, restored from the database', `${ms(section.emptyDiskReadyMs)} ms`],
    ['spawn to ready: own disk with DATABASE_URL', `${ms(section.ownDiskReadyMs)} ms`],
    ['spawn to ready: same profile without DATABASE_URL (SQLite)', `${ms(section.sqliteReadyMs)} ms`],
    ['SIGTERM to the holder -> the standby ready', `${ms(section.handoverMs)} ms`],
    [`kill -9 of the holder -> the standby ready (LEASE_TTL_MS=${section.leaseTtlMs})`, `${ms(section.crashTakeoverMs)} ms`],
    [
      `POST /api/messages -> simulator outbox (${section.sends.ratePerSec}/s)`,
      `${section.sends.done}/${section.sends.count}, p50 ${section.sends.p50Ms.toFixed(1)} ms, p99 ${section.sends.p99Ms.toFixed(1)} ms`,
    ],
    [
      'ready-state PSS with / without DATABASE_URL',
      `${mib(section.pss.postgres)} / ${mib(section.pss.sqlite)} MiB = ${(section.pss.postgres / section.pss.sqlite).toFixed(3)}x`,
    ],
  ];
  return `9. PostgreSQL (DATABASE_URL; a real server on loopback)\n${table(rows)}`;
}

export function postgresJson(section: PostgresSection): Record<string, unknown> {
  return {
    leaseTtlMs: section.leaseTtlMs,
    firstSaveAfterReadyMs: Math.round(section.firstSaveAfterReadyMs),
    saveMs: section.saveMs,
    saveBytes: section.saveBytes,
    stopMs: Math.round(section.stopMs),
    emptyDiskReadyMs: Math.round(section.emptyDiskReadyMs),
    ownDiskReadyMs: Math.round(section.ownDiskReadyMs),
    sqliteReadyMs: Math.round(section.sqliteReadyMs),
    handoverMs: Math.round(section.handoverMs),
    crashTakeoverMs: Math.round(section.crashTakeoverMs),
    sends: { count: section.sends.count, done: section.sends.done, p50Ms: round(section.sends.p50Ms, 1), p99Ms: round(section.sends.p99Ms, 1) },
    pssMiB: { postgres: mib(section.pss.postgres), sqlite: mib(section.pss.sqlite) },
  };
}
