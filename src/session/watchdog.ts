import type { Clock } from '../common/clock';
import { withTimeout } from '../common/with-timeout';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { WaClient } from '../whatsapp/wa-client';

export interface ProbeOptions {
  readonly client: WaClient;
  readonly clock: Clock;
  readonly log: Logger;
  /** How long the page may take to answer. */
  readonly timeoutMs: number;
  /** The session is `ready`: the page must then report a socket state at all. */
  readonly ready: boolean;
  /** Restart the browser above this many MB of PSS (0 = off); only measured while ready. */
  readonly memoryLimitMb: number;
  readonly measureMemory?: () => Promise<number>;
}

/** Why a probe failed, for logs and metrics. */
export type ProbeFailure = { readonly kind: 'watchdog' | 'memory'; readonly reason: string };

/**
 * Asks the page for its state; no answer in time means it stopped answering. Before login the
 * page answers 'UNPAIRED', which is no problem; a page with no socket state at all (null) only
 * counts against `ready`. Returns what is wrong, or null.
 */
export async function probePage(options: ProbeOptions): Promise<ProbeFailure | null> {
  try {
    const state = await withTimeout(options.client.getState(), options.timeoutMs, options.clock, 'getState()');
    if (state === null && options.ready) return { kind: 'watchdog', reason: 'the page lost its WhatsApp socket' };
  } catch (error) {
    return { kind: 'watchdog', reason: `the page stopped answering (${describeError(error)})` };
  }
  return checkMemory(options);
}

/** Over the memory limit: the browser is restarted, keeping the session (a reconnect). */
async function checkMemory(options: ProbeOptions): Promise<ProbeFailure | null> {
  const { memoryLimitMb, measureMemory } = options;
  if (memoryLimitMb <= 0 || !measureMemory || !options.ready) return null;
  try {
    const usedMb = Math.round((await measureMemory()) / 1024 / 1024);
    if (usedMb <= memoryLimitMb) return null;
    return { kind: 'memory', reason: `the browser uses ${usedMb} MB, over BROWSER_MEMORY_LIMIT_MB=${memoryLimitMb}` };
  } catch (error) {
    options.log.debug('Could not measure the browser memory', { error: describeError(error) });
    return null;
  }
}

export interface WatchdogOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly memoryLimitMb: number;
  readonly measureMemory?: () => Promise<number>;
  /** Arms and clears the probe timer (shared with the supervisor's other timers). */
  readonly timers: { arm(name: 'watchdog', ms: number, callback: () => void): void; has(name: 'watchdog'): boolean };
  /** Whether `client` is still the one to watch, and whether its session is `ready`. */
  readonly watching: (client: WaClient) => { watched: boolean; ready: boolean };
  readonly onFailure: (client: WaClient, failure: ProbeFailure) => void;
}

/** Probes the page every `intervalMs` while told to, and reports the first failure. */
export class Watchdog {
  constructor(private readonly options: WatchdogOptions) {}

  get armed(): boolean {
    return this.options.timers.has('watchdog');
  }

  schedule(client: WaClient): void {
    this.options.timers.arm('watchdog', this.options.intervalMs, () => void this.probeNow(client));
  }

  async probeNow(client: WaClient): Promise<void> {
    const { measureMemory } = this.options;
    const failure = await probePage({
      client,
      clock: this.options.clock,
      log: this.options.log,
      timeoutMs: this.options.timeoutMs,
      ready: this.options.watching(client).ready,
      memoryLimitMb: this.options.memoryLimitMb,
      ...(measureMemory ? { measureMemory } : {}),
    });
    if (!this.options.watching(client).watched) return;
    if (failure === null) this.schedule(client);
    else this.options.onFailure(client, failure);
  }
}
