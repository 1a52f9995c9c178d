/**
 * `window.__sim`: how a test (or the demo's phone page) plays the phone. Every method is also
 * a `SimPhone` method on the Node side.
 */
import { isRuntimeKey, type SimConfig, type SimRuntimeConfig } from './config';
import { ack, clearOutbox, incoming, outboxMediaBytes } from './messages';
import { cmd, conn, messages, socket, chats } from './models';
import { requiredModules } from './modules';
import { enterCode, scan, setState, socketState, startQrTimer, unlink } from './session';
import { idbGet, idbPut } from './storage';
import { booted, cfg, sim } from './state';
import { eventLog, log, pageErrors, setVerbose, simError, uptimeMs } from './trace';
import type { SimListeners, SimLogoutSignal, SimMe, SimState } from './types';

/** Socket states a test may set (the library reacts to each in its own way). */
const SETTABLE_STATES = [
  'OPENING',
  'PAIRING',
  'UNLAUNCHED',
  'UNPAIRED',
  'UNPAIRED_IDLE',
  'CONNECTED',
  'TIMEOUT',
  'CONFLICT',
  'DEPRECATED_VERSION',
  'PROXYBLOCK',
  'TOS_BLOCK',
  'SMB_TOS_BLOCK',
];

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value ?? null)) as T;
}

function listeners(): SimListeners {
  return {
    socketChangeState: socket.listenerCount('change:state'),
    socketChangeHasSynced: socket.listenerCount('change:hasSynced'),
    connChangeRef: conn.listenerCount('change:ref'),
    cmdLogout: cmd.listenerCount('logout'),
    cmdLogoutFromBridge: cmd.listenerCount('logout_from_bridge'),
    cmdOfflineProgress: cmd.listenerCount('offline_progress_update_from_bridge'),
    msgAdd: messages.listenerCount('add'),
    msgChangeAck: messages.listenerCount('change:ack'),
    chatChangeUnreadCount: chats.listenerCount('change:unreadCount'),
  };
}

function state(): SimState {
  const win = window as unknown as { WWebJS?: unknown; AuthStore?: unknown };
  return {
    booted: sim.booted,
    url: location.href,
    version: cfg.version,
    socketState: socketState(),
    hasSynced: Boolean(socket.get('hasSynced')),
    paired: sim.pairing !== null,
    me: sim.pairing ? clone(sim.pairing.me) : null,
    qrRef: socketState() === 'UNPAIRED' && sim.pairingType === 'QR' ? String(conn.get('ref')) : null,
    qrCount: sim.qrCount,
    pairingType: sim.pairingType,
    pairingCode: sim.pairingCode ? clone(sim.pairingCode) : null,
    pairingCodesIssued: sim.pairingCodesIssued.length,
    eagerSync: cfg.eagerSync,
    listeners: listeners(),
    wwebjsInjected: win.WWebJS !== undefined,
    authStoreInjected: win.AuthStore !== undefined,
    outboxCount: sim.outbox.length,
    pendingIncoming: sim.pending.length,
    takeovers: sim.takeovers,
    logouts: sim.logouts,
    resendRequests: sim.resendRequests,
    reloadScheduled: sim.reloadScheduled,
    errorCount: pageErrors().length,
    uptimeMs: uptimeMs(),
  };
}

async function configure(patch: SimRuntimeConfig): Promise<SimConfig> {
  await booted;
  const stored = (await idbGet<Record<string, unknown>>('config')) ?? {};
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (!isRuntimeKey(key)) throw simError(`configure: ${key} cannot be changed at run time`);
    stored[key] = value;
    (cfg as unknown as Record<string, unknown>)[key] = value;
  }
  await idbPut('config', stored);
  setVerbose(cfg.verbose);
  log('configure', { patch });
  if ('qrRotateMs' in (patch ?? {}) && socketState() === 'UNPAIRED' && !sim.pairing) startQrTimer();
  return clone(cfg);
}

export const control = {
  version: cfg.version,
  whenBooted: () => booted.then(() => true),
  state,
  config: () => clone(cfg),
  configure,
  scan: async (me?: Partial<SimMe>) => {
    await booted;
    return scan(me);
  },
  enterCode: async (code: string, me?: Partial<SimMe>) => {
    await booted;
    return enterCode(code, me);
  },
  remoteLogout: async (signal: SimLogoutSignal = 'logout_from_bridge') => {
    await booted;
    if (!sim.pairing) throw simError('remoteLogout: not paired');
    return unlink('remoteLogout', signal);
  },
  setSocketState: (next: string) => {
    if (!SETTABLE_STATES.includes(next)) throw simError(`setSocketState: unknown state ${next}`);
    // Applied on the next task, not inside this call: the library may react by closing the
    // browser (client.destroy()), which would otherwise kill the caller's evaluate.
    const request = ++sim.stateRequests;
    const from = socketState();
    setTimeout(() => {
      setState(next);
      sim.stateApplied = request;
    }, 0);
    return { request, from, to: next };
  },
  stateRequestApplied: (request: number) => sim.stateApplied >= request,
  /**
   * The page's main thread stops answering for `ms` (a busy loop on the next task), like a page
   * stuck in a long task: every evaluate, the library's `getState()` included, waits.
   */
  freeze: (ms: number) => {
    log('freeze', { ms });
    setTimeout(() => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        // busy: nothing else runs on this thread
      }
    }, 0);
    return true;
  },
  incoming,
  ack,
  outbox: () => clone(sim.outbox),
  clearOutbox,
  /** The bytes of a sent media message, base64 (kept out of `outbox()`). */
  outboxMedia: outboxMediaBytes,
  seen: () => clone(sim.seen),
  requiredModules,
  log: eventLog,
  errors: pageErrors,
};

export type SimControl = typeof control;
