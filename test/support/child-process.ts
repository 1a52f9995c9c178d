/**
 * A node child process whose output lines are kept whole (a line split across chunks is
 * joined) with their arrival time, so "spawn to line X" is measured in the parent. The daemon
 * harness and the bench's bare client both run on it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** Where a child registers its own kill, so a run that is interrupted leaves nothing behind. */
export interface CleanupRegistry {
  add(name: string, step: () => Promise<void>): () => void;
}

export interface Line {
  /** performance.now() when the line arrived. */
  readonly at: number;
  readonly text: string;
}

export interface SpawnOptions {
  readonly name: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
  readonly cleanup?: CleanupRegistry;
}

export class Child {
  readonly lines: Line[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitedFlag = false;
  private readonly waiters = new Set<() => void>();
  private readonly unregister: () => void;

  private constructor(
    readonly name: string,
    readonly spawnedAt: number,
    private readonly proc: ChildProcess,
    cleanup: CleanupRegistry | undefined,
  ) {
    let partial = { out: '', err: '' };
    const collect = (stream: 'out' | 'err') => (chunk: Buffer) => {
      const at = performance.now();
      const text = partial[stream] + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = { ...partial, [stream]: parts.pop() ?? '' };
      for (const line of parts) if (line.trim() !== '') this.lines.push({ at, text: line });
      this.wake();
    };
    proc.stdout?.on('data', collect('out'));
    proc.stderr?.on('data', collect('err'));
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exitedFlag = true;
        this.wake();
        resolve({ code, signal });
      });
    });
    this.unregister = cleanup?.add(`kill ${name}`, () => this.kill()) ?? (() => undefined);
  }

  static spawn(options: SpawnOptions): Child {
    const spawnedAt = performance.now();
    const proc = spawn(process.execPath, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new Child(options.name, spawnedAt, proc, options.cleanup);
  }

  get pid(): number {
    const pid = this.proc.pid;
    if (pid === undefined) throw new Error(`${this.name} did not spawn`);
    return pid;
  }

  get hasExited(): boolean {
    return this.exitedFlag;
  }

  /** Writes one line to the child's stdin (the bare client's control channel). */
  send(line: string): void {
    this.proc.stdin?.write(`${line}\n`);
  }

  /** The first line at index >= `from` matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs: number, from = 0): Promise<Line & { index: number }> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (let i = from; i < this.lines.length; i++) {
          const line = this.lines[i] as Line;
          if (pattern.test(line.text)) {
            done();
            resolve({ ...line, index: i });
            return true;
          }
        }
        if (this.exitedFlag) {
          done();
          reject(new Error(`${this.name} exited while waiting for ${pattern}:\n${this.tail()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no line matching ${pattern} within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(listener);
      };
      const listener = (): void => void check();
      if (!check()) this.waiters.add(listener);
    });
  }

  /** Closes our end of its stdout and stderr, as a log reader that goes away would. */
  closeOutput(): void {
    this.proc.stdout?.destroy();
    this.proc.stderr?.destroy();
  }

  /** Sends `signal` (no escalation). */
  signal(signal: NodeJS.Signals): void {
    if (!this.exitedFlag) this.proc.kill(signal);
  }

  /** `signal` (default SIGTERM), then SIGKILL after `graceMs`; resolves once exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    if (!this.exitedFlag) {
      this.proc.kill(signal);
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.unregister();
  }

  tail(count = 30): string {
    return this.lines
      .slice(-count)
      .map((l) => `  | ${l.text}`)
      .join('\n');
  }

  private async kill(): Promise<void> {
    if (this.exitedFlag) return;
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
