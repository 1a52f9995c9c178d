/**
 * The reconnects of a soak, in turn: every way the chaos run knows to lose a connection that
 * leaves the same daemon process running. Each waits until the daemon is ready again.
 */
import { findProfileProcesses } from '../../src/chromium/chromium-processes';
import type { Daemon } from '../support/daemon';
import { sleep } from '../support/wait';
import type { PhoneLink } from './phone-link';

export const SOAK_FAULTS = ['browser SIGKILL', 'socket UNPAIRED', 'socket CONFLICT', 'socket TIMEOUT blip', 'clear and re-pair'] as const;
export type SoakFault = (typeof SOAK_FAULTS)[number];

const READY_WITHIN_MS = 90_000;

function readyCount(daemon: Daemon): number {
  return daemon.transitions().filter((state) => state === 'ready').length;
}

async function readyAgain(daemon: Daemon, before: number, what: string): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  while (readyCount(daemon) <= before) {
    if (daemon.hasExited) throw new Error(`the daemon exited during "${what}":\n${daemon.tail()}`);
    if (Date.now() > deadline)
      throw new Error(`not ready again within ${READY_WITHIN_MS} ms of "${what}" (last: ${daemon.transitions().slice(-5).join(' ')})`);
    await sleep(50);
  }
}

async function killBrowser(daemon: Daemon): Promise<void> {
  for (const { pid } of await findProfileProcesses(daemon.sandbox.profileDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Applies one fault and waits until the daemon is ready again; throws when it does not behave as it must. Inside `phone.exclusive`. */
export async function applyFault(fault: SoakFault, daemon: Daemon, phone: PhoneLink): Promise<void> {
  const before = readyCount(daemon);
  const transitionsBefore = daemon.transitions().length;
  switch (fault) {
    case 'browser SIGKILL':
      await killBrowser(daemon);
      await phone.drop();
      return readyAgain(daemon, before, fault);
    case 'socket UNPAIRED':
    case 'socket CONFLICT':
      await phone.call((p) => p.setSocketState(fault.slice('socket '.length)));
      await phone.drop();
      return readyAgain(daemon, before, fault);
    case 'socket TIMEOUT blip':
      await phone.call(async (p) => {
        await p.setSocketState('TIMEOUT');
        await sleep(1_000);
        await p.setSocketState('CONNECTED');
      });
      if (daemon.transitions().length !== transitionsBefore) {
        throw new Error(`a TIMEOUT blip moved the state: ${daemon.transitions().slice(transitionsBefore).join(' ')}`);
      }
      return;
    case 'clear and re-pair': {
      const { status } = await daemon.request('DELETE', '/api/session/clear');
      if (status !== 200) throw new Error(`the clear answered ${status}`);
      await phone.drop();
      await daemon.waitForState('qr', READY_WITHIN_MS);
      await phone.call((p) => p.scan());
      return readyAgain(daemon, before, fault);
    }
  }
}
