// Slow clients against a daemon at work: a ready session that has just taken a bot flood and is
// still sending the answers. Node's own checker (connectionsCheckingInterval) ends a socket that
// has not finished its headers; the daemon's guard ends it too should that checker not run.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { SERVER_LIMITS } from '../../src/http/http-server';
import { Daemon } from '../support/daemon';
import { attachPhone, scanAndWaitReady } from '../support/phone';
import { useScene } from '../support/scene';
import { eventually } from '../support/wait';

const SOCKETS = 200;
const FLOOD = 150;
/** The headers timeout, one check interval, and a second for 200 sockets on a loaded runner. */
const CUT_OFF_MS = SERVER_LIMITS.headersTimeoutMs + SERVER_LIMITS.checkIntervalMs + 1_000;

interface SlowSocket {
  /** ms from the request line to the close, and what the server wrote before it. */
  readonly outcome: Promise<{ closedAfterMs: number; answer: string }>;
}

function slowSocket(port: number): Promise<SlowSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      const started = Date.now();
      // A request line and one header, then nothing: the blank line that ends the headers never comes.
      socket.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      resolve({ outcome: new Promise((done) => socket.on('close', () => done({ closedAfterMs: Date.now() - started, answer }))) });
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
    // Never outlive the test, whatever the server does.
    socket.setTimeout(CUT_OFF_MS + 20_000, () => socket.destroy());
  });
}

describe('slow clients against a ready daemon', { timeout: 180_000 }, () => {
  const scene = useScene(async () => {
    scene.daemon = await Daemon.start(scene.sandbox);
    scene.phone = await attachPhone(scene.daemon);
    await scanAndWaitReady(scene.daemon, scene.phone);
  });

  it(`${SOCKETS} sockets that never finish their headers, opened right after a ${FLOOD}-command bot flood, are each ended with a 408 by ~16 s`, async () => {
    const phone = scene.phone;
    assert.ok(phone);
    await phone.clearOutbox();
    for (let i = 0; i < FLOOD; i++) await phone.incoming({ from: `1555700${String(i).padStart(4, '0')}`, body: '!ping' });
    await eventually(async () => ((await phone.outbox()).some((o) => o.body === 'pong') ? true : undefined), 'the bot answering the flood', 30_000);

    const sockets = await Promise.all(Array.from({ length: SOCKETS }, () => slowSocket(scene.daemon.port)));
    // The daemon keeps serving others meanwhile.
    const health = await fetch(scene.daemon.url('/api/health'), { signal: AbortSignal.timeout(5_000) });
    assert.equal(health.status, 200);
    const outcomes = await Promise.all(sockets.map((s) => s.outcome));
    const late = outcomes.filter((o) => o.closedAfterMs > CUT_OFF_MS);
    assert.deepEqual(
      late.map((o) => o.closedAfterMs),
      [],
      `every socket is ended within ${CUT_OFF_MS} ms (slowest ${Math.max(...outcomes.map((o) => o.closedAfterMs))} ms)`,
    );
    const early = outcomes.filter((o) => o.closedAfterMs < SERVER_LIMITS.headersTimeoutMs - 1_000);
    assert.equal(early.length, 0, 'none is dropped before its time: they were accepted and waited on');
    const without408 = outcomes.filter((o) => !o.answer.startsWith('HTTP/1.1 408'));
    assert.equal(without408.length, 0, `each is told 408 Request Timeout (${without408.length} were not: ${without408[0]?.answer ?? ''})`);
    assert.ok((await phone.outbox()).filter((o) => o.body === 'pong').length >= 1);
  });
});
