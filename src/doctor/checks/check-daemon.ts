import { createServer } from 'node:net';
import type { HealthBody } from '../../http/bodies';
import { type CheckResult, fail, pass, skip, warn } from '../check';

const ASK_TIMEOUT_MS = 3_000;

type PortState = { readonly kind: 'free' } | { readonly kind: 'taken' } | { readonly kind: 'refused'; readonly code: string };

function tryListen(host: string, port: number): Promise<PortState> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'EADDRINUSE' ? { kind: 'taken' } : { kind: 'refused', code: error.code ?? 'error' }),
    );
    server.listen(port, host, () => server.close(() => resolve({ kind: 'free' })));
  });
}

/** Where a client on this machine reaches a server listening on `host`. */
function localAddress(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The public health only: whatever listens on the port may not be wa-tether (another user's
 * program bound it while the daemon was down), so the token is never sent to it.
 */
async function askHealth(host: string, port: number): Promise<HealthBody | null> {
  try {
    const res = await fetch(`http://${localAddress(host)}:${port}/api/health`, { signal: AbortSignal.timeout(ASK_TIMEOUT_MS) });
    const body = (await res.json()) as Partial<HealthBody>;
    return typeof body.whatsapp === 'string' && typeof body.status === 'string' ? (body as HealthBody) : null;
  } catch {
    return null;
  }
}

const STATE_FIX: Readonly<Record<string, string>> = {
  qr: 'scan the QR at /qr (WhatsApp > Linked devices > Link a device).',
  starting: 'wait: WhatsApp Web is loading.',
  authenticated: 'wait: WhatsApp is syncing the account.',
  reconnecting: 'wait for the reconnect; if it keeps failing, the log says why.',
  logged_out: 'wait for the fresh QR, then scan it at /qr.',
};

/** Whether the port is free, and when a daemon runs on it, what its health says. */
export async function checkPortAndDaemon(options: {
  host: string;
  port: number;
}): Promise<{ readonly results: readonly CheckResult[]; readonly daemonAnswers: boolean }> {
  const { host, port } = options;
  if (port === 0)
    return {
      results: [pass('port', 'PORT 0: the system picks a free port at start'), skip('daemon', 'cannot be found on PORT 0')],
      daemonAnswers: false,
    };
  const state = await tryListen(host, port);
  if (state.kind === 'refused') {
    const fix =
      state.code === 'EACCES'
        ? 'ports below 1024 need root: use PORT=3000 or higher.'
        : state.code === 'EADDRNOTAVAIL'
          ? `HOST ${host} is not an address of this machine: use 0.0.0.0 or 127.0.0.1.`
          : 'set PORT and HOST to an address this machine can listen on.';
    return {
      results: [fail('port', `cannot listen on ${host}:${port} (${state.code})`, fix), skip('daemon', 'no port to ask on')],
      daemonAnswers: false,
    };
  }
  if (state.kind === 'free')
    return {
      results: [pass('port', `${host}:${port} is free`), skip('daemon', `not running: nothing answers on port ${port}`)],
      daemonAnswers: false,
    };
  const health = await askHealth(host, port);
  if (health === null) {
    return {
      results: [
        fail('port', `${host}:${port} is taken by a program that is not wa-tether`, 'stop that program, or set PORT to a free port.'),
        skip('daemon', 'not reachable'),
      ],
      daemonAnswers: false,
    };
  }
  const said = health.stateMessage === undefined ? '' : `: ${health.stateMessage}`;
  const daemon =
    health.status === 'pass'
      ? pass('daemon', `running, ${health.whatsapp}${said}`)
      : health.status === 'warn'
        ? warn('daemon', `running, ${health.whatsapp}${said}`, STATE_FIX[health.whatsapp] ?? 'see the log.')
        : fail(
            'daemon',
            `running, health fails (${health.whatsapp})${said}`,
            'restart it (the log says why it gave up); a process manager restarts it by itself.',
          );
  return { results: [pass('port', `${host}:${port} is the running wa-tether's`), daemon], daemonAnswers: true };
}
