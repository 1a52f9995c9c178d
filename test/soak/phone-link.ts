import { SimPhone } from '../sim';

/**
 * The simulated phone across browser restarts: attached on first use, dropped when its browser
 * is gone, attached again to the next one. One user at a time (`use` serializes), so a reconnect
 * never lands in the middle of a message being typed.
 */
export class PhoneLink {
  private phone: SimPhone | null = null;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly profileDir: string) {}

  /** Runs `fn` with the phone, alone. */
  use<T>(fn: (phone: SimPhone) => Promise<T>): Promise<T> {
    return this.exclusive(() => this.call(fn));
  }

  /**
   * Runs `fn` with the phone, inside `exclusive` only; a call on a dead page (the browser was
   * replaced) attaches to the new one and tries once more.
   */
  async call<T>(fn: (phone: SimPhone) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.attached());
    } catch {
      await this.drop();
      return fn(await this.attached());
    }
  }

  /** Holds the phone for `fn` (a fault and its recovery, a sample): nobody else uses it meanwhile. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async attached(): Promise<SimPhone> {
    this.phone ??= await SimPhone.attach(this.profileDir, { timeoutMs: 30_000 });
    return this.phone;
  }

  async drop(): Promise<void> {
    const phone = this.phone;
    this.phone = null;
    await phone?.detach().catch(() => undefined);
  }
}
