/**
 * The contenders: the built daemon (`node dist/src/main.js`, production defaults, on the
 * headless shell it detects), and a bare whatsapp-web.js Client (bench/bare-client.cjs) in two
 * set-ups: the library's defaults on the full Chromium (what an operator would run instead),
 * and the headless shell with the daemon's own flags (so the difference is our code). All are
 * plain node processes spawned by the bench, so "spawn to ready" and the process tree are
 * measured the same way. The daemon runs through the same harness as the end-to-end suite
 * (test/support/daemon.ts).
 */
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { SIM_WEB_VERSION } from '../../test/sim';
import { Child } from '../../test/support/child-process';
import { ADMIN_TOKEN, Daemon, PHONE_PORT_ARG, REPO_ROOT } from '../../test/support/daemon';
import { chromiumArgs } from '../../src/chromium/chromium-flags';
import { findBrowser } from '../../src/config/find-browser';
import type { Cleanup } from './cleanup';
import { type BenchDirs, CLIENT_ID as BENCH_CLIENT_ID, profileDirOf } from './dirs';
import { childEnv } from '../../test/support/child-env';

export { ADMIN_TOKEN, REPO_ROOT };
const START_TIMEOUT_MS = 60_000;

/** `bare`: library defaults on the full Chromium; `bare-shell`: the headless shell with the daemon's flags. */
export type ContenderKind = 'daemon' | 'bare' | 'bare-shell';

export interface BenchBrowsers {
  /** chrome-headless-shell: the daemon's browser, and the `bare-shell` contender's. */
  readonly shell: string;
  /** The full Chromium: the `bare` contender's. */
  readonly full: string;
}

export interface BenchContext {
  readonly cleanup: Cleanup;
  readonly dirs: BenchDirs;
  readonly browsers: BenchBrowsers;
  /** Node flags of the production start command (render.yaml `startCommand`). */
  readonly daemonNodeFlags: readonly string[];
  /** Environment the production start sets besides the configuration (render.yaml's `envVars` of that kind). */
  readonly daemonEnv?: Readonly<Record<string, string>>;
}

export interface Contender {
  readonly kind: ContenderKind;
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
      // The phone (pairing, pings, reconnect cycles) attaches through a DevTools port.
      env: { ...ctx.daemonEnv, CHROME_PATH: ctx.browsers.shell, LOG_LEVEL: 'info', CHROMIUM_ARGS: PHONE_PORT_ARG, ...options.env },
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
  constructor(
    readonly kind: 'bare' | 'bare-shell',
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

export interface BareOptions {
  /** Replaces the library's default args (`--no-sandbox` only, as root). */
  readonly chromiumArgs?: readonly string[];
  /** `full` (default): the full Chromium, headless: true; `shell`: the headless shell, headless: 'shell'. */
  readonly browser?: 'full' | 'shell';
}

/** The two browsers the bench needs, as the daemon's own detection finds them. */
export function benchBrowsers(): BenchBrowsers {
  const shell = findBrowser({ explicit: null, mode: 'shell', puppeteerBrowser: () => null });
  if (shell.mode !== 'shell') throw new Error('No chrome-headless-shell found. To resolve, install it: sudo apt-get install chromium-headless-shell');
  return { shell: shell.path, full: findBrowser({ explicit: null, mode: 'full', puppeteerBrowser: () => null }).path };
}

/** The daemon's own Chromium flags (as root here), for the `bare-shell` contender. */
export const DAEMON_FLAGS: readonly string[] = chromiumArgs([], process.getuid?.() === 0);

export function startBare(ctx: BenchContext, authPath: string, options: BareOptions = {}): BareRun {
  const browser = options.browser ?? 'full';
  const chromiumArgs = options.chromiumArgs;
  const env: Record<string, string> = {
    ...childEnv(),
    BENCH_CLIENT_ID: BENCH_CLIENT_ID,
    BENCH_AUTH_PATH: authPath,
    BENCH_CACHE_PATH: ctx.dirs.cachePath,
    BENCH_WEB_VERSION: SIM_WEB_VERSION,
    CHROME_PATH: ctx.browsers[browser],
    BENCH_HEADLESS: browser === 'shell' ? 'shell' : 'true',
    ...(chromiumArgs === undefined ? {} : { BENCH_CHROMIUM_ARGS: JSON.stringify(chromiumArgs) }),
  };
  const child = Child.spawn({
    name: 'bare client',
    args: [path.join(REPO_ROOT, 'bench', 'bare-client.cjs')],
    env,
    cwd: REPO_ROOT,
    cleanup: ctx.cleanup,
  });
  return new BareRun(browser === 'shell' ? 'bare-shell' : 'bare', child, authPath);
}

/** A bare contender as the bench defines it. */
export function startContender(ctx: BenchContext, kind: 'bare' | 'bare-shell', authPath: string): BareRun {
  return kind === 'bare' ? startBare(ctx, authPath) : startBare(ctx, authPath, { browser: 'shell', chromiumArgs: DAEMON_FLAGS });
}
