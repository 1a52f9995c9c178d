/**
 * The real daemon as a child process: the one harness the end-to-end suite, the chaos run and the
 * bench use. It reads the daemon's JSON log (`LOG_FORMAT=json`); transitions come from its
 * structured `session.transition` records, never from the text.
 */
import { realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SessionStatusBody } from '../../src/http/bodies';
import { sessionPaths } from '../../src/config/session-paths';
import { findProfileProcesses } from '../../src/chromium/chromium-processes';
import { SIM_WEB_VERSION, type SimPageOptions, writeSimPage } from '../sim';
import { CHROME_PATH } from './browser';
import { Child, type CleanupRegistry, type Line } from './child-process';
import { freePort } from './free-port';
import { endLeftovers } from './leftovers';
import { sleep } from './wait';
import { childEnv } from './child-env';
import { checkResponsesOf, ContractViolation } from './contract-fetch';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
export const CLIENT_ID = 'e2e';

/** Where a daemon keeps its session and finds the simulated page. */
export interface DaemonDirs {
  readonly authPath: string;
  readonly cachePath: string;
  readonly profileDir: string;
}

/** A temporary AUTH_PATH + WEB_CACHE_PATH with the simulated WhatsApp Web in the cache. */
export class Sandbox implements DaemonDirs {
  private constructor(
    readonly root: string,
    readonly authPath: string,
    readonly cachePath: string,
  ) {}

