import type { Router } from 'express';
import { AppError } from '../../common/errors';
import type { AdminAuth } from '../admin-auth';
import type { AppDeps, DemoPhonePort } from '../app-deps';
import { methodNotAllowed } from '../method-not-allowed';
import { router as newRouter } from '../router';

const MAX_DEMO_TEXT = 4_096;

function field(body: unknown, name: string, max: number): string {
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new AppError('BAD_REQUEST', `"${name}" must be a non-empty string of at most ${max} characters.`);
  }
  return value;
}

/**
 * The simulated phone of demo mode (WA_SIMULATOR=true): its page `/demo/phone` and the actions
 * it offers. Mounted only in demo mode, behind the admin token like `/qr`.
 */
export function demoPhoneRoutes(deps: AppDeps, auth: AdminAuth, phone: DemoPhonePort): Router {
  const router = newRouter();
  router.get('/demo/phone', auth.requireAdmin, (_req, res, next) => {
    res.sendFile('demo-phone.html', { root: deps.publicDir }, (error) => {
      if (error) next(error);
    });
  });
  router.all('/demo/phone', methodNotAllowed('GET'));

  router.get('/demo/api/phone', auth.requireAdmin, async (_req, res) => {
    res.json(await phone.view());
  });
  router.all('/demo/api/phone', methodNotAllowed('GET'));

  const action = (route: string, run: (body: unknown) => Promise<void>): void => {
    router.post(route, auth.requireAdmin, async (req, res) => {
      await run(req.body);
      res.status(202).json({ ok: true });
    });
    router.all(route, methodNotAllowed('POST'));
  };
  action('/demo/api/phone/scan', () => phone.scan());
  action('/demo/api/phone/code', (body) => phone.enterCode(field(body, 'code', 16)));
  action('/demo/api/phone/messages', (body) => phone.send(field(body, 'text', MAX_DEMO_TEXT)));
  action('/demo/api/phone/logout', () => phone.logout());
  action('/demo/api/phone/drop', () => phone.dropConnection());
  return router;
}
