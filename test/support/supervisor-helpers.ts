import assert from 'node:assert/strict';
import type { SessionState } from '../../src/session/session-state';
import type { IncomingMessage } from '../../src/whatsapp/wa-client';
import type { FakeWaClient } from './fake-wa-client';
import { incomingMessage } from './incoming-message';
import { ME, PAIRED_AT, type Harness } from './supervisor-harness';

export const PAIRED = { pairedAt: PAIRED_AT, me: ME, lastReadyAt: PAIRED_AT };

export function browserDies(client: FakeWaClient): void {
  client.emit({ type: 'browser_disconnected' });
}

export function incoming(body: string): IncomingMessage {
  const chatId = '15552223333@c.us';
  return incomingMessage(body, { id: `false_${chatId}_${body}`, chatId });
}

/** Delay from now until the announced retry. */
export function retryDelay(h: Harness): number {
  const next = h.snap().nextRetryAt;
  assert.ok(next, 'reconnecting announces nextRetryAt');
  return next.getTime() - h.clock.now();
}

/** Advances to just before the retry (no new client), then onto it (a new client). */
export async function expectRetryAfter(h: Harness, delay: number): Promise<FakeWaClient> {
  const before = h.factory.clients.length;
  await h.clock.advance(delay - 1);
  assert.equal(h.factory.clients.length, before, `no new client before the ${delay} ms backoff elapsed`);
  assert.equal(h.state(), 'reconnecting');
  await h.clock.advance(1);
  assert.equal(h.factory.clients.length, before + 1, `a new client once the ${delay} ms backoff elapsed`);
  assert.equal(h.state(), 'starting');
  return h.factory.latest();
}

/** The lifecycle's edges, written out independently of transitions.ts, plus clear and shutdown from every state. */
export const TABLE: Record<SessionState, readonly SessionState[]> = {
  starting: ['qr', 'authenticated', 'reconnecting', 'failed'],
  // qr -> starting: the operator switched between QR and code, which needs a new client.
  qr: ['authenticated', 'reconnecting', 'starting'],
  authenticated: ['ready', 'reconnecting'],
  ready: ['reconnecting', 'logged_out'],
  reconnecting: ['starting'],
  logged_out: ['starting'],
  failed: [],
  stopping: [],
};

export function assertTransitionsAllowed(h: Harness, operatorCleared = false): void {
  for (const edge of h.transitions) {
    const [from, to] = edge.split(' → ') as [SessionState, SessionState];
    const allowed = TABLE[from].includes(to) || to === 'stopping' || (operatorCleared && to === 'logged_out');
    assert.ok(allowed, `transition ${edge} is not in the lifecycle's table (all: ${h.transitions.join(', ')})`);
  }
}
