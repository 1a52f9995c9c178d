import type { Router } from 'express';
import { normalizePhoneNumber } from '../../common/phone-number';
import { AppError } from '../../common/errors';
import type { AdminAuth } from '../admin-auth';
import type { AppDeps } from '../app-deps';
import type { PairingChangeBody } from '../bodies';
import { methodNotAllowed } from '../method-not-allowed';
import { router as newRouter } from '../router';

function phoneNumberOf(body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('BAD_REQUEST', 'The body must be a JSON object: {"phoneNumber": "+1 555 000 1111"}.');
  }
  const unknown = Object.keys(body).filter((key) => key !== 'phoneNumber');
  if (unknown.length > 0) throw new AppError('UNKNOWN_FIELD', `Unknown field ${JSON.stringify(unknown[0])}. The only field is phoneNumber.`);
  const raw = (body as { phoneNumber?: unknown }).phoneNumber;
  const digits = typeof raw === 'string' ? normalizePhoneNumber(raw) : null;
  if (digits === null) {
    throw new AppError(
      'INVALID_PHONE_NUMBER',
      '"phoneNumber" must be the phone number of the WhatsApp account to link, with its country code, e.g. "+1 555 000 1111".',
    );
  }
  return digits;
}

/**
 * `POST /api/session/pairing-code` (pair by a code for a number) and `DELETE` (back to a QR),
 * admin only. Both answer 202: the code (or QR) follows on /api/qr and the event stream.
 */
export function pairingCodeRoutes(deps: AppDeps, auth: AdminAuth): Router {
  const router = newRouter();

  router.post('/api/session/pairing-code', auth.requireAdmin, async (req, res) => {
    const phoneNumber = phoneNumberOf(req.body);
    // Refused before asking (the session knows WhatsApp's wait) or by the session itself (the
    // refusal came in while this request waited): either way the client learns when to retry.
    const retryAfter = (): boolean => {
      const retryAt = deps.session.snapshot().pairing.retryAt;
      const now = deps.clock.now();
      if (retryAt === null || retryAt.getTime() <= now) return false;
      res.setHeader('Retry-After', String(Math.ceil((retryAt.getTime() - now) / 1000)));
      return true;
    };
    if (retryAfter()) {
      const retryAt = deps.session.snapshot().pairing.retryAt;
      throw new AppError(
        'TOO_MANY_ATTEMPTS',
        `WhatsApp refused the last pairing code: too many attempts. Ask again after ${retryAt?.toISOString() ?? 'a while'}; asking sooner makes it wait longer.`,
      );
    }
    deps.logger.info(`Pairing code requested over HTTP for +${phoneNumber}`);
    let outcome: 'requested' | 'restarting';
    try {
      outcome = await deps.session.requestPairingCode(phoneNumber);
    } catch (error) {
      if (error instanceof AppError && error.code === 'TOO_MANY_ATTEMPTS') retryAfter();
      throw error;
    }
    const body: PairingChangeBody = {
      state: deps.session.snapshot().state,
      pairing: { method: 'code', phoneNumber },
      message:
        outcome === 'requested'
          ? 'A new code is on its way: GET /api/qr, or watch /qr.'
          : 'Starting WhatsApp Web again to pair by code; the code follows in a few seconds on /api/qr and /qr.',
    };
    res.status(202).json(body);
  });
  router.delete('/api/session/pairing-code', auth.requireAdmin, async (_req, res) => {
    const outcome = await deps.session.usePairingQr();
    const body: PairingChangeBody = {
      state: deps.session.snapshot().state,
      pairing: { method: 'qr', phoneNumber: null },
      message: outcome === 'unchanged' ? 'Pairing is by QR already.' : 'Starting WhatsApp Web again to pair by QR; the QR follows in a few seconds.',
    };
    res.status(202).json(body);
  });
  router.all('/api/session/pairing-code', methodNotAllowed('POST', 'DELETE'));
  return router;
}
