import { SimPhone } from '../sim';
import { Daemon, type Sandbox, type SessionStatus, type StartOptions } from './daemon';

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

/** A daemon on `sandbox` that has been paired by the phone and is `ready`. */
export async function startPairedDaemon(sandbox: Sandbox, options: StartOptions = {}): Promise<Daemon> {
  const daemon = await Daemon.start(sandbox, options);
  const phone = await attachPhone(daemon);
  try {
    await scanAndWaitReady(daemon, phone);
  } finally {
    await phone.detach();
  }
  return daemon;
}
