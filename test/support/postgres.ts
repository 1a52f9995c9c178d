/**
 * A real PostgreSQL server for the tests: Debian's binaries, `initdb` + `pg_ctl` in a temporary
 * directory, listening on a loopback port only, stopped and deleted afterwards. Never a mock.
 *
 * PostgreSQL refuses to run as root, and CI runs as root: there the server runs as the
 * `postgres` user the Debian package creates, in a directory that user owns.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port';

/** Where `scripts/install-system-packages.sh` puts the server (Debian's `postgresql`). */
function findBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? null : path.join(root, versions[0] as string, 'bin');
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

function runAs(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(
      "Running as root and there is no `postgres` user to run the test database as. To resolve, install Debian's postgresql (bash scripts/setup.sh --tests).",
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Why the database tests cannot run here, or null when they can. Said loudly by the caller. */
export function postgresUnavailable(): string | null {
  return findBinDir() === null
    ? 'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): the PostgreSQL tests are SKIPPED. To run them: bash scripts/setup.sh --tests'
    : null;
}

function run(bin: string, args: readonly string[], as: RunAs | null, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(as ? { uid: as.uid, gid: as.gid } : {}),
      // The server's environment: nothing of the test run's (tokens, DATABASE_URL).
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' },
      cwd: '/',
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(bin)} ${args.join(' ')} exited ${code}: ${out.trim()}`));
    });
  });
}

export class TestPostgres {
  private constructor(
    private readonly bin: string,
    private readonly root: string,
    private readonly dataDir: string,
    readonly port: number,
    private readonly as: RunAs | null,
  ) {}

  /** initdb in a temp dir and start the server on 127.0.0.1:<free port>. */
  static async start(): Promise<TestPostgres> {
    const bin = findBinDir();
    if (bin === null) throw new Error(postgresUnavailable() ?? 'PostgreSQL not found');
    const as = runAs();
    const root = await mkdtemp(path.join(os.tmpdir(), 'wa-tether-pg-'));
    if (as) chownSync(root, as.uid, as.gid);
    const dataDir = path.join(root, 'data');
    await run(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'wa', '-A', 'trust', '--no-sync', '-E', 'UTF8'], as);
    const server = new TestPostgres(bin, root, dataDir, await freePort(), as);
    await server.startServer();
    await run(path.join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(server.port), '-U', 'wa', 'wa_tether'], as);
    return server;
  }

  /** A URL for the test database; `database` other than the default is created first. */
  url(database = 'wa_tether'): string {
    return `postgres://wa@127.0.0.1:${this.port}/${database}`;
  }

  /** A fresh, empty database on this server: one per test keeps the tests apart. */
  async createDatabase(name: string): Promise<string> {
    await run(path.join(this.bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'wa', name], this.as);
    return this.url(name);
  }

  private async startServer(): Promise<void> {
    // Loopback TCP only, the socket directory inside the temp dir, fsync off (a test database).
    const options = `-c listen_addresses=127.0.0.1 -p ${this.port} -k ${this.root} -c fsync=off -c full_page_writes=off -c max_connections=60`;
    await run(
      path.join(this.bin, 'pg_ctl'),
      ['-D', this.dataDir, '-l', path.join(this.root, 'server.log'), '-o', options, '-w', '-t', '60', 'start'],
      this.as,
    );
  }

  /** Starts a stopped server again, on the same port with the same data. */
  async resume(): Promise<void> {
    await this.startServer();
  }

  /** Stops the server (fast: open connections are ended) and waits until it is gone. */
  async stopServer(): Promise<void> {
    await run(path.join(this.bin, 'pg_ctl'), ['-D', this.dataDir, '-m', 'fast', '-w', '-t', '60', 'stop'], this.as);
  }

  /** Stop, then start again on the same port with the same data: a database restart under a client. */
  async restart(downMs = 0): Promise<void> {
    await this.stopServer();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.startServer();
  }

  /** Stops the server and deletes its directory. */
  async destroy(): Promise<void> {
    await this.stopServer().catch(() => undefined);
    await rm(this.root, { recursive: true, force: true });
  }
}
