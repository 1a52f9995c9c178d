// Pairing by a code typed on the phone: the client is made for it, codes are shown, re-issued
// and paused before they flood the phone, refusals back off, and a linked account never gets one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../../../src/common/errors';
import { MAX_UNUSED_CODES } from '../../../src/session/pairing-code-budget';
import { flush } from '../../support/fake-clock';
import { createHarness, ME } from '../../support/supervisor-harness';
import { assertTransitionsAllowed } from '../../support/supervisor-helpers';

const PHONE = '15550001111';
const INTERVAL = 180_000;

async function rejects(promise: Promise<unknown>, code: string): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe('SessionSupervisor: pairing by code', () => {
  it('PAIRING_PHONE_NUMBER: the client is made for a code; the code is shown in qr with its expiry, then pairing works as with a QR', async () => {
    const h = createHarness({ pairingPhoneNumber: PHONE });
    const client = await h.start();
    assert.deepEqual(client.options, { pairingPhoneNumber: PHONE });
    assert.deepEqual(h.snap().pairing, { method: 'code', phoneNumber: PHONE, retryAt: null });
    client.code('ABCD2345');
    const snap = h.snap();
    assert.equal(snap.state, 'qr');
    assert.equal(snap.qr, null);
    assert.deepEqual(
      {
        value: snap.code?.value,
        phoneNumber: snap.code?.phoneNumber,
        life: (snap.code?.expiresAt.getTime() ?? 0) - (snap.code?.issuedAt.getTime() ?? 0),
      },
      { value: 'ABCD2345', phoneNumber: PHONE, life: INTERVAL },
    );
    assert.match(snap.message, /Link with phone number instead/);
    assert.equal(snap.message.includes('ABCD2345'), false, 'the code is not in the state message (it is logged)');
    assert.equal(h.codes.length, 1);
    assert.equal(h.supervisor.counters().pairingCodesShown, 1);
    client.authenticated();
    client.ready(ME);
    await flush();
    assert.equal(h.state(), 'ready');
    assert.equal(h.snap().code, null, 'no code outside qr');
    assertTransitionsAllowed(h);
  });

  it('the library re-issues codes; after the fifth unused one the page stops asking, and when it runs out the pause is said plainly', async () => {
    const h = createHarness({ pairingPhoneNumber: PHONE });
    const client = await h.start();
    for (let i = 1; i <= MAX_UNUSED_CODES; i++) {
      client.code(`CODE000${i}`);
      await h.clock.advance(i < MAX_UNUSED_CODES ? INTERVAL : 0);
    }
    assert.equal(client.count('stopPairingCodes'), 1, 'the page interval is stopped after the last automatic code');
    assert.equal(client.codeRequests.length, 0, 'the library re-issued them, not us');
    await h.clock.advance(INTERVAL + 10_000);
    assert.equal(h.state(), 'qr');
    assert.equal(h.snap().code, null);
    assert.match(h.snap().message, /paused after 5 unused ones/);
    assert.equal(client.codeRequests.length, 0, 'nothing asked for by itself once paused');

    // The operator, at the phone now, asks for one: the same client is asked, the budget starts again.
    assert.equal(await h.supervisor.requestPairingCode(PHONE), 'requested');
    assert.deepEqual(client.codeRequests, [PHONE]);
    client.code('FRESH123');
    assert.equal(h.snap().code?.value, 'FRESH123');
    assert.equal(h.factory.clients.length, 1);
  });

  it('a code the page did not replace in time is asked for once, by us', async () => {
    const h = createHarness({ pairingPhoneNumber: PHONE });
    const client = await h.start();
    client.code('FIRST123');
    await h.clock.advance(INTERVAL + 10_000);
    assert.deepEqual(client.codeRequests, [PHONE]);
    await h.clock.advance(INTERVAL);
    assert.deepEqual(client.codeRequests, [PHONE], 'one per code that ran out, not a loop');
  });

  it('"too many attempts": no code, the time of the next try stated, a long and growing backoff; asking sooner is refused', async () => {
    const h = createHarness({ pairingPhoneNumber: PHONE });
    const client = await h.start();
    client.codeFailed(new Error('rate-overlimit: too many pairing code requests, try again later'));
    const snap = h.snap();
    assert.equal(snap.state, 'qr');
    assert.equal(snap.code, null);
    const wait = (snap.pairing.retryAt?.getTime() ?? 0) - h.clock.now();
    assert.equal(wait, 10 * 60_000);
    assert.match(snap.message, /too many attempts.*asks again at/);
    assert.ok(h.logger.find('warn', /too many attempts/).length > 0, 'logged');
    await rejects(h.supervisor.requestPairingCode(PHONE), 'TOO_MANY_ATTEMPTS');
    assert.equal(client.codeRequests.length, 0);

    await h.clock.advance(wait);
    assert.deepEqual(client.codeRequests, [PHONE], 'asked again when the wait is over');
    client.codeFailed(new Error('rate-overlimit'));
    assert.equal((h.snap().pairing.retryAt?.getTime() ?? 0) - h.clock.now(), 20 * 60_000, 'doubles');
    await h.clock.advance(20 * 60_000);
    client.code('LATE1234');
    assert.equal(h.snap().pairing.retryAt, null);
    assert.equal(h.snap().code?.value, 'LATE1234');
  });

  it('any other refusal retries after 30 s', async () => {
    const h = createHarness({ pairingPhoneNumber: PHONE });
    const client = await h.start();
    client.codeFailed(new Error('bad-request: invalid phone number'));
    assert.equal((h.snap().pairing.retryAt?.getTime() ?? 0) - h.clock.now(), 30_000);
    await h.clock.advance(30_000);
    assert.deepEqual(client.codeRequests, [PHONE]);
  });

  it('never for a linked account, nor while a saved session is being restored', async () => {
    const h = createHarness();
    const client = await h.start();
    await rejects(h.supervisor.requestPairingCode(PHONE), 'NOT_WAITING_FOR_PAIRING');
    client.qr();
    client.authenticated();
    await rejects(h.supervisor.requestPairingCode(PHONE), 'ALREADY_PAIRED');
    client.ready(ME);
    await flush();
    const refused = await rejects(h.supervisor.requestPairingCode(PHONE), 'ALREADY_PAIRED');
    assert.match(refused.message, /never asked for a linked account/);
    assert.equal(h.factory.clients.length, 1, 'no client was replaced');
    assert.equal(client.codeRequests.length, 0);
  });

  it('from a QR to a code and back: a new client each time, made for the method, the state saying so', async () => {
    const h = createHarness();
    const first = await h.start();
    first.qr();
    assert.equal(await h.supervisor.requestPairingCode(PHONE), 'restarting');
    await flush();
    assert.equal(first.closed, true, 'the QR client is closed (asking it for a code can hang)');
    const second = h.factory.latest();
    assert.deepEqual(second.options, { pairingPhoneNumber: PHONE });
    assert.equal(h.state(), 'starting');
    second.code('SWITCH12');
    assert.equal(h.snap().pairing.method, 'code');
    assert.equal(await h.supervisor.usePairingQr(), 'restarting');
    await flush();
    const third = h.factory.latest();
    assert.deepEqual(third.options, { pairingPhoneNumber: null });
    third.qr();
    assert.equal(h.snap().pairing.method, 'qr');
    assert.equal(h.snap().code, null);
    assert.equal(h.factory.live().length, 1, 'never two browsers');
    assertTransitionsAllowed(h);
  });

  it('a code after login is a late answer to a request under way, not an unlink: ignored, the page stops asking, the session kept', async () => {
    const h = createHarness({ pairingPhoneNumber: PHONE });
    const client = await h.start();
    client.code('FIRST123');
    client.authenticated();
    client.code('AFTER123');
    assert.equal(h.state(), 'authenticated');
    assert.equal(client.count('stopPairingCodes'), 1);
    client.ready(ME);
    await flush();
    assert.equal(h.state(), 'ready');
    assert.equal(h.store.wipeCalls, 0, 'nothing deleted');
  });

  it("a refusal stops the page's own timer, which 1.34.7 leaves running; a code still valid stays on show", async () => {
    const h = createHarness({ pairingPhoneNumber: PHONE });
    const client = await h.start();
    client.code('VALID123');
    await h.clock.advance(60_000);
    await h.supervisor.requestPairingCode(PHONE);
    client.codeFailed(new Error('rate-overlimit'));
    assert.equal(client.count('stopPairingCodes'), 1);
    assert.equal(h.snap().code?.value, 'VALID123', 'the code on show still works for two more minutes');
    assert.ok(h.snap().pairing.retryAt);
  });

  it('during the wait WhatsApp asked for, a new client is not started either (it would ask for a code at once)', async () => {
    const h = createHarness({ pairingPhoneNumber: PHONE });
    const client = await h.start();
    client.codeFailed(new Error('rate-overlimit'));
    const wait = (h.snap().pairing.retryAt?.getTime() ?? 0) - h.clock.now();
    await h.supervisor.clear();
    await flush();
    assert.equal(h.factory.clients.length, 1, 'no client while WhatsApp wants us to wait');
    assert.equal(h.state(), 'starting');
    assert.match(h.snap().message, /Waiting until .* before asking WhatsApp for a pairing code again/);
    await h.clock.advance(wait);
    await flush();
    assert.equal(h.factory.clients.length, 2, 'started once the wait is over');
    assert.deepEqual(h.factory.latest().options, { pairingPhoneNumber: PHONE });
    assertTransitionsAllowed(h, true);
  });

  it("the expiry shown is WhatsApp's 3 minutes, even when new codes are asked for less often", async () => {
    const h = createHarness({ pairingPhoneNumber: PHONE, pairingCodeIntervalMs: 600_000 });
    const client = await h.start();
    client.code('SLOWCODE');
    const code = h.snap().code;
    assert.equal((code?.expiresAt.getTime() ?? 0) - (code?.issuedAt.getTime() ?? 0), 180_000);
  });

  it('switching methods clears the old QR at once: it would link a device that is going away', async () => {
    const h = createHarness();
    const first = await h.start();
    first.qr();
    first.destroyOutcome = 'manual';
    const switching = h.supervisor.requestPairingCode(PHONE);
    await flush();
    assert.equal(h.snap().qr, null);
    assert.equal(h.snap().code, null);
    assert.match(h.snap().message, /Switching to pairing by code/);
    first.kill();
    await h.clock.advance(10_000);
    await switching;
  });
});
