/**
 * The fault menu. Each fault acts on the daemon and says what must follow, and the runner checks
 * that outcome after every fault:
 * - `tolerated`: nothing at all happens (no transition);
 * - `reconnect`: the daemon notices, reconnects and is ready again, with no QR;
 * - `keep`: ready again with no QR (the daemon was restarted, so a reconnect is not required);
 * - `fresh`: the session is gone: a fresh QR, a re-pair, and the re-pair survives a restart.
 */
import type { SimPhone } from '../sim';
import type { SimLogoutSignal } from '../sim';
import { browsersOnProfile } from './browsers';
import type { SeededRandom } from './random';
import type { ChaosSession } from './session';
import { TEST_TIMINGS } from '../support/daemon';
import { sleep } from '../support/wait';
import { endProcesses, findProfileProcesses } from '../../src/chromium/chromium-processes';

export type Outcome = 'tolerated' | 'reconnect' | 'keep' | 'fresh';

/** What two faults together call for: the strongest of the two, but a restart makes a reconnect unnecessary. */
export function combine(a: Outcome, b: Outcome, restarted: boolean): Outcome {
  if (a === 'fresh' || b === 'fresh') return 'fresh';
  if (restarted) return 'keep';
  if (a === 'reconnect' || b === 'reconnect') return 'reconnect';
  return a === 'keep' || b === 'keep' ? 'keep' : 'tolerated';
}

export interface Fault {
  readonly name: string;
  readonly weight: number;
  apply(session: ChaosSession, random: SeededRandom): Promise<Outcome>;
}

const WATCHDOG_INTERVAL_MS = Number(TEST_TIMINGS.WATCHDOG_INTERVAL_MS);
const WATCHDOG_TIMEOUT_MS = Number(TEST_TIMINGS.WATCHDOG_TIMEOUT_MS);

/** Chromium killed from outside: every process on the profile, at once, with SIGKILL. */
async function killChromium(session: ChaosSession): Promise<void> {
  const processes = await findProfileProcesses(session.sandbox.profileDir);
  for (const { pid } of processes) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  session.timeline.note('killed chromium', { pids: processes.map((p) => p.pid) });
}

function socketState(state: string): Fault {
  return {
    name: `socket ${state}`,
    weight: 1,
    async apply(session) {
      await session.withPhone((phone) => phone.setSocketState(state));
      // The daemon runs without takeover: both are a lost connection.
      return 'reconnect';
    },
  };
}

function remoteLogout(signal: SimLogoutSignal, weight: number): Fault {
  return {
    name: `remote logout (${signal})`,
    weight,
    async apply(session) {
      await session.withPhone((phone) => phone.remoteLogout(signal));
      return 'fresh';
    },
  };
}

/** The single faults: what an operator's worst week brings, one at a time. */
export const SINGLE_FAULTS: readonly Fault[] = [
  {
    name: 'chromium killed',
    weight: 3,
    async apply(session) {
      await killChromium(session);
      return 'reconnect';
    },
  },
  socketState('CONFLICT'),
  socketState('UNPAIRED'),
  {
    name: 'socket TIMEOUT (tolerated)',
    weight: 1,
    async apply(session) {
      await session.withPhone(async (phone) => {
        await phone.setSocketState('TIMEOUT');
        await sleep(1_000);
        await phone.setSocketState('CONNECTED');
      });
      return 'tolerated';
    },
  },
  {
    name: 'daemon restarted (SIGTERM)',
    weight: 2,
    async apply(session) {
      await session.restart('SIGTERM');
      return 'keep';
    },
  },
  {
    name: 'daemon killed (kill -9) and restarted',
    weight: 2,
    async apply(session) {
      await session.restart('SIGKILL');
      return 'keep';
    },
  },
  remoteLogout('logout_from_bridge', 1),
  remoteLogout('logout', 1),
  remoteLogout('silent', 1),
  {
    name: 'operator clear',
    weight: 1,
    async apply(session) {
      const { status } = await session.clear();
      if (status !== 200) session.timeline.violation('clear did not answer 200', { status });
      return 'fresh';
    },
  },
  {
    name: 'page frozen past the watchdog',
    weight: 1,
    async apply(session) {
      await session.withPhone((phone) => phone.freeze(WATCHDOG_INTERVAL_MS + WATCHDOG_TIMEOUT_MS + 1_000));
      return 'reconnect';
    },
  },
];

