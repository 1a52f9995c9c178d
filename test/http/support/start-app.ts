import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createApp, type AppDeps } from '../../../src/http/create-app';
import { FakeClock } from '../../support/fake-clock';
import { FakeSessionStore } from '../../support/fake-session-ports';
import { RecordingLogger } from '../../support/recording-logger';
import { FakeSession } from '../../support/fake-session';

export const TOKEN = 'test-admin-token-0123456789abcdef';
export const PUBLIC_DIR = path.resolve(__dirname, '../../../public');

export interface TestApp {
  readonly url: string;
  readonly session: FakeSession;
  readonly inspector: FakeSessionStore;
  readonly logger: RecordingLogger;
  close(): Promise<void>;
}

export interface TestAppOptions {
  readonly adminToken?: string | null;
  readonly session?: FakeSession;
  readonly host?: string;
  readonly overrides?: Partial<AppDeps>;
}

export const bearer = (token: string = TOKEN): Record<string, string> => ({ Authorization: `Bearer ${token}` });
export const basic = (password: string = TOKEN, user = 'admin'): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

/** The real app on a real socket (loopback unless the test asks otherwise), with fakes behind it. */
export async function startApp(options: TestAppOptions = {}): Promise<TestApp> {
  const session = options.session ?? new FakeSession();
  const inspector = new FakeSessionStore();
  inspector.refreshForbidden = true;
  const logger = new RecordingLogger();
  const app = createApp({
    session,
    inspector,
    logger,
    config: {
      adminToken: options.adminToken === undefined ? TOKEN : options.adminToken,
      clientId: 'test-bot',
      authPath: '/data/auth',
      sessionDir: '/data/auth/session-test-bot',
    },
    publicDir: PUBLIC_DIR,
    clock: new FakeClock(Date.parse('2025-01-02T04:00:00.000Z')),
    ...options.overrides,
  });
  const host = options.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(0, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    session,
    inspector,
    logger,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
