/**
 * Checks the lifecycle's invariants continuously, not only after each fault: every ~100 ms it
 * counts the browsers on the profile and asks /api/health, and records what breaks.
 */
import { browsersOnProfile, type BrowserProcess } from './browsers';
import type { Timeline } from './timeline';

export interface WatcherOptions {
  readonly profileDir: string;
  readonly timeline: Timeline;
  readonly intervalMs?: number;
  /** Health must answer within this (Render gives a check 5 s; we promise far less). */
  readonly healthBudgetMs?: number;
  /** How long health may say `ready` with no browser on the profile (the daemon learns of a kill in ms). */
  readonly readyWithoutBrowserMs?: number;
}

export interface WatcherStats {
  samples: number;
  healthSamples: number;
  slowestHealthMs: number;
  maxBrowsers: number;
}

export class Watcher {
  /** The daemon's HTTP port while it is expected to answer; null while it is deliberately down. */
  private port: number | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private readySinceNoBrowser: number | null = null;
  readonly stats: WatcherStats = { samples: 0, healthSamples: 0, slowestHealthMs: 0, maxBrowsers: 0 };

  constructor(private readonly options: WatcherOptions) {}

  /** The daemon answers HTTP on `port` from now on. */
  expectUp(port: number): void {
    this.port = port;
  }

  /** The daemon is being stopped or restarted on purpose: health is not expected to answer. */
  expectDown(): void {
    this.port = null;
    this.readySinceNoBrowser = null;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    const interval = this.options.intervalMs ?? 100;
    while (this.running) {
      const started = Date.now();
      await this.sample().catch((error: unknown) => this.options.timeline.violation('watcher failed', { error: String(error) }));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, interval - (Date.now() - started))));
    }
  }

  private async sample(): Promise<void> {
    const port = this.port;
    const [browsers, health] = await Promise.all([browsersOnProfile(this.options.profileDir), port === null ? null : this.health(port)]);
    this.stats.samples++;
    this.stats.maxBrowsers = Math.max(this.stats.maxBrowsers, browsers.length);
    if (browsers.length > 1) this.options.timeline.violation('more than one browser on the profile', { browsers: describeAll(browsers) });
    // A restart in flight may have moved the daemon since the sample began: judge only a stable one.
    if (health === null || port !== this.port) return;
    this.stats.healthSamples++;
    this.stats.slowestHealthMs = Math.max(this.stats.slowestHealthMs, health.ms);
    const budget = this.options.healthBudgetMs ?? 1_000;
    if (!health.ok) {
      this.options.timeline.violation(`health did not answer within ${budget} ms`, { error: health.error, ms: health.ms });
      return;
    }
    if (health.whatsapp === 'ready' && browsers.length === 0) {
      this.readySinceNoBrowser ??= Date.now();
      const ms = Date.now() - this.readySinceNoBrowser;
      if (ms > (this.options.readyWithoutBrowserMs ?? 1_000)) {
        this.options.timeline.violation('health says ready while no browser runs', { ms });
        this.readySinceNoBrowser = Date.now();
      }
    } else {
      this.readySinceNoBrowser = null;
    }
  }

  private async health(port: number): Promise<{ ok: true; ms: number; whatsapp: string } | { ok: false; ms: number; error: string }> {
    const started = Date.now();
    const budget = this.options.healthBudgetMs ?? 1_000;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(budget) });
      const body = (await response.json()) as { whatsapp?: unknown };
      return { ok: true, ms: Date.now() - started, whatsapp: String(body.whatsapp) };
    } catch (error) {
      return { ok: false, ms: Date.now() - started, error: String(error) };
    }
  }
}

function describeAll(browsers: readonly BrowserProcess[]): string[] {
  return browsers.map((b) => `pid ${b.pid} (parent ${b.ppid}) ${b.exe}`);
}
