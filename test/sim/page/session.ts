/**
 * The page's side of the session: the socket state machine (boot, QR, scan, pairing code,
 * sync, unlink) driven by the simulated phone through `__sim` and by the library's calls.
 */
import { encodeB64, randomBytes, Wid } from './ids';
import { cmd, conn, contacts, socket, socketHooks } from './models';
import { idbDelete, idbPut } from './storage';
import { cfg, type DeviceKeys, markBooted, type Pairing, sim } from './state';
import { log, recordError, simError, sleep } from './trace';
import type { SimLogoutSignal, SimMe } from './types';
import { render } from './view';

/** Called after every state change; set by messages.ts to deliver queued messages once connected. */
export const sessionHooks = {
  onConnected: (): void => undefined,
};

export function socketState(): string {
  return String(socket.get('state'));
}

export function setState(state: string): void {
  log('state', { from: socketState(), to: state });
  socket.set({ state, stream: state === 'CONNECTED' ? 'CONNECTED' : 'DISCONNECTED' });
  render();
  if (state === 'CONNECTED') {
    scheduleSync('state');
    sessionHooks.onConnected();
  }
}

export function newDeviceKeys(): DeviceKeys {
  return {
    noisePub: randomBytes(32),
    noisePriv: randomBytes(32),
    identityPub: randomBytes(32),
    identityPriv: randomBytes(32),
    advSecret: encodeB64(randomBytes(32)),
    registrationId: 1 + Math.floor(Math.random() * 16_380),
  };
}

// ---- QR ------------------------------------------------------------------------------

function newRef(): string {
  return `2@${encodeB64(randomBytes(60))}`;
}

export function showQr(why: string): void {
  stopQrTimer();
  sim.qrCount = 0;
  conn.set({ ref: newRef() });
  log('qr', { why, ref: String(conn.get('ref')).slice(0, 12) });
  setState('UNPAIRED');
  startQrTimer();
}

export function startQrTimer(): void {
  stopQrTimer();
  if (cfg.qrRotateMs <= 0) return;
  sim.qrTimer = setInterval(() => {
    if (socketState() !== 'UNPAIRED' || sim.pairing) {
      stopQrTimer();
      return;
    }
    sim.qrCount++;
    if (cfg.idleAfterQrs > 0 && sim.qrCount >= cfg.idleAfterQrs) {
      stopQrTimer();
      setState('UNPAIRED_IDLE');
      return;
    }
    conn.set({ ref: newRef() }); // change:ref: the library emits a new 'qr'
    log('qr-rotate', { n: sim.qrCount });
    render();
  }, cfg.qrRotateMs);
}

function stopQrTimer(): void {
  if (sim.qrTimer) clearInterval(sim.qrTimer);
  sim.qrTimer = null;
}

// ---- sync ------------------------------------------------------------------------------

/** `hasSynced` flips once the library listens for it (or at once with `eagerSync`). */
export function scheduleSync(why: string): void {
  if (!sim.pairing || socketState() !== 'CONNECTED' || socket.get('hasSynced') || sim.syncing) return;
  if (cfg.eagerSync) {
    log('sync', { why, eager: true, listeners: socket.listenerCount('change:hasSynced') });
    sim.offlineProgress = 100;
    socket.set({ hasSynced: true });
    render();
    return;
  }
  if (socket.listenerCount('change:hasSynced') === 0) {
    log('sync-wait', { why, note: 'no change:hasSynced listener yet' });
    return;
  }
  sim.syncing = true;
  log('sync-start', { why, delayMs: cfg.syncDelayMs });
  [0, 50, 100].forEach((percent, step, steps) => {
    setTimeout(
      () => {
        sim.offlineProgress = percent;
        cmd.trigger('offline_progress_update_from_bridge');
      },
      Math.floor((cfg.syncDelayMs * step) / steps.length),
    );
  });
  sim.syncTimer = setTimeout(() => {
    sim.syncing = false;
    if (!sim.pairing || socketState() !== 'CONNECTED') {
      log('sync-abort', { state: socketState() });
      return;
    }
    log('sync', { why, eager: false });
    socket.set({ hasSynced: true });
    render();
    sessionHooks.onConnected();
  }, cfg.syncDelayMs);
}

// ---- pairing ---------------------------------------------------------------------------

export function applyMe(me: Required<SimMe>): void {
  const wid = new Wid(`${me.user}@c.us`);
  conn.set({ wid, pushname: me.pushname, platform: cfg.phonePlatform });
  const contact = contacts.get(wid) ?? contacts.add({ id: wid });
  contact.set({ pushname: me.pushname, name: me.pushname, type: 'in' });
}

export function normalizeMe(me: Partial<SimMe> = {}): Required<SimMe> {
  const user = String(me.user ?? '15550001111')
    .replace(/^\+/, '')
    .replace(/@.*$/, '');
  if (!/^\d+$/.test(user)) throw simError(`me.user must be digits, got ${JSON.stringify(me.user)}`);
  const lid = me.lid ? String(me.lid).replace(/@.*$/, '') : String(100_000_000_000_000 + Math.floor(Math.random() * 899_999_999_999_999));
  return { user, pushname: me.pushname ?? 'Sim Phone', lid };
}

function isWaitingForPairing(): boolean {
  return socketState() === 'UNPAIRED' || socketState() === 'UNPAIRED_IDLE';
}

