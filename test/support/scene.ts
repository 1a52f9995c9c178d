import { after, afterEach, before } from 'node:test';
import type { SimPhone } from '../sim';
import { CrashCheck } from './crash-check';
import { type Daemon, Sandbox } from './daemon';

/**
 * What an end-to-end file works with: one sandbox, the daemon of the moment, the attached
 * phone. Everything assigned here is torn down after the file (the phone detached, every
 * daemon still running killed, the sandbox and any leftover Chromium removed), pass or fail.
 */
export class Scene {
  private sandboxValue: Sandbox | null = null;
  private daemonValue: Daemon | null = null;
  private readonly daemons = new Set<Daemon>();
  private readonly crashes = new CrashCheck();
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

  /** Fails the test that just ran if a daemon of this scene crashed during it (see CrashCheck). */
  checkNoCrash(): void {
    this.crashes.check(this.daemons);
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
  afterEach(() => scene.checkNoCrash());
  after(() => scene.dispose());
  return scene;
}
