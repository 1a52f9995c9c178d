/**
 * The two contenders: the built daemon (`node dist/src/main.js`, production defaults) and a
 * bare whatsapp-web.js Client (bench/bare-client.cjs). Both are plain node processes spawned
 * by the bench, so "spawn to ready" and the process tree are measured the same way. The daemon
 * runs through the same harness as the end-to-end suite (test/support/daemon.ts).
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { SIM_WEB_VERSION } from '../../test/sim';
import { Child } from '../../test/support/child-process';
import { ADMIN_TOKEN, Daemon, REPO_ROOT } from '../../test/support/daemon';
import type { Cleanup } from './cleanup';
import { type BenchDirs, CLIENT_ID as BENCH_CLIENT_ID, profileDirOf } from './dirs';

export { ADMIN_TOKEN, REPO_ROOT };
const START_TIMEOUT_MS = 60_000;

export interface BenchContext {
  readonly cleanup: Cleanup;
  readonly dirs: BenchDirs;
  readonly chromePath: string;
  /** Node flags of the production start command (render.yaml `startCommand`). */
  readonly daemonNodeFlags: readonly string[];
}

export interface Contender {
  readonly kind: 'daemon' | 'bare';
  readonly child: Child;
  readonly authPath: string;
  readonly profileDir: string;
  /** Waits for the n-th `ready` (1-based) and returns ms from spawn. */
  waitForReady(nth?: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export interface DaemonOptions {
  /** Extra environment (e.g. a short RECONNECT_BASE_MS for the reconnect cycles). */
  readonly env?: Record<string, string>;
  /** Poll /api/health from spawn and record when it first answers 200. */
  readonly timeHealth?: boolean;
}

export class DaemonRun implements Contender {
  readonly kind = 'daemon';
  /** ms from spawn to the first 200 of /api/health, when `timeHealth` was set. */
  healthMs: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly daemon: Daemon,
    readonly authPath: string,
  ) {}

  get child(): Child {
    return this.daemon.child;
  }

  get port(): number {
    return this.daemon.port;
  }

  get profileDir(): string {
    return profileDirOf(this.authPath);
  }

  url(route: string): string {
    return this.daemon.url(route);
  }

  /** Waits for the n-th transition into `state`; returns ms from spawn. */
  waitForState(state: string, nth = 1, timeoutMs = START_TIMEOUT_MS): Promise<number> {
    return this.daemon.waitForTransition(state, nth, timeoutMs);
  }

  waitForReady(nth = 1, timeoutMs = START_TIMEOUT_MS): Promise<number> {
    return this.waitForState('ready', nth, timeoutMs);
  }

  /** How many times the session entered `state` so far. */
  countState(state: string): number {
    return this.daemon.transitions().filter((to) => to === state).length;
  }

  async getJson(route: string, auth = true): Promise<{ status: number; body: Record<string, unknown> }> {
    const { status, body } = await this.daemon.request('GET', route, auth);
    return { status, body: body as Record<string, unknown> };
  }

  async stop(): Promise<void> {
    await this.child.stop('SIGTERM', 15_000);
  }
}

export async function startDaemon(ctx: BenchContext, authPath: string, options: DaemonOptions = {}): Promise<DaemonRun> {
  const daemon = await Daemon.start(
    { authPath, cachePath: ctx.dirs.cachePath, profileDir: profileDirOf(authPath) },
    {
      entry: 'built',
      nodeFlags: ctx.daemonNodeFlags,
      // Every setting but what the bench must set is the production default.
      timings: 'production',
      env: { CHROME_PATH: ctx.chromePath, LOG_LEVEL: 'info', ...options.env },
      waitForHttp: false,
      cleanup: ctx.cleanup,
    },
  );
  const run = new DaemonRun(daemon, authPath);
  if (options.timeHealth) run.healthMs = pollHealth(run);
  return run;
}

/** Polls /api/health every 2 ms from spawn until the first 200 (no keep-alive: a fresh connection each time). */
async function pollHealth(run: DaemonRun): Promise<number | null> {
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline && !run.child.hasExited) {
    const status = await new Promise<number>((resolve) => {
      const request = http.get({ host: '127.0.0.1', port: run.port, path: '/api/health', agent: false }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', () => resolve(0));
      request.setTimeout(1_000, () => request.destroy());
    });
    if (status === 200) return performance.now() - run.child.spawnedAt;
    await sleep(2);
  }
  return null;
}

export class BareRun implements Contender {
  readonly kind = 'bare';

  constructor(
    readonly child: Child,
    readonly authPath: string,
  ) {}

  get profileDir(): string {
    return profileDirOf(this.authPath);
  }

  async waitForEvent(event: string, nth = 1, timeoutMs = START_TIMEOUT_MS): Promise<number> {
    const pattern = new RegExp(`^\\{"event":"${event}"`);
    let line = await this.child.waitForLine(pattern, timeoutMs);
    for (let i = 1; i < nth; i++) line = await this.child.waitForLine(pattern, timeoutMs, line.index + 1);
    return line.at - this.child.spawnedAt;
  }

  waitForReady(nth = 1, timeoutMs = START_TIMEOUT_MS): Promise<number> {
    return this.waitForEvent('ready', nth, timeoutMs);
  }

  async stop(): Promise<void> {
    this.child.send('stop');
    await Promise.race([this.child.exited, sleep(15_000)]);
    await this.child.stop('SIGKILL', 1_000);
  }
}

export function startBare(ctx: BenchContext, authPath: string, chromiumArgs?: readonly string[]): BareRun {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.tmpdir(),
    BENCH_CLIENT_ID: BENCH_CLIENT_ID,
    BENCH_AUTH_PATH: authPath,
    BENCH_CACHE_PATH: ctx.dirs.cachePath,
    BENCH_WEB_VERSION: SIM_WEB_VERSION,
    CHROME_PATH: ctx.chromePath,
    ...(chromiumArgs === undefined ? {} : { BENCH_CHROMIUM_ARGS: JSON.stringify(chromiumArgs) }),
  };
  const child = Child.spawn({
    name: 'bare client',
    args: [path.join(REPO_ROOT, 'bench', 'bare-client.cjs')],
    env,
    cwd: REPO_ROOT,
    cleanup: ctx.cleanup,
  });
  return new BareRun(child, authPath);
}
