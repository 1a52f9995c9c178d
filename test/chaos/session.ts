/**
 * The daemon under chaos and what a fault needs to act on it: start and stop it, play the phone,
 * wait for a state, read its transitions across restarts.
 */
import type { SimPhone } from '../sim';
import { Daemon, type Exit, type LogRecord, type Sandbox, type SessionStatus } from '../support/daemon';
import { sample, sha256 } from '../support/media-samples';
import { attachPhone } from '../support/phone';
import { browsersOnProfile } from './browsers';
import type { Timeline } from './timeline';
import type { Watcher } from './watcher';

/** A message the daemon answered 202 for: it must end up sent, whatever the faults. */
export interface AcceptedSend {
  readonly id: string;
  readonly to: string;
  /** The text, or the caption of a file. */
  readonly text: string;
  /** A file's sha256: what the phone must receive, byte for byte. */
  readonly sha256?: string;
  readonly acceptedAt: number;
}

/** Fast pacing so a run's sends do not wait for the default budget of 30 a minute. */
const SEND_ENV = { SEND_RATE_PER_MINUTE: '600', SEND_CHAT_GAP_MS: '0' };

export interface Mark {
  readonly incarnation: number;
  readonly transition: number;
}

export class ChaosSession {
  /** Every daemon process of the run, in order; the last one is the live one. */
  readonly incarnations: Daemon[] = [];
  /** Every message accepted over the run, by id. */
  readonly accepted = new Map<string, AcceptedSend>();
  /** Accepted messages the phone got twice at the last check (allowed only after an interrupted attempt). */
  repeats = 0;
  private pairings = 0;
  private sends = 0;

  constructor(
    readonly sandbox: Sandbox,
    readonly watcher: Watcher,
    readonly timeline: Timeline,
  ) {}

  get daemon(): Daemon {
    const daemon = this.incarnations.at(-1);
    if (!daemon) throw new Error('no daemon started yet');
    return daemon;
  }

  async startDaemon(): Promise<void> {
    // The harness's test timings: recovery in seconds, so a run tries many faults.
    const daemon = await Daemon.start(this.sandbox, { env: SEND_ENV });
    this.incarnations.push(daemon);
    this.watcher.expectUp(daemon.port);
  }

  /** Stops the live daemon; with SIGTERM it must exit 0 within the budget and leave no browser. */
  async stopDaemon(signal: 'SIGTERM' | 'SIGKILL'): Promise<Exit & { ms: number }> {
    this.watcher.expectDown();
    const exit = await this.daemon.stop(signal, 20_000);
    if (signal === 'SIGTERM') {
      if (exit.code !== 0) this.timeline.violation('SIGTERM exit code is not 0', { code: exit.code, signal: exit.signal });
      if (exit.ms > 10_000) this.timeline.violation('SIGTERM took longer than 10 s', { ms: exit.ms });
      const left = await browsersOnProfile(this.sandbox.profileDir);
      if (left.length > 0) this.timeline.violation('a browser outlived SIGTERM', { pids: left.map((b) => b.pid) });
    }
    return exit;
  }

  async restart(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    await this.stopDaemon(signal);
    await this.startDaemon();
  }

  /** Attaches to the live browser as the phone, runs `use`, detaches. */
  async withPhone<T>(use: (phone: SimPhone) => Promise<T>): Promise<T> {
    const phone = await attachPhone(this.daemon);
    try {
      return await use(phone);
    } finally {
      await phone.detach();
    }
  }

  mark(): Mark {
    return { incarnation: this.incarnations.length - 1, transition: this.daemon.transitions().length };
  }

  /** Every state entered since `mark`, across restarts. */
  transitionsSince(mark: Mark): string[] {
    return this.incarnations.slice(mark.incarnation).flatMap((daemon, index) => daemon.transitions().slice(index === 0 ? mark.transition : 0));
  }

  waitFor(predicate: (status: SessionStatus) => boolean, what: string, timeoutMs = 60_000): Promise<SessionStatus> {
    return this.daemon.waitFor(predicate, what, timeoutMs);
  }

  /** Polls the state quickly (for faults that strike at a given state). */
  async waitForState(state: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.daemon.transitions().at(-1) === state) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`not in state ${state} within ${timeoutMs} ms (transitions: ${this.daemon.transitions().join(' ')})`);
  }

  async clear(): Promise<{ status: number }> {
    return this.daemon.request('DELETE', '/api/session/clear');
  }

  /**
   * POSTs `count` messages over a few chats, as fast as it can; records each one answered 202.
   * A request the daemon could not answer (it was going down) accepted nothing, and is no loss.
   */
  async send(count: number): Promise<number> {
    let accepted = 0;
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const n = ++this.sends;
        const to = `1555030${String(i % 3).padStart(4, '0')}@c.us`;
        const text = `chaos send ${n}`;
        // Every third one carries a file: its bytes ride through the same faults.
        const file = n % 3 === 0 ? sample.png(16) : null;
        const body = file === null ? { to, text } : { to, text, media: { data: file.toString('base64') } };
        const response = await this.daemon.request('POST', '/api/messages', true, body).catch(() => null);
        if (response?.status !== 202) return;
        const { id } = response.body as { id: string };
        this.accepted.set(id, { id, to, text, ...(file === null ? {} : { sha256: sha256(file) }), acceptedAt: Date.now() });
        accepted++;
      }),
    );
    this.timeline.note(`${accepted}/${count} sends accepted`);
    return accepted;
  }

  /** A new identity for each pairing, so a stale "me" is noticed. */
  nextPhone(): { user: string; pushname: string } {
    this.pairings++;
    return { user: String(15_550_100_000 + this.pairings), pushname: `Chaos Phone ${this.pairings}` };
  }

  /** Every log record of every incarnation, with the incarnation it came from. */
  records(): Array<LogRecord & { incarnation: number }> {
    return this.incarnations.flatMap((daemon, incarnation) => daemon.records.map((record) => ({ ...record, incarnation })));
  }
}
