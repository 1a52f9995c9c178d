import pg from 'pg';
import type { Clock } from '../../common/clock';
import { AppError, describeError } from '../../common/errors';
import type { Logger } from '../../logging/logger';
import { PG_MIGRATIONS } from './pg-migrations';

/** What runs a query: the pool, or one connection inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>>;
}

export interface DatabaseHealth {
  /** Null until the first answer (or failure); then whether the last query reached the server. */
  readonly reachable: boolean | null;
  /** The last connection failure, redacted to a message; null once the server answers again. */
  readonly lastError: string | null;
  /** The schema is up to date: stores work from then on. */
  readonly migrated: boolean;
}

export interface PgDatabaseOptions {
  readonly url: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Connections in the pool; the lease keeps its own. */
  readonly max?: number;
  /** A query that cannot get through this long is refused (DATABASE_UNAVAILABLE), not queued forever. */
  readonly waitMs?: number;
}

/** BIGINT columns hold ms since the epoch and sequence numbers: well inside 2^53, so numbers. */
const INT8_OID: number = pg.types.builtins.INT8;
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): ((value: string) => unknown) =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : (pg.types.getTypeParser(oid, format) as (value: string) => unknown)) as typeof pg.types.getTypeParser,
};

/** Errors that mean "the server could not be reached", not "the query was wrong". */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections, 08xxx connection exceptions.
  if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|57P0[123]|53300|08...)$/.test(code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect|not queryable|Query read timeout/i.test(
    error.message,
  );
}

/** A pool with its own connection per caller: the lease must never wait behind the outbox. */
export function createPool(url: string, max: number, logger: Logger, name: string, queryTimeoutMs = 15_000): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: Math.min(5_000, queryTimeoutMs),
    idleTimeoutMillis: 30_000,
    // A server that stops answering mid-query must not hold a caller forever.
    query_timeout: queryTimeoutMs,
    keepAlive: true,
    application_name: `wa-tether ${name}`,
    types: TYPES,
  });
  // An idle connection the server drops (a restart, a failover) is reported here; with no
  // listener, pg's EventEmitter would throw it and end the process.
  pool.on('error', (error) => logger.debug(`an idle ${name} connection to the database closed`, { error: describeError(error) }));
  return pool;
}

/**
 * The PostgreSQL database behind DATABASE_URL: a pool, its schema brought up to date in code
 * (`pg-migrations.ts`), and whether the server answers. Stores wait for the schema before their
 * first query; while the server is away they fail fast with DATABASE_UNAVAILABLE.
 */
export class PgDatabase implements Queryable {
  readonly pool: pg.Pool;
  private readonly log: Logger;
  private health: DatabaseHealth = { reachable: null, lastError: null, migrated: false };
  private readyPromise: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: PgDatabaseOptions) {
    this.log = options.logger.child({ component: 'database' });
    this.pool = createPool(options.url, options.max ?? 5, this.log, 'stores');
  }

  status(): DatabaseHealth {
    return this.health;
  }

  /**
   * Connects and migrates, retrying (1 s, doubling to 15 s) until the server answers; every call
   * shares one attempt. Resolves once the schema is current.
   */
  ready(): Promise<void> {
    this.readyPromise ??= this.connectAndMigrate();
    return this.readyPromise;
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>> {
    await this.waitForSchema();
    return this.observe(() => this.pool.query<R>(text, values as unknown[] | undefined));
  }

  /** Runs `work` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  async transaction<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    await this.waitForSchema();
    return this.observe(async () => {
      const client = await this.pool.connect();
      const connection = watchConnection(client);
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        broken = connection.dropped() || isConnectionError(error);
        if (!broken) await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        connection.stop();
        // A connection that failed mid-transaction is not handed to the next caller.
        client.release(broken || connection.dropped() ? true : undefined);
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool.end().catch(() => undefined);
  }

  /** Records reachability around a query; a connection failure becomes DATABASE_UNAVAILABLE. */
  private async observe<T>(run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      this.markReachable();
      return result;
    } catch (error) {
      if (!isConnectionError(error)) {
        this.markReachable();
        throw error;
      }
      this.markUnreachable(error);
      throw unavailable(error);
    }
  }

  private markReachable(): void {
    if (this.health.reachable === true) return;
    if (this.health.reachable === false) this.log.info('The database answers again');
    this.health = { ...this.health, reachable: true, lastError: null };
  }

  private markUnreachable(error: unknown): void {
    if (this.health.reachable !== false) this.log.warn('The database is not reachable', { error: describeError(error) });
    this.health = { ...this.health, reachable: false, lastError: describeError(error) };
  }

  private async waitForSchema(): Promise<void> {
    if (this.health.migrated) return;
    const waitMs = this.options.waitMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(new Error(this.health.lastError ?? 'still connecting'))), waitMs);
    });
    try {
      await Promise.race([this.ready(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async connectAndMigrate(): Promise<void> {
    let delayMs = 1_000;
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await this.observe(() => migrate(this.pool));
        this.health = { ...this.health, migrated: true };
        this.log.info(`Database schema at version ${PG_MIGRATIONS.length}`);
        return;
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'DATABASE_UNAVAILABLE')) throw error;
        if (attempt === 1) this.log.warn(`Waiting for the database (retrying every few seconds): ${describeError(error)}`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(15_000, delayMs * 2);
      }
    }
    throw new AppError('DATABASE_UNAVAILABLE', 'The database was closed before it became reachable.');
  }
}

/**
 * A checked-out client has no 'error' listener (the pool takes its own off until release): if the
 * connection drops meanwhile (the server stops or dies, the network resets), pg emits 'error' with
 * none and the process ends. This listens for it; the query waiting on the connection fails anyway.
 */
function watchConnection(client: pg.PoolClient): { dropped(): boolean; stop(): void } {
  let dropped = false;
  const onError = (): void => {
    dropped = true;
  };
  client.on('error', onError);
  return { dropped: () => dropped, stop: () => void client.off('error', onError) };
}

function unavailable(cause: unknown): AppError {
  return new AppError(
    'DATABASE_UNAVAILABLE',
    `The database is not reachable (${describeError(cause)}), so this was most likely not done. Retry in a few seconds (a message sent again with the same Idempotency-Key is never accepted twice). If it lasts, check DATABASE_URL and the database server.`,
    { cause },
  );
}

/**
 * Applies the steps a database has not had, each in its own transaction under an advisory lock,
 * so two hosts starting at once never run a step twice.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  for (;;) {
    const client = await pool.connect();
    const connection = watchConnection(client);
    let done = false;
    try {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('wa_tether_migrations'))`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS wa_tether_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
      const { rows } = await client.query<{ version: number | null }>('SELECT MAX(version) AS version FROM wa_tether_migrations');
      const current = rows[0]?.version ?? 0;
      if (current > PG_MIGRATIONS.length) {
        throw new AppError(
          'STORAGE_FAILED',
          `The database's wa-tether schema is at version ${current}, newer than this wa-tether knows (${PG_MIGRATIONS.length}). To resolve, run the newer wa-tether.`,
        );
      }
      if (current === PG_MIGRATIONS.length) {
        done = true;
      } else {
        await client.query(PG_MIGRATIONS[current] as string);
        await client.query('INSERT INTO wa_tether_migrations (version) VALUES ($1)', [current + 1]);
      }
      await client.query('COMMIT');
    } catch (error) {
      if (!connection.dropped()) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      connection.stop();
      client.release(connection.dropped() ? true : undefined);
    }
    if (done) return;
  }
}
