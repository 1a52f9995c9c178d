// Pairing by a code typed on the phone, end to end: the real library's pairWithPhoneNumber flow
// against the simulated WhatsApp Web, the code on /api/qr and in the log, a restart that needs no
// code, a re-pair by code after a remote logout, switching between QR and code from HTTP, and
// WhatsApp's "too many attempts" refusal.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QrBody } from '../../src/http/bodies';
import { ADMIN_TOKEN, Daemon } from '../support/daemon';
import { attachPhone } from '../support/phone';
import { useScene } from '../support/scene';

const NUMBER = '15550001111';

async function qr(daemon: Daemon): Promise<{ status: number; body: QrBody }> {
  const res = await fetch(daemon.url('/api/qr'), { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: res.status, body: (await res.json()) as QrBody };
}

async function pairingCode(
  daemon: Daemon,
  method: 'POST' | 'DELETE',
  phoneNumber?: string,
): Promise<{ status: number; retryAfter: string | null; body: Record<string, unknown> }> {
  const res = await fetch(daemon.url('/api/session/pairing-code'), {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(phoneNumber === undefined ? {} : { body: JSON.stringify({ phoneNumber }) }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
}

describe('pairing by code', { timeout: 240_000 }, () => {
  const scene = useScene(async () => {
    scene.daemon = await Daemon.start(scene.sandbox, { env: { PAIRING_PHONE_NUMBER: '+1 555 000 1111', QR_IN_LOGS: 'true' } });
  });

  it('PAIRING_PHONE_NUMBER: a code instead of a QR, on /api/qr and (as the phone shows it) in the log; typed on the phone, ready', async () => {
    const shown = await scene.daemon.waitFor((s) => s.state === 'qr' && s.hasCode, 'a pairing code on show');
    assert.equal(shown.hasQr, false);
    assert.deepEqual(shown.pairing, { method: 'code', phoneNumber: NUMBER, retryAt: null });
    const { status, body } = await qr(scene.daemon);
    assert.equal(status, 200);
    assert.equal(body.method, 'code');
    assert.match(body.code ?? '', /^[A-Z0-9]{8}$/);
    assert.equal(body.phoneNumber, NUMBER);
    assert.equal(Date.parse(body.expiresAt ?? '') - Date.parse(body.issuedAt), 180_000);
    const code = body.code ?? '';

    scene.phone = await attachPhone(scene.daemon);
    const page = await scene.phone.state();
    assert.equal(page.pairingType, 'ALT_DEVICE_LINKING', 'the library asked the page for a code, not a QR');
    assert.equal(page.pairingCode?.code, code, 'the code the page issued is the one shown');
    assert.equal(page.qrCount, 0, 'no QR was ever shown');

    const logged = scene.daemon.lines.filter((l) => l.includes('Pairing code for +15550001111'));
    assert.equal(logged.length, 1);
    assert.ok(logged[0]?.includes(`${code.slice(0, 4)}-${code.slice(4)}`), logged[0]);
    assert.equal(
      scene.daemon.lines.some((l) => l.includes(code)),
      false,
      'the code as such never reaches the log',
    );

    await scene.phone.enterCode(code, { pushname: 'Code Phone' });
    const ready = await scene.daemon.waitForState('ready');
    assert.deepEqual(ready.me, { id: NUMBER, name: 'Code Phone' });
    assert.equal(ready.hasCode, false);
    assert.equal((await qr(scene.daemon)).status, 404, 'no code once paired');
  });

  it('asking for a code while linked is refused (409), and nothing reaches the page', async () => {
    assert.ok(scene.phone);
    const before = (await scene.phone.state()).pairingCodesIssued;
    const res = await pairingCode(scene.daemon, 'POST', NUMBER);
    assert.equal(res.status, 409);
    assert.equal((res.body.error as { code: string }).code, 'ALREADY_PAIRED');
    assert.equal((await scene.phone.state()).pairingCodesIssued, before);
  });

  it('a restart restores the session with no code asked for', async () => {
    await scene.phone?.detach();
    scene.phone = undefined;
    assert.equal((await scene.daemon.stop('SIGTERM')).code, 0);
    scene.daemon = await Daemon.start(scene.sandbox, { env: { PAIRING_PHONE_NUMBER: NUMBER } });
    const seen: string[] = [];
    await scene.daemon.waitForState('ready', 30_000, seen);
    assert.ok(!scene.daemon.transitions().includes('qr'), scene.daemon.transitions().join(' '));
    scene.phone = await attachPhone(scene.daemon);
    assert.equal((await scene.phone.state()).pairingCodesIssued, 0);
  });

  it('after a remote logout a fresh code comes by itself; typed, ready again', async () => {
    assert.ok(scene.phone);
    await scene.phone.remoteLogout('logout_from_bridge');
    await scene.phone.detach();
    const shown = await scene.daemon.waitFor((s) => s.state === 'qr' && s.hasCode, 'a fresh code after the logout');
    assert.equal(shown.me, null);
    const { body } = await qr(scene.daemon);
    scene.phone = await attachPhone(scene.daemon);
    await scene.phone.enterCode(body.code ?? '');
    assert.equal((await scene.daemon.waitForState('ready')).me?.id, NUMBER);
  });

  it('from HTTP: back to a QR, then a code for another number; too many codes are refused by WhatsApp and the daemon backs off', async () => {
    assert.ok(scene.phone);
    await scene.phone.remoteLogout('logout_from_bridge');
    await scene.phone.detach();
    scene.phone = undefined;
    await scene.daemon.waitFor((s) => s.state === 'qr' && s.hasCode, 'a code after the logout');

    assert.equal((await pairingCode(scene.daemon, 'DELETE')).status, 202);
    const byQr = await scene.daemon.waitFor((s) => s.state === 'qr' && s.hasQr, 'a QR instead');
    assert.deepEqual(byQr.pairing, { method: 'qr', phoneNumber: null, retryAt: null });

    const asked = await pairingCode(scene.daemon, 'POST', '+1 555 000 4444');
    assert.equal(asked.status, 202);
    await scene.daemon.waitFor((s) => s.state === 'qr' && s.hasCode && s.pairing.phoneNumber === '15550004444', 'a code for the other number');
    const other = (await qr(scene.daemon)).body;
    assert.equal(other.phoneNumber, '15550004444');

    // WhatsApp now refuses every further code for a while.
    scene.phone = await attachPhone(scene.daemon);
    await scene.phone.configure({ pairingCodeLimit: 0 });
    assert.equal((await pairingCode(scene.daemon, 'POST', '15550004444')).status, 202);
    const refused = await scene.daemon.waitFor((s) => s.pairing.retryAt !== null, 'the refusal');
    assert.equal(refused.state, 'qr');
    assert.equal(refused.hasCode, true, 'the code issued a moment ago still works until it runs out');
    assert.equal((await qr(scene.daemon)).body.code, other.code);
    assert.match(refused.stateMessage, /too many attempts/);
    assert.ok(Date.parse(refused.pairing.retryAt ?? '') - Date.now() > 9 * 60_000, 'a long wait');
    const again = await pairingCode(scene.daemon, 'POST', '15550004444');
    assert.equal(again.status, 429);
    assert.ok(Number(again.retryAfter) > 500, `Retry-After ${again.retryAfter}`);
  });
});
