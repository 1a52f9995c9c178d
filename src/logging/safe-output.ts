/**
 * stdout or stderr, written so that a closed reader can never take the daemon down or keep it
 * up. When whoever reads the log goes away (a log shipper restarts, the supervising shell
 * dies), every write fails with EPIPE; unhandled, that error becomes an uncaught exception,
 * whose log line fails again, in a loop that never yields (a core at 100 %, health silent,
 * SIGTERM and the hard-stop timer starved). Here the first failure marks the stream broken,
 * is reported once on the other stream if that one still works, and later lines are dropped
 * and counted.
 */
export class SafeOutput {
  private brokenBy: string | null = null;
  /** Lines dropped since the stream broke. */
  dropped = 0;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly name: string,
    private readonly fallback: () => SafeOutput | null = () => null,
  ) {
    // Also catches writes by anything else in the process (a library's console.log).
    stream.on('error', (error: NodeJS.ErrnoException) => this.breakDown(error));
  }

  get isBroken(): boolean {
    return this.brokenBy !== null;
  }

  write(line: string): void {
    if (this.brokenBy !== null) {
      this.dropped++;
      return;
    }
    try {
      this.stream.write(line);
    } catch (error) {
      this.breakDown(error as NodeJS.ErrnoException);
      this.dropped++;
    }
  }

  private breakDown(error: NodeJS.ErrnoException): void {
    if (this.brokenBy !== null) return;
    this.brokenBy = error.code ?? error.message;
    this.fallback()?.write(`wa-tether: ${this.name} is closed (${this.brokenBy}); log lines to it are dropped from now on\n`);
  }
}

let standard: { readonly stdout: SafeOutput; readonly stderr: SafeOutput } | null = null;

/** The process's stdout and stderr as SafeOutputs, each the other's fallback; made once. */
export function standardOutputs(): { readonly stdout: SafeOutput; readonly stderr: SafeOutput } {
  if (standard === null) {
    const outputs: { stdout?: SafeOutput; stderr?: SafeOutput } = {};
    outputs.stdout = new SafeOutput(process.stdout, 'stdout', () => outputs.stderr ?? null);
    outputs.stderr = new SafeOutput(process.stderr, 'stderr', () => outputs.stdout ?? null);
    standard = { stdout: outputs.stdout, stderr: outputs.stderr };
  }
  return standard;
}
