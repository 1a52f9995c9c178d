import express from 'express';
import { createAdminAuth } from './admin-auth';
import type { AppDeps } from './app-deps';
import { createBodyLimits } from './body-limits';
import { messageBody } from './message-body';
import { mediaRoutes } from './routes/media';
import { createErrorHandler, notFound } from './error-handler';
import { adminPageRoutes } from './routes/admin-page';
import { demoPhoneRoutes } from './routes/demo-phone';
import { eventRoutes } from './routes/events';
import { healthRoutes } from './routes/health';
import { messageRoutes } from './routes/messages';
import { metricsRoutes } from './routes/metrics';
import { openApiRoutes } from './routes/openapi';
import { webhookRoutes } from './routes/webhooks';
import { pairingCodeRoutes } from './routes/pairing-code';
import { qrRoutes } from './routes/qr';
import { sessionRoutes } from './routes/session';
import { securityHeaders } from './security-headers';

export type { AppDeps } from './app-deps';

/**
 * Builds the operator HTTP surface. No side effects beyond one warning
 * when ADMIN_TOKEN is unset: it neither listens nor reads the environment (main.ts does).
 */
export function createApp(deps: AppDeps): express.Express {
  const logger = deps.logger.child({ component: 'http' });
  const scoped: AppDeps = { ...deps, logger };
  const auth = createAdminAuth(
    { admin: deps.config.adminToken, api: deps.config.apiToken, metrics: deps.config.metricsToken ?? null },
    logger,
    deps.clock,
  );

  const app = express();
  app.disable('x-powered-by');
  // Auth looks at the socket's address only; X-Forwarded-* is never believed.
  app.set('trust proxy', false);
  app.set('case sensitive routing', true);
  app.set('strict routing', true);

  app.use(securityHeaders);
  app.post('/api/messages', auth.requireApi, ...messageBody(deps.config.media.maxBytes));
  app.use(createBodyLimits());
  app.use(healthRoutes(scoped, auth));
  app.use(sessionRoutes(scoped, auth));
  app.use(pairingCodeRoutes(scoped, auth));
  app.use(qrRoutes(scoped, auth));
  app.use(eventRoutes(scoped, auth));
  app.use(messageRoutes(scoped, auth));
  app.use(mediaRoutes(scoped, auth));
  app.use(webhookRoutes(scoped, auth));
  app.use(metricsRoutes(scoped, auth));
  app.use(openApiRoutes());
  app.use(adminPageRoutes(scoped, auth));
  if (deps.demo) app.use(demoPhoneRoutes(scoped, auth, deps.demo.phone));
  app.use(notFound);
  app.use(createErrorHandler(logger));

  return app;
}
