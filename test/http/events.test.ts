import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CODE, FakeSession, READY, WITH_CODE, WITH_QR } from '../support/fake-session';
import { type ServerSentEvent, SseReader } from './support/sse-reader';
import { bearer, startApp, type TestApp } from './support/start-app';

/** The body of a `state` event, which must be there. */
function stateOf(event: ServerSentEvent | null): { state: string; me?: unknown } & Record<string, unknown> {
  assert.ok(event, 'an event, not the end of the stream');
  return JSON.parse(event.data) as { state: string; me?: unknown } & Record<string, unknown>;
}

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function openStream(app: TestApp) {
  const controller = new AbortController();
  const res = await fetch(`${app.url}/api/events`, { headers: bearer(), signal: controller.signal });
  assert.equal(res.status, 200);
  assert.ok(res.body);
  return { res, reader: new SseReader(res.body), close: () => controller.abort() };
}

describe('GET /api/events', () => {
  const session = new FakeSession({ state: 'starting' });
  let app: TestApp;
  let shuttingDown = false;
  before(async () => {
    app = await startApp({ session, overrides: { sseHeartbeatMs: 50, isShuttingDown: () => shuttingDown } });
  });
  after(() => app.close());

  it('is an uncached event stream', async () => {
    const stream = await openStream(app);
    try {
      assert.match(stream.res.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(stream.res.headers.get('cache-control'), 'no-store');
    } finally {
      stream.close();
    }
  });

  it('sends the snapshot at once, then on every change, without the QR payload', async () => {
    session.set({ state: 'starting', qr: null });
    const stream = await openStream(app);
    try {
      const first = await stream.reader.nextEvent();
      assert.equal(first?.event, 'state');
      assert.equal(stateOf(first).state, 'starting');

      session.set(WITH_QR);
      const second = await stream.reader.nextEvent();
      assert.equal(second?.event, 'state');
      assert.doesNotMatch(second?.data ?? '', /SECRET/);
      assert.deepEqual(stateOf(second), {
        state: 'qr',
        since: '2025-01-02T03:04:05.000Z',
        me: null,
        stateMessage: WITH_QR.message,
        sessionExpired: false,
        hasQr: true,
        qrIssuedAt: '2025-01-02T03:05:00.000Z',
        pairing: { method: 'qr', phoneNumber: null, retryAt: null },
        hasCode: false,
        codeExpiresAt: null,
        reconnectAttempt: 0,
        nextRetryAt: null,
      });

      session.set({ ...READY, qr: null });
      const third = await stream.reader.nextEvent();
      assert.equal(stateOf(third).state, 'ready');
      assert.deepEqual(stateOf(third).me, READY.me);
    } finally {
      stream.close();
    }
  });

  it('a pairing code: its expiry, never the code itself', async () => {
    const stream = await openStream(app);
    try {
      await stream.reader.nextEvent();
      session.set({ state: 'qr', qr: null, ...WITH_CODE });
      const event = stateOf(await stream.reader.nextEvent());
      assert.deepEqual(
        [event.hasCode, event.codeExpiresAt, event.pairing],
        [true, '2025-01-02T03:08:00.000Z', { method: 'code', phoneNumber: '15550001111', retryAt: null }],
      );
      assert.equal(JSON.stringify(event).includes(CODE), false);
    } finally {
      stream.close();
    }
  });

  it('sends heartbeat comments', async () => {
    const stream = await openStream(app);
    try {
      await stream.reader.nextEvent();
      const heartbeat = await stream.reader.next(1_000);
      assert.equal(heartbeat?.event, ':');
    } finally {
      stream.close();
    }
  });

  it('unsubscribes when the client goes away', async () => {
    await waitFor(() => session.subscriberCount === 0);
    const streams = [await openStream(app), await openStream(app)];
    await Promise.all(streams.map((s) => s.reader.nextEvent()));
    assert.equal(session.subscriberCount, 2);
    streams[0]!.close();
    await waitFor(() => session.subscriberCount === 1);
    streams[1]!.close();
    await waitFor(() => session.subscriberCount === 0);
    // Changes after the disconnect reach nobody and break nothing.
    session.set({ state: 'reconnecting', reconnectAttempt: 1 });
  });

  it('ends the stream when the session starts stopping, so shutdown is not held up', async () => {
    session.set({ state: 'ready' });
    const stream = await openStream(app);
    await stream.reader.nextEvent();
    session.set({ state: 'stopping' });
    assert.equal(stateOf(await stream.reader.nextEvent()).state, 'stopping');
    assert.equal(await stream.reader.next(), null);
    await waitFor(() => session.subscriberCount === 0);
  });

  it('refuses new streams with 503 while shutting down', async () => {
    shuttingDown = true;
    try {
      const res = await fetch(`${app.url}/api/events`, { headers: bearer() });
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'SHUTTING_DOWN');
    } finally {
      shuttingDown = false;
    }
  });
});
