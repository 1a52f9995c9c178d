import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Where the kernel takes the local ports of outgoing connections (and of `listen(0)`): a port
 * found free there can be taken by any connection of a test running beside this one (a browser,
 * a fetch, a database client) in the moment before the daemon listens on it.
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low)) return low;
  } catch {
    // Not Linux: the IANA range, which other systems use.
  }
  return 49152;
}

const FIRST = 10_000;

function listenOnce(port: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolve(null) : reject(error)));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const taken = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(taken));
    });
  });
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, picked at random below the ephemeral range,
 * so that neither another test's outgoing connections nor its own `freePort()` are likely to take
 * it before it is used.
 */
export async function freePort(): Promise<number> {
  const span = ephemeralLow() - FIRST;
  if (span >= 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = await listenOnce(FIRST + Math.floor(Math.random() * span));
      if (port !== null) return port;
    }
  }
  const port = await listenOnce(0);
  if (port === null) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}
