/**
 * Section 4: HTTP under load, loopback only, bounded in time. The daemon (ready, with a
 * planted profile of many files in its session dir) against a bare Express route in its own
 * process, in the same run and one after the other, so they never compete for the CPU.
 * Several rounds, the order of the contenders swapped in every other round; each figure is
 * the median over the rounds, so one hiccup of a shared 2-core machine does not decide it.
 */
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import type { Logger } from '../../src/logging/logger';
import { systemClock } from '../../src/common/clock';
import { ProfileInspector } from '../../src/storage/profile-inspector';
import { Child } from '../../test/support/child-process';
import { ADMIN_TOKEN, type BenchContext, REPO_ROOT, startDaemon } from './contenders';
import { plantProfile, profileDirOf } from './dirs';
import { median, percentile } from './stats';
import { childEnv } from '../../test/support/child-env';

export interface LoadResult {
  readonly target: string;
  /** Mean requests per second over a run (median over the rounds). */
  readonly rps: number;
  /** From our own per-response timings (autocannon's histogram has 1 ms resolution). */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Summed over the rounds. */
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
  /** The requested fixed rate, or null for "as fast as it answers". */
  readonly rate: number | null;
  readonly rounds: number;
}

export interface HttpSection {
  readonly bare: LoadResult;
  readonly health: LoadResult;
  readonly status: LoadResult;
  readonly healthAtRate: LoadResult;
  readonly bareAtRate: LoadResult;
  readonly planted: { readonly files: number; readonly bytes: number };
  /** `size` the status route reported: the planted files are counted. */
  readonly statusSize: number;
  /** How long one walk of that profile takes (ProfileInspector.refresh(), warm cache, median of 3). */
  readonly walkMs: number;
  /**
   * `checkedAt` (when the profile was last measured) seen by a probe polling the status
   * every 100 ms during the status loads: a route that walked the profile would give a new
   * value for every probe; the cached picture changes only when the 60 s refresh lands.
   */
  readonly checkedAtProbes: number;
  readonly checkedAtDistinct: number;
  /** How many 60 s refreshes could have landed between the first and the last probe, plus one. */
  readonly checkedAtAllowed: number;
}

export interface HttpOptions {
  readonly template: string;
  readonly rounds: number;
  readonly durationSec: number;
  readonly connections: number;
  readonly rate: number;
  readonly files: number;
  readonly bytes: number;
  readonly log: (line: string) => void;
}

export async function httpLoad(ctx: BenchContext, options: HttpOptions): Promise<HttpSection> {
  const authPath = await ctx.dirs.copyOf(options.template, 'http');
  const profileDir = profileDirOf(authPath);
  await plantProfile(profileDir, options.files, options.bytes);
  const walkMs = await timeWalk(profileDir);
  options.log(`  planted ${options.files} files / ${Math.round(options.bytes / 2 ** 20)} MiB; one walk of the profile takes ${walkMs.toFixed(0)} ms`);

  const daemon = await startDaemon(ctx, authPath);
  const bare = Child.spawn({
    name: 'bare express',
    args: [path.join(REPO_ROOT, 'bench', 'bare-express.cjs')],
    env: childEnv(),
    cwd: REPO_ROOT,
    cleanup: ctx.cleanup,
  });
  try {
    await daemon.waitForReady();
    const barePort = Number((JSON.parse((await bare.waitForLine(/^\{"port"/, 10_000)).text) as { port: unknown }).port);
    const statusBefore = await waitForWalk(daemon, options.bytes);

    const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    const bareUrl = `http://127.0.0.1:${barePort}/bare`;
    const targets: Array<{ name: string; url: string; headers?: Record<string, string>; rate?: number; daemon: boolean }> = [
      { name: 'bare Express /bare', url: bareUrl, daemon: false },
      { name: 'daemon /api/health', url: daemon.url('/api/health'), daemon: true },
      { name: 'daemon /api/session/status (auth)', url: daemon.url('/api/session/status'), headers: auth, daemon: true },
      { name: `daemon /api/health @${options.rate}/s`, url: daemon.url('/api/health'), rate: options.rate, daemon: true },
      { name: `bare Express /bare @${options.rate}/s`, url: bareUrl, rate: options.rate, daemon: false },
    ];
    const results = new Map<string, LoadResult[]>();
    const probes: Array<{ at: number; checkedAt: string }> = [];
    for (let round = 0; round < options.rounds; round++) {
      // Every other round the bare route goes last, so warm-up or drift does not favour one side.
      const order = round % 2 === 0 ? targets : [...targets.filter((t) => t.daemon), ...targets.filter((t) => !t.daemon)];
      for (const target of order) {
        await sleep(1_000);
        const isStatus = target.url.endsWith('/api/session/status');
        const probe = isStatus ? probeCheckedAt(daemon, options.durationSec * 1_000) : Promise.resolve([]);
        const result =
          target.rate === undefined
            ? await load(target.name, target.url, options, target.headers ?? {})
            : await steadyLoad(target.name, target.url, target.rate, options.durationSec, target.headers ?? {});
        probes.push(...(await probe));
        results.set(target.name, [...(results.get(target.name) ?? []), result]);
        options.log(
          `  round ${round + 1}/${options.rounds} ${target.name.padEnd(34)} ${Math.round(result.rps)} req/s, p50 ${result.p50Ms.toFixed(2)} ms,` +
            ` p99 ${result.p99Ms.toFixed(2)} ms (${result.requests} requests, ${result.errors} errors, ${result.non2xx} non-2xx)`,
        );
      }
    }
    const of = (index: number): LoadResult => combine(results.get(targets[index]?.name ?? '') ?? []);
    const spanMs = probes.length === 0 ? 0 : (probes.at(-1)?.at ?? 0) - (probes[0]?.at ?? 0);
    return {
      bare: of(0),
      health: of(1),
      status: of(2),
      healthAtRate: of(3),
      bareAtRate: of(4),
      planted: { files: options.files, bytes: options.bytes },
      statusSize: Number(statusBefore.size),
      walkMs,
      checkedAtProbes: probes.length,
      checkedAtDistinct: new Set(probes.map((p) => p.checkedAt)).size,
      checkedAtAllowed: 2 + Math.floor(spanMs / 60_000),
    };
  } finally {
    await bare.stop('SIGTERM', 5_000);
    await daemon.stop();
  }
}

/** Medians of the rounds' figures; counts summed. */
function combine(rounds: readonly LoadResult[]): LoadResult {
  const first = rounds[0];
  if (first === undefined) throw new Error('no load rounds');
  return {
    target: first.target,
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    requests: rounds.reduce((n, r) => n + r.requests, 0),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    non2xx: rounds.reduce((n, r) => n + r.non2xx, 0),
    rate: first.rate,
    rounds: rounds.length,
  };
}

/** As many requests as `connections` keep-alive connections get answered (autocannon). */
async function load(target: string, url: string, options: HttpOptions, headers: Record<string, string>): Promise<LoadResult> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, headers, connections: options.connections, duration: options.durationSec }, (error, res) =>
      error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(res),
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
  return {
    target,
    rps: result.requests.average,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
    rate: null,
    rounds: 1,
  };
}

