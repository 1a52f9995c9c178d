/**
 * The simulated page's settings: one declaration, read by the page (defaults, run-time changes)
 * and by the Node side (`renderSimPage` options, `SimPhone.configure`).
 */
export interface SimConfig {
  /** Reported as `window.Debug.VERSION`; digits and dots only (the library compares it numerically). */
  version: string;
  /** Rotate the QR (`Conn.ref`, `change:ref`) every N ms while UNPAIRED; 0 = never. */
  qrRotateMs: number;
  /** Go to UNPAIRED_IDLE after N rotations, like the real page; 0 = never. */
  idleAfterQrs: number;
  /** Set `hasSynced` right after CONNECTED, before the library listens: reproduces the sync hang. */
  eagerSync: boolean;
  /** Delay between "a `change:hasSynced` listener exists" and `hasSynced = true`. */
  syncDelayMs: number;
  /** Delay between boot steps (UNLAUNCHED -> OPENING -> UNPAIRED | CONNECTED). */
  bootDelayMs: number;
  /** Delay between pairing steps after a scan (PAIRING -> OPENING -> CONNECTED). */
  pairStepMs: number;
  /** Remote logout: delay between the Cmd event and the reload of https://web.whatsapp.com/. */
  logoutReloadDelayMs: number;
  /** Delay before `Socket.takeover()` returns to CONNECTED. */
  takeoverDelayMs: number;
  /** Outgoing messages get ack 1 (server) after N ms; negative = never. */
  ackDelayMs: number;
  /** A pairing code stays valid this long (the real one: about 3 minutes). */
  pairingCodeTtlMs: number;
  /** More than this many pairing codes within `pairingCodeWindowMs` are refused ("rate-overlimit"). */
  pairingCodeLimit: number;
  pairingCodeWindowMs: number;
  /** Each media download the library makes (`downloadMedia()`) takes this much longer, success or failure. */
  mediaDownloadDelayMs: number;
  /** Numbers (digits) WhatsApp does not know: `queryWidExists` answers nothing for them. */
  unregisteredNumbers: string[];
  /** 5th part of the QR string (`DEVICE_PLATFORM`). */
  devicePlatform: string;
  /** `Conn.platform`: the phone's platform. */
  phonePlatform: string;
  /** IndexedDB database holding the paired state. */
  dbName: string;
  /** console.log every sim event. */
  verbose: boolean;
}

export const DEFAULT_SIM_CONFIG: Readonly<SimConfig> = Object.freeze({
  version: '2.3000.1031000000',
  qrRotateMs: 20_000,
  idleAfterQrs: 0,
  eagerSync: false,
  syncDelayMs: 300,
  bootDelayMs: 100,
  pairStepMs: 150,
  logoutReloadDelayMs: 500,
  takeoverDelayMs: 150,
  ackDelayMs: 50,
  pairingCodeTtlMs: 180_000,
  pairingCodeLimit: 5,
  pairingCodeWindowMs: 600_000,
  mediaDownloadDelayMs: 0,
  unregisteredNumbers: [],
  devicePlatform: 'WEB',
  phonePlatform: 'android',
  dbName: 'wa-sim',
  verbose: false,
});

/** What `__sim.configure()` may change at run time (kept in the page's IndexedDB, so it survives restarts). */
export const RUNTIME_KEYS = [
  'qrRotateMs',
  'idleAfterQrs',
  'eagerSync',
  'syncDelayMs',
  'bootDelayMs',
  'pairStepMs',
  'logoutReloadDelayMs',
  'takeoverDelayMs',
  'ackDelayMs',
  'pairingCodeTtlMs',
  'pairingCodeLimit',
  'pairingCodeWindowMs',
  'mediaDownloadDelayMs',
  'unregisteredNumbers',
  'verbose',
] as const satisfies readonly (keyof SimConfig)[];

export type SimRuntimeKey = (typeof RUNTIME_KEYS)[number];
export type SimRuntimeConfig = Partial<Pick<SimConfig, SimRuntimeKey>>;
/** Options of `renderSimPage`: any setting; the rest take their defaults. */
export type SimPageOptions = Partial<SimConfig>;

export function isRuntimeKey(key: string): key is SimRuntimeKey {
  return (RUNTIME_KEYS as readonly string[]).includes(key);
}
