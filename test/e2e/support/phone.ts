import { SimPhone } from '../../sim/phone';
import type { Daemon, SessionStatus } from './daemon';

/** Attaches to the daemon's browser through DevTools, as the phone. Detach in the test's `after`. */
export async function attachPhone(daemon: Daemon): Promise<SimPhone> {
  return SimPhone.attach(daemon.sandbox.profileDir, { timeoutMs: 30_000 });
}

/** From a QR on screen: the phone scans it, and the daemon reaches `ready`. */
export async function scanAndWaitReady(daemon: Daemon, phone: SimPhone): Promise<SessionStatus> {
  await daemon.waitForState('qr');
  await phone.scan();
  return daemon.waitForState('ready');
}
