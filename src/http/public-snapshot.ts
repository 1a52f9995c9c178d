import type { SessionInfo } from '../storage/session-info';
import type { SessionSnapshot } from '../session/session-state';
import type { PairedAccount } from '../whatsapp/wa-client';
import type { PublicSnapshot, SavedSession } from './bodies';

/** `simulated`: demo mode, said in every status (the key is absent otherwise). */
export function toPublicSnapshot(snapshot: SessionSnapshot, simulated = false): PublicSnapshot {
  return {
    ...(simulated ? { simulated: true as const } : {}),
    state: snapshot.state,
    since: snapshot.since.toISOString(),
    me: snapshot.me === null ? null : { id: snapshot.me.id, name: snapshot.me.name },
    stateMessage: simulated ? simulatedMessage(snapshot.message) : snapshot.message,
    sessionExpired: snapshot.sessionExpired,
    hasQr: snapshot.qr !== null,
    qrIssuedAt: snapshot.qr?.issuedAt.toISOString() ?? null,
    pairing: { method: snapshot.pairing.method, phoneNumber: snapshot.pairing.phoneNumber, retryAt: snapshot.pairing.retryAt?.toISOString() ?? null },
    hasCode: snapshot.code !== null,
    codeExpiresAt: snapshot.code?.expiresAt.toISOString() ?? null,
    reconnectAttempt: snapshot.reconnectAttempt,
    nextRetryAt: snapshot.nextRetryAt?.toISOString() ?? null,
  };
}

export function toSavedSession(info: SessionInfo): SavedSession {
  return { exists: info.exists, lastModified: info.lastModified?.toISOString() ?? null, size: info.size, path: info.path };
}

/** "Sim Phone (+15550001111)", or "+15550001111" when WhatsApp gave no name. */
export function describeAccount(me: PairedAccount): string {
  return me.name ? `${me.name} (+${me.id})` : `+${me.id}`;
}

/** A state message in demo mode: nobody may mistake the simulation for a real account. */
export function simulatedMessage(message: string): string {
  return `Simulated WhatsApp (demo mode): ${message}`;
}
