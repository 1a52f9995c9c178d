/**
 * The simulated WhatsApp Web page, as the library finds it at https://web.whatsapp.com/:
 * `window.Debug.VERSION` and `window.require` exist synchronously, the socket then goes
 * UNLAUNCHED -> OPENING -> UNPAIRED (a QR) or CONNECTED (a stored pairing).
 *
 * Rules kept on purpose (README "Traps"): never use the history API (puppeteer fires
 * `framenavigated` and the library re-injects); the only navigation is a reload of the exact
 * URL; `hasSynced` flips only once somebody listens for it (unless `eagerSync`).
 */
import { isRuntimeKey } from './config';
import { control } from './control';
import { simRequire } from './modules';
import { applyMe, newDeviceKeys, startSocket } from './session';
import { idbGet, idbPut, useDatabase } from './storage';
import { cfg, type DeviceKeys, type Pairing, type PendingIncoming, sim } from './state';
import { installErrorTraps, log, recordError, setVerbose } from './trace';
import type { SimOutboxEntry } from './types';

interface SimWindow {
  Debug: { VERSION: string };
  require: (name: string) => object;
  __sim: typeof control;
}

const win = window as unknown as SimWindow;
// The first thing the library polls for: 'window.Debug?.VERSION != undefined'.
win.Debug = { VERSION: cfg.version };
win.require = simRequire;
win.__sim = control;
installErrorTraps();
useDatabase(cfg.dbName);
setVerbose(cfg.verbose);

async function boot(): Promise<void> {
  const [storedConfig, keys, pairing, outbox, pending] = await Promise.all([
    idbGet<Record<string, unknown>>('config'),
    idbGet<DeviceKeys>('keys'),
    idbGet<Pairing>('pairing'),
    idbGet<SimOutboxEntry[]>('outbox'),
    idbGet<PendingIncoming[]>('pending'),
  ]);
  for (const [key, value] of Object.entries(storedConfig ?? {})) {
    if (isRuntimeKey(key)) (cfg as unknown as Record<string, unknown>)[key] = value;
  }
  setVerbose(cfg.verbose);
  sim.keys = keys ?? newDeviceKeys();
  if (!keys) await idbPut('keys', sim.keys);
  sim.pairing = pairing ?? null;
  sim.outbox = outbox ?? [];
  sim.pending = pending ?? [];
  if (sim.pairing) applyMe(sim.pairing.me);
  log('boot', { paired: sim.pairing !== null, eagerSync: cfg.eagerSync, pending: sim.pending.length });
  await startSocket();
}

boot().catch((error: unknown) => recordError('boot', error));
