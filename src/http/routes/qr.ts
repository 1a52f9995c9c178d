import type { Router } from 'express';
import { loadQrcode } from '../../common/load-qrcode';
import { AppError } from '../../common/errors';
import type { CurrentQr, SessionSnapshot, SessionState } from '../../session/session-state';
import type { AdminAuth } from '../admin-auth';
import type { AppDeps } from '../app-deps';
import type { QrBody } from '../bodies';
import { methodNotAllowed } from '../method-not-allowed';
import { router as newRouter } from '../router';

const NO_QR_HINTS: Readonly<Record<SessionState, string>> = {
  starting: 'A QR appears once WhatsApp Web has loaded; try again in a few seconds.',
  qr: 'A new one is on its way; try again in a moment.',
  authenticated: 'The phone was accepted and WhatsApp is syncing, so no QR is needed.',
  ready: 'WhatsApp is paired, so no QR is needed. To pair another phone, use "Re-pair" on /qr.',
  reconnecting: 'The daemon is reconnecting with the saved session; a QR appears only if WhatsApp asks for one.',
  logged_out: 'The session was logged out; a fresh QR appears in a few seconds.',
  failed: 'The daemon gave up reconnecting. To resolve, restart the process.',
  stopping: 'The daemon is shutting down.',
};

/** Why a session pairing by code shows no code right now. */
function noCodeHint(snapshot: SessionSnapshot): string {
  if (snapshot.state !== 'qr') return NO_QR_HINTS[snapshot.state].replace('A QR appears', 'A code appears').replace('a QR appears', 'a code appears');
  return snapshot.message;
}

/** The QR of the snapshot, or the NO_QR error (404) that says why there is none. */
function requireQr(snapshot: SessionSnapshot): CurrentQr {
  if (snapshot.qr !== null) return snapshot.qr;
  if (snapshot.pairing.method === 'code') {
    throw new AppError(
      'NO_QR',
      `No QR: pairing is by code for +${snapshot.pairing.phoneNumber ?? ''} (GET /api/qr shows it). To pair by QR instead, DELETE /api/session/pairing-code.`,
    );
  }
  throw new AppError('NO_QR', `No QR right now: the session is ${snapshot.state}. ${NO_QR_HINTS[snapshot.state]}`);
}

function qrBody(snapshot: SessionSnapshot): QrBody {
  if (snapshot.code !== null) {
    const { code } = snapshot;
    return {
      state: snapshot.state,
      method: 'code',
      qr: null,
      code: code.value,
      phoneNumber: code.phoneNumber,
      issuedAt: code.issuedAt.toISOString(),
      expiresAt: code.expiresAt.toISOString(),
    };
  }
  if (snapshot.pairing.method === 'code' && snapshot.qr === null) {
    throw new AppError('NO_QR', `No pairing code right now: the session is ${snapshot.state}. ${noCodeHint(snapshot)}`);
  }
  const qr = requireQr(snapshot);
  return { state: snapshot.state, method: 'qr', qr: qr.payload, code: null, phoneNumber: null, issuedAt: qr.issuedAt.toISOString(), expiresAt: null };
}

/**
 * `GET /api/qr` and `GET /api/qr.png` (admin). The payload and the code are pairing secrets:
 * they go to authorized callers only, are never cached, and never logged.
 */
export function qrRoutes(deps: AppDeps, auth: AdminAuth): Router {
  const router = newRouter();

  router.get('/api/qr', auth.requireAdmin, (_req, res) => {
    res.json(qrBody(deps.session.snapshot()));
  });
  router.all('/api/qr', methodNotAllowed('GET'));

  router.get('/api/qr.png', auth.requireAdmin, async (_req, res) => {
    const qr = requireQr(deps.session.snapshot());
    // Dark on white whatever the page's theme: phone cameras read that best.
    const png = await (await loadQrcode()).toBuffer(qr.payload, { type: 'png', margin: 2, width: 320, errorCorrectionLevel: 'M' });
    res.setHeader('Cache-Control', 'no-store');
    res.type('png').send(png);
  });
  router.all('/api/qr.png', methodNotAllowed('GET'));

  return router;
}