  static async create(page: SimPageOptions = {}): Promise<Sandbox> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'wa-tether-e2e-'));
    const sandbox = new Sandbox(root, path.join(root, 'auth'), path.join(root, 'cache'));
    await mkdir(sandbox.authPath, { recursive: true });
    await writeSimPage(sandbox.cachePath, { qrRotateMs: 0, ...page });
    return sandbox;
  }

  get profileDir(): string {
    return sessionPaths(this.authPath, CLIENT_ID).profileDir;
  }

  /** Chromium processes holding this sandbox's profile (the daemon's browser, or orphans). */
  async browserProcesses(): Promise<number[]> {
    return (await findProfileProcesses(this.profileDir)).map((p) => p.pid);
  }

  /** Browser main processes only: renderers and helpers carry `--type=`. */
  async browserMainProcesses(): Promise<number[]> {
    const { readFile } = await import('node:fs/promises');
    const mains: number[] = [];
    for (const pid of await this.browserProcesses()) {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      if (cmdline !== '' && !cmdline.includes('--type=')) mains.push(pid);
    }
    return mains;
  }

  /** Ends whatever a failed test left behind, then deletes the sandbox. */
  async dispose(): Promise<void> {
    await endLeftovers(this.profileDir);
    await rm(this.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** Recovery in seconds, not minutes, so the suite tries many faults quickly. */
/** What the tests add to CHROMIUM_ARGS so the simulated phone can attach; keep it when setting CHROMIUM_ARGS. */
export const PHONE_PORT_ARG = '--remote-debugging-port=0';

export const TEST_TIMINGS: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'debug',
  RECONNECT_BASE_MS: '500',
  RECONNECT_MAX_MS: '2000',
  WATCHDOG_INTERVAL_MS: '2000',
  WATCHDOG_TIMEOUT_MS: '3000',
  START_TIMEOUT_MS: '30000',
  READY_TIMEOUT_MS: '8000',
};

export interface StartOptions {
  readonly env?: Record<string, string>;
  /** Resolve once /api/health answers (default) or as soon as the process is spawned. */
  readonly waitForHttp?: boolean;
  /**
   * `source` runs src/main.ts with tsx (the default); `built` runs dist/src/main.js; `npm-start`
   * runs `npm start` itself, so the process the test holds (and signals) is npm's.
   */
  readonly entry?: 'source' | 'built' | 'npm-start';
  /** Node flags before the entry (the production start command's). */
  readonly nodeFlags?: readonly string[];
  /** `test` (default): fast recovery timings and debug logs; `production`: the daemon's defaults. */
  readonly timings?: 'test' | 'production';
  readonly cleanup?: CleanupRegistry;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One line of the daemon's JSON log. */
export interface LogRecord {
  readonly level: string;
  readonly message: string;
  readonly timestamp?: string;
  readonly event?: string;
  readonly from?: string;
  readonly to?: string;
  readonly [field: string]: unknown;
}

export type SessionStatus = SessionStatusBody;

export class Daemon {
  private readonly parsed: LogRecord[] = [];
  private parsedLines = 0;

  private constructor(
    readonly dirs: DaemonDirs,
    readonly port: number,
    readonly child: Child,
  ) {}

  static async start(dirs: DaemonDirs, options: StartOptions = {}): Promise<Daemon> {
    const port = await freePort();
    const env: Record<string, string> = {
      ...childEnv(),
      PORT: String(port),
      HOST: '127.0.0.1',
      CLIENT_ID,
      AUTH_PATH: dirs.authPath,
      WEB_CACHE_PATH: dirs.cachePath,
      WEB_VERSION: SIM_WEB_VERSION,
      WEB_CACHE_STRICT: 'true',
      CHROME_PATH,
      ADMIN_TOKEN,
      QR_IN_LOGS: 'false',
      LOG_FORMAT: 'json',
      // The daemon speaks DevTools over a pipe; the simulated phone attaches through a port
      // of its own (DevToolsActivePort in the profile), so the tests open one.
      CHROMIUM_ARGS: PHONE_PORT_ARG,
      ...(options.timings === 'production' ? {} : TEST_TIMINGS),
      ...options.env,
    };
    const entry =
      options.entry === 'built'
        ? [path.join(REPO_ROOT, 'dist', 'src', 'main.js')]
        : options.entry === 'npm-start'
          ? [npmCli(), 'start', '--silent']
          : ['--import', 'tsx', path.join(REPO_ROOT, 'src', 'main.ts')];
    const child = Child.spawn({
      name: 'daemon',
      args: [...(options.nodeFlags ?? []), ...entry],
      env,
      cwd: REPO_ROOT,
      ...(options.cleanup ? { cleanup: options.cleanup } : {}),
    });
    const daemon = new Daemon(dirs, port, child);
    // Every answer of this daemon is held to the API contract until it exits.
    const uncheck = checkResponsesOf(daemon.url('/'));
    void child.exited.finally(uncheck);
    if (options.waitForHttp !== false) await daemon.waitForHttp();
    return daemon;
  }

  /** The sandbox the daemon runs in (e2e tests always start it on one). */
  get sandbox(): Sandbox {
    if (!(this.dirs instanceof Sandbox)) throw new Error('this daemon was not started on a Sandbox');
    return this.dirs;
  }

  get pid(): number {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.child.hasExited;
  }

  get exited(): Promise<Exit> {
    return this.child.exited;
  }

  /** Every line it wrote, whole. */
  get lines(): string[] {
    return this.child.lines.map((line) => line.text);
  }

  /** The lines that parsed as JSON log records (parsed once each, as they come). */
  get records(): LogRecord[] {
    const lines = this.child.lines;
    for (; this.parsedLines < lines.length; this.parsedLines++) {
      const record = parseRecord(lines[this.parsedLines] as Line);
      if (record) this.parsed.push(record);
    }
    return this.parsed;
  }

  url(route: string): string {
    return `http://127.0.0.1:${this.port}${route}`;
  }

  /** `auth`: send the admin token; `json`: a JSON body to send. */
  async request(method: string, route: string, auth = true, json?: unknown): Promise<{ status: number; body: unknown; headers: Headers }> {
    const headers: Record<string, string> = auth ? { Authorization: `Bearer ${ADMIN_TOKEN}` } : {};
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(this.url(route), {
      method,
      headers,
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body, headers: response.headers };
  }

  async status(): Promise<SessionStatus> {
    const { status, body } = await this.request('GET', '/api/session/status');
    if (status !== 200) throw new Error(`status answered ${status}: ${JSON.stringify(body)}`);
    return body as SessionStatus;
  }

  /** Waits for /api/health to answer; returns ms from spawn. */
  async waitForHttp(timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.hasExited) throw new Error(`the daemon exited before HTTP was up:\n${this.tail()}`);
      try {
        const response = await fetch(this.url('/api/health'), { signal: AbortSignal.timeout(1_000) });
        await response.arrayBuffer();
        return performance.now() - this.child.spawnedAt;
      } catch (error) {
        if (error instanceof ContractViolation) throw error;
        await sleep(20);
      }
    }
    throw new Error(`HTTP not up within ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** Polls the status until `predicate` holds; every state seen on the way is recorded. */
  async waitFor(predicate: (status: SessionStatus) => boolean, what: string, timeoutMs = 30_000, seen: string[] = []): Promise<SessionStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: SessionStatus | null = null;
    while (Date.now() < deadline) {
      if (this.hasExited) throw new Error(`the daemon exited while waiting for ${what}:\n${this.tail()}`);
      try {
        last = await this.status();
        if (seen.at(-1) !== last.state) seen.push(last.state);
        if (predicate(last)) return last;
      } catch (error) {
        if (error instanceof ContractViolation) throw error;
        // the daemon may be busy starting; try again
      }
      await sleep(50);
    }
    throw new Error(`not ${what} within ${timeoutMs} ms; last status ${JSON.stringify(last)}\n${this.tail()}`);
  }

  waitForState(state: string, timeoutMs = 30_000, seen: string[] = []): Promise<SessionStatus> {
    return this.waitFor((s) => s.state === state, `in state ${state}`, timeoutMs, seen);
  }

  /** Waits for the `nth` (1-based) transition into `state` in the log; returns ms from spawn to it. */
  async waitForTransition(state: string, nth = 1, timeoutMs = 60_000): Promise<number> {
    let seen = 0;
    for (let from = 0; ;) {
      const line = await this.child.waitForLine(/"event":"session\.transition"/, timeoutMs, from);
      from = line.index + 1;
      if (parseRecord(line)?.to === state && ++seen === nth) return line.at - this.child.spawnedAt;
    }
  }

  async waitForLog(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return (await this.child.waitForLine(pattern, timeoutMs)).text;
  }

  /** The states the session entered, in order. */
  transitions(): string[] {
    return this.records.flatMap((record) => (record.event === 'session.transition' && typeof record.to === 'string' ? [record.to] : []));
  }

  /** Sends `signal` and waits for the exit; returns how long it took. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<Exit & { ms: number }> {
    const started = Date.now();
    this.child.signal(signal);
    let timer: NodeJS.Timeout | undefined;
    const tooLate = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the daemon did not exit within ${timeoutMs} ms of ${signal}:\n${this.tail()}`)), timeoutMs);
    });
    try {
      const exit = await Promise.race([this.exited, tooLate]);
      return { ...exit, ms: Date.now() - started };
    } finally {
      clearTimeout(timer);
    }
  }

  tail(lines = 40): string {
    return this.child.tail(lines);
  }
}

/** npm's own script, run with this node: the npm a process manager would start. */
function npmCli(): string {
  const fromNpm = process.env.npm_execpath;
  if (fromNpm !== undefined && fromNpm.endsWith('.js')) return fromNpm;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    try {
      return realpathSync(path.join(dir, 'npm'));
    } catch {
      // not in this directory
    }
  }
  throw new Error('npm is not on PATH');
}

function parseRecord(line: Line): LogRecord | null {
  try {
    const record = JSON.parse(line.text) as unknown;
    if (record !== null && typeof record === 'object' && typeof (record as LogRecord).message === 'string') return record as LogRecord;
  } catch {
    // not a log record (e.g. a terminal QR or a crash trace)
  }
  return null;
}
