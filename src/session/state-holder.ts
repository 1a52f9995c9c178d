import type { Clock } from '../common/clock';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import type { SessionSnapshot, SessionState } from './session-state';
import { isAllowedTransition } from './transitions';

export type SnapshotPatch = Partial<Omit<SessionSnapshot, 'state' | 'since'>>;

/**
 * The current snapshot and who watches it. Every change goes through `move()`, which refuses
 * an edge the lifecycle does not allow: that is a bug, so it is logged loudly and the caller
 * learns the state did not move.
 */
export class StateHolder {
  private snap: SessionSnapshot;
  private readonly listeners = new Set<(snapshot: SessionSnapshot) => void>();

  constructor(
    initial: Omit<SessionSnapshot, 'since'>,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.snap = Object.freeze({ ...initial, since: new Date(clock.now()) });
  }

  get snapshot(): SessionSnapshot {
    return this.snap;
  }

  get state(): SessionState {
    return this.snap.state;
  }

  subscribe(listener: (snapshot: SessionSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Moves to `state` (or updates it) with `patch`; false when the lifecycle forbids the edge. */
  move(state: SessionState, patch: SnapshotPatch): boolean {
    const previous = this.snap.state;
    if (!isAllowedTransition(previous, state)) {
      this.log.error(`Refused the transition ${previous} -> ${state}: the lifecycle does not allow it (a bug)`, {
        event: 'session.transition_refused',
        from: previous,
        to: state,
      });
      return false;
    }
    const since = state === previous ? this.snap.since : new Date(this.clock.now());
    // A QR or a code exists only while WhatsApp waits to be paired.
    const pairingSecrets = state === 'qr' ? {} : { qr: null, code: null };
    this.snap = Object.freeze({ ...this.snap, ...patch, ...pairingSecrets, state, since });
    // `event`, `from` and `to` are for machines (tests, log pipelines); the text is for people.
    if (previous !== state) {
      this.log.info(`Session ${previous} -> ${state}: ${this.snap.message}`, { event: 'session.transition', from: previous, to: state });
    }
    for (const listener of this.listeners) {
      try {
        listener(this.snap);
      } catch (error) {
        this.log.warn('A session listener failed', { error: describeError(error) });
      }
    }
    return true;
  }
}
