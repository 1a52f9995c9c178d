import type { Router } from 'express';
import { openApiJson } from '../openapi-document';
import { methodNotAllowed } from '../method-not-allowed';
import { router as newRouter } from '../router';

/** `GET /api/openapi.json`: the API contract, public (it describes routes, it holds no secret). */
export function openApiRoutes(): Router {
  const router = newRouter();
  router.get('/api/openapi.json', (_req, res) => {
    res.type('application/json').send(openApiJson());
  });
  router.all('/api/openapi.json', methodNotAllowed('GET'));
  return router;
}
