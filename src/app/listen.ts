import type { Server } from 'node:http';
import type { Express } from 'express';
import { AppError } from '../common/errors';
import type { Config } from '../config/config';
import { createHttpServer } from '../http/http-server';
import type { Logger } from '../logging/logger';

/** Listens on HOST:PORT; rejects with what to do when the port is taken or cannot be used. */
export function listen(app: Express, config: Pick<Config, 'host' | 'port'>, logger: Logger): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createHttpServer(app).listen(config.port, config.host);
    server.once('listening', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : config.port;
      logger.info(`HTTP listening on http://${config.host}:${port} (admin page: /qr, health: /api/health)`);
      resolve(server);
    });
    server.once('error', (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'EADDRINUSE'
          ? `Port ${config.port} on ${config.host} is already in use. To resolve, stop the other process or set PORT to a free port.`
          : `Cannot listen on ${config.host}:${config.port}: ${error.message}`;
      reject(new AppError('INTERNAL', message));
    });
  });
}