/** Faults that strike together or mid-way through another: what single tests never try. */
export const CONCURRENT_FAULTS: readonly Fault[] = [
  {
    name: 'sends in flight when Chromium dies',
    weight: 1,
    async apply(session) {
      await session.send(6);
      await killChromium(session);
      return 'reconnect';
    },
  },
  {
    name: 'sends accepted, then kill -9',
    weight: 1,
    async apply(session) {
      await session.send(6);
      await session.restart('SIGKILL');
      return 'keep';
    },
  },
  {
    name: 'clear during a reconnect backoff',
    weight: 1,
    async apply(session) {
      await killChromium(session);
      await session.waitForState('reconnecting');
      const { status } = await session.clear();
      if (status !== 200) session.timeline.violation('clear did not answer 200', { status });
      return 'fresh';
    },
  },
  {
    name: 'SIGTERM during a launch',
    weight: 1,
    async apply(session) {
      await killChromium(session);
      await session.waitForState('starting');
      await session.restart('SIGTERM');
      return 'keep';
    },
  },
  {
    name: "browser killed during a logout's teardown",
    weight: 1,
    async apply(session) {
      await session.withPhone((phone) => phone.remoteLogout('logout_from_bridge'));
      await session.waitForState('logged_out');
      await killChromium(session);
      return 'fresh';
    },
  },
  {
    name: 'remote logout while a clear is running',
    weight: 1,
    async apply(session) {
      await session.withPhone(async (phone) => {
        const clear = session.clear();
        // The clear may close the browser before the phone's call lands: that is the race.
        await phone.remoteLogout('logout_from_bridge').catch(() => undefined);
        const { status } = await clear;
        if (status !== 200) session.timeline.violation('clear did not answer 200', { status });
      });
      return 'fresh';
    },
  },
  {
    name: 'watchdog timeout while a reconnect is queued',
    weight: 1,
    async apply(session) {
      await session.withPhone((phone) => phone.freeze(WATCHDOG_INTERVAL_MS + WATCHDOG_TIMEOUT_MS + 3_000));
      // A probe is now in flight on the frozen page; the browser dies under it.
      await sleep(WATCHDOG_INTERVAL_MS + 500);
      await killChromium(session);
      return 'reconnect';
    },
  },
  {
    name: 'two faults 50 ms apart',
    weight: 2,
    async apply(session, random) {
      const first = random.weighted(FIRST_OF_TWO);
      const second = random.weighted(SECOND_OF_TWO.filter((f) => f.name !== first.name));
      session.timeline.note(`two faults: ${first.name}, then ${second.name}`);
      return session.withPhone(async (phone) => {
        const a = await first.strike(session, phone);
        await sleep(50);
        const b = await second.strike(session, phone);
        return combine(a, b, second.restarts === true);
      });
    },
  },
];

/** A fault that lands at once (no waiting for its effect), for the two-at-once fault. */
interface Strike {
  readonly name: string;
  readonly weight: number;
  /** Restarts the daemon: the session must be kept, but a reconnect need not happen first. */
  readonly restarts?: boolean;
  strike(session: ChaosSession, phone: SimPhone): Promise<Outcome>;
}

const FIRST_OF_TWO: readonly Strike[] = [
  { name: 'chromium killed', weight: 2, strike: async (s) => (await killChromium(s), 'reconnect') },
  { name: 'socket UNPAIRED', weight: 1, strike: async (_s, phone) => (await phone.call('setSocketState', 'UNPAIRED'), 'reconnect') },
  { name: 'socket CONFLICT', weight: 1, strike: async (_s, phone) => (await phone.call('setSocketState', 'CONFLICT'), 'reconnect') },
  { name: 'remote logout', weight: 1, strike: async (_s, phone) => (await phone.remoteLogout('logout_from_bridge'), 'fresh') },
];

const SECOND_OF_TWO: readonly Strike[] = [
  { name: 'chromium killed', weight: 2, strike: async (s) => (await killChromium(s), 'reconnect') },
  {
    name: 'operator clear',
    weight: 1,
    strike: async (s) => {
      const { status } = await s.clear();
      if (status !== 200) s.timeline.violation('clear did not answer 200', { status });
      return 'fresh';
    },
  },
  { name: 'daemon restarted (SIGTERM)', weight: 1, restarts: true, strike: async (s) => (await s.restart('SIGTERM'), 'keep') },
  { name: 'daemon killed (kill -9) and restarted', weight: 1, restarts: true, strike: async (s) => (await s.restart('SIGKILL'), 'keep') },
];

export const FAULTS: readonly Fault[] = [...SINGLE_FAULTS, ...CONCURRENT_FAULTS];

/** Ends whatever a failed run left on the profile. */
export async function endLeftovers(session: ChaosSession): Promise<number> {
  const left = await findProfileProcesses(session.sandbox.profileDir);
  if (left.length > 0) await endProcesses(left, 1_000);
  return (await browsersOnProfile(session.sandbox.profileDir)).length;
}