async function pair(me: Required<SimMe>, how: string): Promise<Pairing> {
  stopQrTimer();
  const pairing: Pairing = { me, pairedAt: Date.now() };
  sim.pairing = pairing;
  sim.pairingCode = null;
  await idbPut('pairing', pairing);
  applyMe(me);
  log('paired', { how, me });
  void (async () => {
    await sleep(cfg.pairStepMs);
    setState('PAIRING');
    await sleep(cfg.pairStepMs);
    setState('OPENING');
    await sleep(cfg.pairStepMs);
    setState('CONNECTED');
  })().catch((error: unknown) => recordError('pairing steps', error));
  return pairing;
}

/** The phone scans the QR on screen. */
export async function scan(me?: Partial<SimMe>): Promise<{ ok: true; me: Required<SimMe>; ref: string }> {
  if (sim.pairing) throw simError(`scan: already paired as ${sim.pairing.me.user}`);
  if (socketState() !== 'UNPAIRED' || sim.pairingType !== 'QR') {
    throw simError(`scan: no QR on screen (socket ${socketState()}, pairing by ${sim.pairingType})`);
  }
  const ref = String(conn.get('ref'));
  const pairing = await pair(normalizeMe(me), 'qr');
  return { ok: true, me: pairing.me, ref };
}

/** WhatsApp issues a code for `phoneNumber` ("Link with phone number instead"). */
export function issuePairingCode(phoneNumber: string): string {
  const now = Date.now();
  sim.pairingCodesIssued = sim.pairingCodesIssued.filter((at) => now - at < cfg.pairingCodeWindowMs);
  if (sim.pairingCodesIssued.length >= cfg.pairingCodeLimit) {
    log('pairing-code-refused', { phoneNumber, issued: sim.pairingCodesIssued.length });
    // What the server answers when a number asks too often.
    throw simError('rate-overlimit: too many pairing code requests, try again later');
  }
  if (!/^\d{6,15}$/.test(phoneNumber)) throw simError(`bad-request: invalid phone number ${JSON.stringify(phoneNumber)}`);
  sim.pairingCodesIssued.push(now);
  const alphabet = 'ABCDEFGHJKLMNPQRSTVWXYZ123456789';
  const code = Array.from(randomBytes(8), (byte) => alphabet[byte % alphabet.length]).join('');
  sim.pairingCode = { code, phoneNumber, issuedAt: now, expiresAt: now + cfg.pairingCodeTtlMs };
  log('pairing-code', { phoneNumber });
  render();
  return code;
}

/** The phone's owner types the code: pairs as the number it was issued for. */
export async function enterCode(code: string, me?: Partial<SimMe>): Promise<{ ok: true; me: Required<SimMe> }> {
  if (sim.pairing) throw simError(`enterCode: already paired as ${sim.pairing.me.user}`);
  const issued = sim.pairingCode;
  if (!issued || !isWaitingForPairing()) throw simError('enterCode: no pairing code is being shown');
  if (Date.now() > issued.expiresAt) throw simError('enterCode: the code expired');
  if (String(code).replace(/[-\s]/g, '').toUpperCase() !== issued.code) throw simError('enterCode: wrong code');
  const pairing = await pair(normalizeMe({ ...me, user: issued.phoneNumber }), 'code');
  return { ok: true, me: pairing.me };
}

export function setPairingType(type: string): void {
  sim.pairingType = type === 'ALT_DEVICE_LINKING' ? 'ALT_DEVICE_LINKING' : 'QR';
  if (sim.pairingType === 'QR') sim.pairingCode = null;
  log('pairing-type', { type: sim.pairingType });
}

// ---- unlink ----------------------------------------------------------------------------

/** The device is unlinked: keys wiped, the app told (or not), and the page reloads. */
export async function unlink(why: string, signal: SimLogoutSignal = 'logout'): Promise<{ ok: true; reloadInMs: number }> {
  if (sim.reloadScheduled) return { ok: true, reloadInMs: cfg.logoutReloadDelayMs };
  sim.logouts++;
  log('unlink', { why, signal, paired: Boolean(sim.pairing) });
  stopQrTimer();
  if (sim.syncTimer) clearTimeout(sim.syncTimer);
  // A new install generates new keys: wipe them with the pairing.
  await idbDelete(['pairing', 'keys', 'pending']);
  sim.pairing = null;
  // whatsapp-web.js 1.34.7 listens to both (onLogoutEvent sets lastLoggedOut, so the reload
  // that follows is treated as a logout). 'silent' leaves only the new QR to tell.
  if (signal !== 'silent') cmd.trigger(signal);
  sim.reloadScheduled = true;
  // A reload of the exact URL: /?post_logout=1 is not served offline.
  setTimeout(() => location.reload(), cfg.logoutReloadDelayMs);
  render();
  return { ok: true, reloadInMs: cfg.logoutReloadDelayMs };
}

// ---- boot ------------------------------------------------------------------------------

export async function startSocket(): Promise<void> {
  markBooted();
  await sleep(cfg.bootDelayMs);
  setState('OPENING');
  await sleep(cfg.bootDelayMs);
  if (sim.pairing) setState('CONNECTED');
  else showQr('boot');
}

socketHooks.onSyncListener = () => scheduleSync('listener');
socketHooks.takeover = () => setTimeout(() => setState('CONNECTED'), cfg.takeoverDelayMs);
socketHooks.logout = (why) => unlink(why);
socketHooks.refreshQr = (why) => {
  if (!sim.pairing) showQr(why);
};
