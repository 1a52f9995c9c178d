import { after, before } from 'node:test';
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
   * Tears everything down, then fails the file if any of its daemons exited on an uncaught
   * exception: a crash the process manager would hide by restarting, whatever the tests saw.
   */
  async dispose(): Promise<void> {
    await this.phone?.detach();
    for (const daemon of this.daemons) if (!daemon.hasExited) await daemon.stop('SIGKILL');
    await this.sandboxValue?.dispose();
    const crashes = [...this.daemons].flatMap((daemon) => daemon.lines.filter((line) => UNCAUGHT.test(line)));
    if (crashes.length > 0) throw new Error(`a daemon of this file exited on an uncaught exception:\n${crashes.join('\n')}`);
  }
}

/** A scene for the enclosing `describe`: a fresh sandbox, then `setup`, before its tests. */
export function useScene(setup: (scene: Scene) => Promise<void> = async () => undefined): Scene {
  const scene = new Scene();
  before(async () => {
    scene.sandbox = await Sandbox.create();
    await setup(scene);
  });
  after(() => scene.dispose());
  return scene;
}
