import pg from 'pg';
import { describeError } from '../common/errors';
import type { Logger } from '../logging/logger';
import { LEASE_CHANNEL } from '../storage/postgres/pg-lease-table';

/**
 * A standby's ear on the database: a holder that hands the lease back announces it
 * (`pg_notify`), and the standby asks at once instead of at its next poll, so a deploy's gap
 * is a browser start, not a poll interval. Best effort: without it the poll still takes over.
 */
export async function listenForReleases(url: string, clientId: string, onRelease: () => void, logger: Logger): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: url, application_name: 'wa-tether lease-listener', keepAlive: true });
  // A dropped connection only means slower takeovers: never an unhandled error.
  client.on('error', (error) => logger.debug('the lease listener lost its connection; the poll goes on', { error: describeError(error) }));
  client.on('notification', (message) => {
    if (message.channel === LEASE_CHANNEL && message.payload === clientId) onRelease();
  });
  try {
    await client.connect();
    await client.query(`LISTEN ${LEASE_CHANNEL}`);
  } catch (error) {
    logger.debug('cannot listen for lease releases; the poll takes over alone', { error: describeError(error) });
    await client.end().catch(() => undefined);
    return async () => undefined;
  }
  return () => client.end().catch(() => undefined);
}
