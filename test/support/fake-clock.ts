import type { Clock, TimerHandle } from '../../src/common/clock';

interface FakeTimer {
  readonly handle: TimerHandle;
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * Lets every promise chain that is ready to run, run: fakes settle through microtasks only,
 * and one macrotask turn drains the whole microtask queue; a few turns cover chains that
 * hop through `setImmediate` themselves.
 */
export async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A Clock driven by the test. `advance(ms)` runs due timers one at a time in time order
 * (timers scheduled by timers included) and lets promise chains settle between them, so
 * code that awaits between timers behaves as it would in real time.
 */
export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<TimerHandle, FakeTimer>();

  constructor(start = Date.UTC(2025, 0, 1, 12, 0, 0)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  /** Time passing inside a slow call: forward by `ms`, no timer fired (the next `advance` fires them). */
  elapse(ms: number): void {
    this.time += ms;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle: TimerHandle = { id: ++this.seq };
    this.timers.set(handle, { handle, due: this.time + Math.max(0, ms), seq: this.seq, callback });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle);
  }

  /** Timers scheduled and neither fired nor cleared. */
  pending(): number {
    return this.timers.size;
  }

  /** Delays (from now) of the pending timers, soonest first. */
  pendingDelays(): number[] {
    return [...this.timers.values()].map((t) => t.due - this.time).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    await flush();
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.timers.delete(next.handle);
      this.time = next.due;
      next.callback();
      await flush();
    }
    this.time = target;
    await flush();
  }

  private nextDue(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const timer of this.timers.values()) {
      if (timer.due > limit) continue;
      if (!best || timer.due < best.due || (timer.due === best.due && timer.seq < best.seq)) best = timer;
    }
    return best;
  }
}