/**
 * An open-loop load at a steady `rate`: request i is due at start + i/rate, whatever the
 * answers before it did, over up to 16 keep-alive connections. (autocannon's `overallRate`
 * sends each second's quota as a burst at full speed, then waits for the next second: its
 * p99 is that of a burst, not of a steady rate.) Latency counts from the moment the request
 * is handed to the agent, so a request that waits for a free connection counts its wait;
 * the generator's own timer jitter (about 1 ms) is not counted.
 */
export async function steadyLoad(
  target: string,
  url: string,
  rate: number,
  durationSec: number,
  headers: Record<string, string>,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const total = Math.round(rate * durationSec);
  const interval = 1000 / rate;
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const pending: Array<Promise<void>> = [];
  const send = (): Promise<void> =>
    new Promise((resolve) => {
      const sentAt = performance.now();
      const request = http.get(url, { agent, headers }, (response) => {
        response.resume();
        response.on('end', () => {
          if ((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300) latencies.push(performance.now() - sentAt);
          else non2xx += 1;
          resolve();
        });
      });
      request.on('error', () => {
        errors += 1;
        resolve();
      });
      request.setTimeout(10_000, () => request.destroy());
    });
  const start = performance.now() + 20;
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    for (let due = start + sent * interval; sent < total && due <= now; due = start + sent * interval) {
      pending.push(send());
      sent += 1;
    }
    await sleep(1);
  }
  await Promise.all(pending);
  const elapsedSec = (performance.now() - start) / 1000;
  agent.destroy();
  return {
    target,
    rps: (latencies.length + non2xx) / elapsedSec,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requests: latencies.length + non2xx + errors,
    errors,
    non2xx,
    rate,
    rounds: 1,
  };
}

async function probeCheckedAt(daemon: Awaited<ReturnType<typeof startDaemon>>, forMs: number): Promise<Array<{ at: number; checkedAt: string }>> {
  const seen: Array<{ at: number; checkedAt: string }> = [];
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    const { body } = await daemon.getJson('/api/session/status');
    seen.push({ at: Date.now(), checkedAt: String(body.checkedAt) });
    await sleep(100);
  }
  return seen;
}

/** What one walk of the profile costs: what the status route would pay if it walked. */
async function timeWalk(profileDir: string): Promise<number> {
  const inspector = new ProfileInspector({ profileDir, logger: silentLogger, clock: systemClock });
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    const started = performance.now();
    await inspector.refresh();
    if (i > 0) times.push(performance.now() - started);
  }
  return median(times);
}

/** The daemon's inspector walks the profile at start and at `ready`; wait until its picture counts the planted files. */
async function waitForWalk(daemon: Awaited<ReturnType<typeof startDaemon>>, bytes: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await daemon.getJson('/api/session/status');
    if (Number(body.size) >= bytes) return body;
    if (Date.now() > deadline) throw new Error(`the status never counted the planted files: ${JSON.stringify(body)}`);
    await sleep(200);
  }
}

const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};
