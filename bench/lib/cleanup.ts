/**
 * Everything the benchmark starts is registered here and undone in reverse order: at the
 * end of a run, on an error, and on Ctrl-C / SIGTERM. Each step is guarded and bounded, so
 * one stuck process cannot keep the others (or a temp dir) alive.
 */
type Step = () => Promise<void>;

const STEP_TIMEOUT_MS = 20_000;

export class Cleanup {
  private readonly steps: Array<{ name: string; step: Step }> = [];
  private running: Promise<void> | null = null;

  /** Adds a step; returns a function that unregisters it (once its owner has undone it itself). */
  add(name: string, step: Step): () => void {
    const entry = { name, step };
    this.steps.push(entry);
    return () => {
      const index = this.steps.indexOf(entry);
      if (index !== -1) this.steps.splice(index, 1);
    };
  }

  /** Runs every step still registered, newest first. Idempotent. */
  runAll(): Promise<void> {
    this.running ??= (async () => {
      for (let entry = this.steps.pop(); entry !== undefined; entry = this.steps.pop()) {
        await runGuarded(entry.name, entry.step);
      }
    })();
    return this.running;
  }

  /** On SIGINT/SIGTERM: clean up, then exit 130 / 143. A second signal exits at once. */
  installSignalHandlers(): void {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals, code: number): void => {
      if (signalled) process.exit(code);
      signalled = true;
      process.stderr.write(`\n${signal}: cleaning up (processes, temp dirs)...\n`);
      void this.runAll().finally(() => process.exit(code));
    };
    process.on('SIGINT', () => onSignal('SIGINT', 130));
    process.on('SIGTERM', () => onSignal('SIGTERM', 143));
  }
}

async function runGuarded(name: string, step: Step): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      step(),
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    process.stderr.write(`cleanup '${name}' failed: ${String(error)}\n`);
  } finally {
    clearTimeout(timer);
  }
}
