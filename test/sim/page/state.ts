/** The page's mutable state and settings, shared by its parts. */
import { DEFAULT_SIM_CONFIG, type SimConfig } from './config';
import type { SimIncoming, SimMediaType, SimMe, SimOutboxEntry, SimPairingCode } from './types';

interface SimWindowConfig {
  __SIM_CONFIG__?: Partial<SimConfig>;
}

export const cfg: SimConfig = {
  ...DEFAULT_SIM_CONFIG,
  unregisteredNumbers: [...DEFAULT_SIM_CONFIG.unregisteredNumbers],
  ...((window as unknown as SimWindowConfig).__SIM_CONFIG__ ?? {}),
};

/** The device's keys: new ones after every unlink, like a fresh install. */
export interface DeviceKeys {
  noisePub: Uint8Array;
  noisePriv: Uint8Array;
  identityPub: Uint8Array;
  identityPriv: Uint8Array;
  advSecret: string;
  registrationId: number;
}

export interface Pairing {
  me: Required<SimMe>;
  pairedAt: number;
}

/**
 * What a media message refers to: a file on the simulated CDN, as WhatsApp's message protobuf
 * carries it (the sender uploaded it; the receiver downloads it by directPath).
 */
export interface MediaRef {
  type: SimMediaType;
  mimetype: string;
  filename?: string;
  size: number;
  /** base64 SHA-256 of the plain bytes, as WhatsApp's `filehash`. */
  filehash: string;
  encFilehash: string;
  mediaKey: string;
  mediaKeyTimestamp: number;
  directPath: string;
}

/** An incoming message waiting for a connected, listening client (like offline messages). */
export type PendingIncoming = Required<Pick<SimIncoming, 'from' | 'body' | 'id' | 't'>> &
  Pick<SimIncoming, 'notifyName' | 'author' | 'ciphertext'> & { media?: MediaRef };

export const sim = {
  booted: false,
  pairing: null as Pairing | null,
  keys: null as DeviceKeys | null,
  qrCount: 0,
  qrTimer: null as ReturnType<typeof setInterval> | null,
  syncTimer: null as ReturnType<typeof setTimeout> | null,
  syncing: false,
  offlineProgress: 0,
  pairingType: 'QR' as 'QR' | 'ALT_DEVICE_LINKING',
  pairingCode: null as SimPairingCode | null,
  pairingCodesIssued: [] as number[],
  outbox: [] as SimOutboxEntry[],
  pending: [] as PendingIncoming[],
  seen: [] as Array<{ chat: string; at: number }>,
  takeovers: 0,
  logouts: 0,
  resendRequests: 0,
  reloadScheduled: false,
  stateRequests: 0,
  stateApplied: 0,
};

let resolveBoot: () => void = () => undefined;
/** Settles once the stored state is loaded; module functions that need the keys wait for it. */
export const booted = new Promise<void>((resolve) => {
  resolveBoot = resolve;
});
export function markBooted(): void {
  sim.booted = true;
  resolveBoot();
}

export function requireKeys(): DeviceKeys {
  if (sim.keys === null) throw new Error('[sim] device keys asked for before boot');
  return sim.keys;
}
