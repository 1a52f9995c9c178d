import path from 'node:path';
import express, { type Router } from 'express';
import type { AdminAuth } from '../admin-auth';
import type { AppDeps } from '../app-deps';
import { methodNotAllowed } from '../method-not-allowed';
import { router as newRouter } from '../router';

/**
 * `GET /qr` (admin) serves the page; `/assets/*` is public, as it holds code and styles
 * but no data. Everything the page shows comes from the admin API.
 */
export function adminPageRoutes(deps: AppDeps, auth: AdminAuth): Router {
  const router = newRouter();

  router.get('/', (_req, res) => res.redirect(302, '/qr'));
  router.all('/', methodNotAllowed('GET'));

  router.get('/qr', auth.requireAdmin, (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    // `root` keeps send's dotfile check to the file name, whatever folder publicDir is in.
    res.sendFile('qr.html', { root: deps.publicDir }, (error) => {
      if (error) next(error);
    });
  });
  router.all('/qr', methodNotAllowed('GET'));

  router.use(
    '/assets',
    express.static(path.join(deps.publicDir, 'assets'), { index: false, redirect: false, fallthrough: true, dotfiles: 'ignore' }),
  );

  return router;
}
