import { after, afterEach, before } from 'node:test';
import type { SimPhone } from '../sim';
import { type Daemon, Sandbox } from './daemon';

/** The line the daemon's safety net logs before it exits on an uncaught exception. */
const UNCAUGHT = /Uncaught exception: exiting/;

/**
 * What an end-to-end file works with: one sandbox, the daemon of the moment, the attached
 * phone. Everything assigned here is torn down after the file (the phone detached, every
 * daemon still running killed, the sandbox and any leftover Chromium removed), pass or fail.
 */
export class Scene {
  private sandboxValue: Sandbox | null = null;
  private daemonValue: Daemon | null = null;
  private readonly daemons = new Set<Daemon>();
  /** How many of each daemon's crash lines a test has already failed for. */
  private readonly crashesReported = new Map<Daemon, number>();
  phone: SimPhone | undefined;

  get sandbox(): Sandbox {
    if (!this.sandboxValue) throw new Error('the scene has no sandbox yet (use it inside a test or hook)');
    return this.sandboxValue;
  }

  set sandbox(value: Sandbox) {
    this.sandboxValue = value;
  }

  get daemon(): Daemon {
    if (!this.daemonValue) throw new Error('the scene has no daemon yet');
    return this.daemonValue;
  }

  /** The daemon of the moment; every one ever set is stopped at the end. */
  set daemon(value: Daemon) {
    this.daemonValue = value;
    this.daemons.add(value);
  }

  /**
   * Fails the test that just ran if a daemon of this scene exited on an uncaught exception
   * during it: a crash that a process manager would hide behind a restart, whatever the test saw.
   * Each crash is reported once, by the test it happened in.
   */
  checkNoCrash(): void {
    const fresh = [...this.daemons].flatMap((daemon) => {
      const crashes = daemon.lines.filter((line) => UNCAUGHT.test(line));
      const reported = this.crashesReported.get(daemon) ?? 0;
      this.crashesReported.set(daemon, crashes.length);
      return crashes.slice(reported);
    });
    if (fresh.length > 0) throw new Error(`a daemon exited on an uncaught exception during this test:\n${fresh.join('\n')}`);
  }

  async dispose(): Promise<void> {
    await this.phone?.detach();
    for (const daemon of this.daemons) if (!daemon.hasExited) await daemon.stop('SIGKILL');
    await this.sandboxValue?.dispose();
  }
}

/** A scene for the enclosing `describe`: a fresh sandbox, then `setup`, before its tests. */
export function useScene(setup: (scene: Scene) => Promise<void> = async () => undefined): Scene {
  const scene = new Scene();
  before(async () => {
    scene.sandbox = await Sandbox.create();
    await setup(scene);
  });
  // A hook that throws skips the hooks of its kind registered after it: the check is an
  // afterEach (the only one in the e2e files), never part of the clean-up in `after`.
  afterEach(() => scene.checkNoCrash());
  after(() => scene.dispose());
  return scene;
}
