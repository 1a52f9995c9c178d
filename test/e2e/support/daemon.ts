import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { endProcesses, findProfileProcesses } from '../../../src/chromium/chromium-processes';
import { SIM_WEB_VERSION, type SimPageOptions, writeSimPage } from '../../sim';
import { CHROME_PATH } from './browser';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const ADMIN_TOKEN = 'e2e-admin-token-0123456789';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A temporary AUTH_PATH + WEB_CACHE_PATH with the simulated WhatsApp Web in the cache. */
export class Sandbox {
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
    return path.join(this.authPath, 'session-e2e');
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
    const leftovers = await findProfileProcesses(this.profileDir);
    if (leftovers.length > 0) await endProcesses(leftovers, 1_000);
    await rm(this.root, { recursive: true, force: true, maxRetries: 3 });
  }
}

export interface StartOptions {
  readonly env?: Record<string, string>;
  /** Resolve once /api/health answers (default) or as soon as the process is spawned. */
  readonly waitForHttp?: boolean;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** One line of the daemon's JSON log (LOG_FORMAT=json). */
export interface LogRecord {
  readonly level: string;
  readonly message: string;
  readonly timestamp?: string;
  readonly event?: string;
  readonly from?: string;
  readonly to?: string;
  readonly [field: string]: unknown;
}

/** The real daemon (src/main.ts) as a child process, against a sandbox. */
export class Daemon {
  /** Every line it wrote to stdout or stderr, whole (a line split across chunks is joined). */
  readonly lines: string[] = [];
  /** The lines that parsed as JSON log records. */
  readonly records: LogRecord[] = [];
  readonly exited: Promise<Exit>;
  private exit: Exit | null = null;

  private constructor(
    readonly sandbox: Sandbox,
    readonly port: number,
    readonly spawnedAt: number,
    private readonly child: ChildProcess,
  ) {
    const collector = (): ((chunk: Buffer) => void) => {
      let partial = '';
      return (chunk) => {
        const text = partial + chunk.toString('utf8');
        const complete = text.split('\n');
        partial = complete.pop() ?? '';
        for (const line of complete) this.addLine(line);
      };
    };
    child.stdout?.on('data', collector());
    child.stderr?.on('data', collector());
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  private addLine(line: string): void {
    if (line.trim() === '') return;
    this.lines.push(line);
    try {
      const record = JSON.parse(line) as unknown;
      if (record !== null && typeof record === 'object' && typeof (record as LogRecord).message === 'string') this.records.push(record as LogRecord);
    } catch {
      // not a log record (e.g. a terminal QR or a crash trace)
    }
  }

  static async start(sandbox: Sandbox, options: StartOptions = {}): Promise<Daemon> {
    const port = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.tmpdir(),
      PORT: String(port),
      HOST: '127.0.0.1',
      CLIENT_ID: 'e2e',
      AUTH_PATH: sandbox.authPath,
      WEB_CACHE_PATH: sandbox.cachePath,
      WEB_VERSION: SIM_WEB_VERSION,
      WEB_CACHE_STRICT: 'true',
      CHROME_PATH,
      ADMIN_TOKEN,
      QR_IN_LOGS: 'false',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      RECONNECT_BASE_MS: '500',
      RECONNECT_MAX_MS: '2000',
      WATCHDOG_INTERVAL_MS: '2000',
      WATCHDOG_TIMEOUT_MS: '3000',
      START_TIMEOUT_MS: '30000',
      READY_TIMEOUT_MS: '8000',
      ...options.env,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src', 'main.ts')], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const daemon = new Daemon(sandbox, port, Date.now(), child);
    if (options.waitForHttp !== false) await daemon.waitForHttp();
    return daemon;
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('the daemon did not spawn');
    return pid;
  }

  get hasExited(): boolean {
    return this.exit !== null;
  }

  url(route: string): string {
    return `http://127.0.0.1:${this.port}${route}`;
  }

  /** An admin request (Bearer token) unless `auth: false`. */
  async request(method: string, route: string, auth = true): Promise<{ status: number; body: unknown; headers: Headers }> {
    const response = await fetch(this.url(route), {
      method,
      headers: auth ? { Authorization: `Bearer ${ADMIN_TOKEN}` } : {},
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

  async waitForHttp(timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.hasExited) throw new Error(`the daemon exited before HTTP was up:\n${this.tail()}`);
      try {
        const response = await fetch(this.url('/api/health'), { signal: AbortSignal.timeout(1_000) });
        await response.arrayBuffer();
        return Date.now() - this.spawnedAt;
      } catch {
        await sleep(20);
      }
    }
    throw new Error(`HTTP not up within ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** Polls the status until `predicate` holds; every state seen on the way is recorded. */
  async waitFor(
    predicate: (status: SessionStatus) => boolean,
    what: string,
    timeoutMs = 30_000,
    seen: string[] = [],
  ): Promise<SessionStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: SessionStatus | null = null;
    while (Date.now() < deadline) {
      if (this.hasExited) throw new Error(`the daemon exited while waiting for ${what}:\n${this.tail()}`);
      try {
        last = await this.status();
        if (seen.at(-1) !== last.state) seen.push(last.state);
        if (predicate(last)) return last;
      } catch {
        // the daemon may be busy starting; try again
      }
      await sleep(50);
    }
    throw new Error(`not ${what} within ${timeoutMs} ms; last status ${JSON.stringify(last)}\n${this.tail()}`);
  }

  waitForState(state: string, timeoutMs = 30_000, seen: string[] = []): Promise<SessionStatus> {
    return this.waitFor((s) => s.state === state, `in state ${state}`, timeoutMs, seen);
  }

  async waitForLog(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = this.lines.find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (this.hasExited) break;
      await sleep(50);
    }
    throw new Error(`no log line matching ${pattern} within ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** The states the session entered, in order (the `session.transition` records of its log). */
  transitions(): string[] {
    return this.records.flatMap((record) => (record.event === 'session.transition' && typeof record.to === 'string' ? [record.to] : []));
  }

  /** Sends `signal` and waits for the exit; returns how long it took. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<Exit & { ms: number }> {
    const started = Date.now();
    if (!this.hasExited) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const tooLate = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the daemon did not exit within ${timeoutMs} ms of ${signal}:\n${this.tail()}`)),
        timeoutMs,
      );
    });
    try {
      const exit = await Promise.race([this.exited, tooLate]);
      return { ...exit, ms: Date.now() - started };
    } finally {
      clearTimeout(timer);
    }
  }

  tail(lines = 40): string {
    return this.lines.slice(-lines).join('\n');
  }
}

export interface SessionStatus {
  exists: boolean;
  lastModified: string | null;
  size: number;
  path: string;
  message: string;
  stateMessage: string;
  clientId: string;
  state: string;
  since: string;
  me: { id: string; name: string | null } | null;
  sessionExpired: boolean;
  hasQr: boolean;
  reconnectAttempt: number;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
