/**
 * The fault menu. Each fault acts on the daemon and says what must follow: `keep` (the session
 * survives: ready again with no QR) or `fresh` (the session is gone: a fresh QR, a re-pair, and
 * the re-pair survives a restart). The runner checks that outcome after every fault.
 */
import type { SimPhone } from '../sim';
import type { SimLogoutSignal } from '../sim';
import { browsersOnProfile } from './browsers';
import type { SeededRandom } from './random';
import type { ChaosSession } from './session';
import { CHAOS_ENV } from './session';
import { endProcesses, findProfileProcesses } from '../../src/chromium/chromium-processes';

export type Outcome = 'keep' | 'fresh';

export interface Fault {
  readonly name: string;
  readonly weight: number;
  apply(session: ChaosSession, random: SeededRandom): Promise<Outcome>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const WATCHDOG_INTERVAL_MS = Number(CHAOS_ENV.WATCHDOG_INTERVAL_MS);
const WATCHDOG_TIMEOUT_MS = Number(CHAOS_ENV.WATCHDOG_TIMEOUT_MS);

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
      return 'keep';
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
      return 'keep';
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
      return 'keep';
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
      return 'keep';
    },
  },
];

/** Faults that strike together or mid-way through another: what single tests never try. */
export const CONCURRENT_FAULTS: readonly Fault[] = [
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
      return 'keep';
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
        const outcomes = [await first.strike(session, phone)];
        await sleep(50);
        outcomes.push(await second.strike(session, phone));
        return outcomes.includes('fresh') ? 'fresh' : 'keep';
      });
    },
  },
];

/** A fault that lands at once (no waiting for its effect), for the two-at-once fault. */
interface Strike {
  readonly name: string;
  readonly weight: number;
  strike(session: ChaosSession, phone: SimPhone): Promise<Outcome>;
}

const FIRST_OF_TWO: readonly Strike[] = [
  { name: 'chromium killed', weight: 2, strike: async (s) => (await killChromium(s), 'keep') },
  { name: 'socket UNPAIRED', weight: 1, strike: async (_s, phone) => (await phone.call('setSocketState', 'UNPAIRED'), 'keep') },
  { name: 'socket CONFLICT', weight: 1, strike: async (_s, phone) => (await phone.call('setSocketState', 'CONFLICT'), 'keep') },
  { name: 'remote logout', weight: 1, strike: async (_s, phone) => (await phone.remoteLogout('logout_from_bridge'), 'fresh') },
];

const SECOND_OF_TWO: readonly Strike[] = [
  { name: 'chromium killed', weight: 2, strike: async (s) => (await killChromium(s), 'keep') },
  {
    name: 'operator clear',
    weight: 1,
    strike: async (s) => {
      const { status } = await s.clear();
      if (status !== 200) s.timeline.violation('clear did not answer 200', { status });
      return 'fresh';
    },
  },
  { name: 'daemon restarted (SIGTERM)', weight: 1, strike: async (s) => (await s.restart('SIGTERM'), 'keep') },
  { name: 'daemon killed (kill -9) and restarted', weight: 1, strike: async (s) => (await s.restart('SIGKILL'), 'keep') },
];

export const FAULTS: readonly Fault[] = [...SINGLE_FAULTS, ...CONCURRENT_FAULTS];

/** Ends whatever a failed run left on the profile. */
export async function endLeftovers(session: ChaosSession): Promise<number> {
  const left = await findProfileProcesses(session.sandbox.profileDir);
  if (left.length > 0) await endProcesses(left, 1_000);
  return (await browsersOnProfile(session.sandbox.profileDir)).length;
}
