// The Dockerfile cannot be built here (no registry for base images), so what can be checked
// without building is checked: it installs through the same script CI runs, starts the daemon
// exactly as npm start and render.yaml do, and copies only files that exist and are not ignored.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(): Instruction[] {
  const joined = read('Dockerfile')
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const space = line.indexOf(' ');
      return { op: line.slice(0, space).toUpperCase(), args: line.slice(space + 1).trim() };
    });
}

const all = (op: string): string[] =>
  instructions()
    .filter((i) => i.op === op)
    .map((i) => i.args);
const last = (op: string): string => {
  const found = all(op);
  assert.ok(found.length > 0, `the Dockerfile has no ${op}`);
  return found[found.length - 1]!;
};

/** The node command line of each way to start the daemon. */
function startCommands(): Record<string, string> {
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  const render = parseYaml(read('render.yaml')) as { services: Array<{ startCommand: string }> };
  const cmd = JSON.parse(last('CMD')) as string[];
  return {
    'package.json start': pkg.scripts.start!.replace(/^MALLOC_ARENA_MAX=\S+ /, '').replace(/^exec /, ''),
    'render.yaml startCommand': render.services[0]!.startCommand,
    'Dockerfile CMD': cmd.join(' '),
  };
}

describe('deployment files', () => {
  it('npm start, Render and the image start the daemon with the same node command', () => {
    const commands = startCommands();
    assert.equal(new Set(Object.values(commands)).size, 1, JSON.stringify(commands, null, 2));
    assert.match(commands['Dockerfile CMD']!, /^node (--[\w-]+(=\S+)? )*dist\/src\/main\.js$/);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.start!, /^(MALLOC_ARENA_MAX=\S+ )?exec node /, 'npm start execs node: no shell left to drop a signal');
  });

  it('npm start, Render and the image cap glibc at two malloc arenas, for node and its browser', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.start!, /^MALLOC_ARENA_MAX=\$\{MALLOC_ARENA_MAX:-2\} exec /, 'npm start: 2 unless the environment says otherwise');
    const render = parseYaml(read('render.yaml')) as { services: Array<{ envVars: Array<{ key: string; value?: string }> }> };
    assert.equal(render.services[0]!.envVars.find((v) => v.key === 'MALLOC_ARENA_MAX')?.value, '2');
    assert.match(last('ENV'), /\bMALLOC_ARENA_MAX=2\b/);
  });

  it('the image installs its system packages with the script CI runs through setup.sh', () => {
    const runs = all('RUN');
    assert.ok(
      runs.some((r) => /scripts\/install-system-packages\.sh build\b/.test(r)),
      'the build stage',
    );
    assert.ok(
      runs.some((r) => /scripts\/install-system-packages\.sh container\b/.test(r)),
      'the final stage',
    );
    assert.ok(!runs.some((r) => /apt-get install/.test(r)), 'no package list of its own');
    assert.match(read('scripts/setup.sh'), /scripts\/install-system-packages\.sh/);
    assert.match(read('.ci/run'), /scripts\/setup\.sh --tests/);
  });

  it('the container purpose installs everything the runtime one does (the image runs what the tests ran)', () => {
    const script = read('scripts/install-system-packages.sh');
    const wanted = (purpose: string): string[] => {
      const block = new RegExp(`\\n\\s+${purpose}\\)\\n([\\s\\S]*?);;`).exec(script);
      assert.ok(block, `no ${purpose} block`);
      return [...block[1]!.matchAll(/want (\S+)/g)].map((m) => m[1]!);
    };
    const container = new Set(wanted('container'));
    for (const pkg of wanted('runtime')) assert.ok(container.has(pkg), `container lacks ${pkg}`);
    assert.ok(container.has('tini'), 'an init that reaps the browser');
  });

  it('a service image: non-root, tini as PID 1, a volume for the auth path, a health check, SIGTERM', () => {
    const user = last('USER');
    assert.notEqual(user, 'root');
    assert.notEqual(user, '0');
    assert.deepEqual(JSON.parse(last('ENTRYPOINT')), ['tini', '--']);
    assert.deepEqual(JSON.parse(last('VOLUME')), ['/data']);
    const env = all('ENV').join(' ');
    assert.match(env, /AUTH_PATH=\/data\//, 'the session lives on the volume');
    assert.match(env, /WEB_CACHE_PATH=\/data\//);
    assert.match(last('HEALTHCHECK'), /\/api\/health/);
    assert.equal(last('STOPSIGNAL'), 'SIGTERM');
    assert.match(last('FROM'), /-(bookworm|trixie)-slim\b/, 'a Debian slim base');
  });

  it('every variable the image sets is one the daemon reads (and .env.example lists)', () => {
    const example = read('.env.example');
    const names = all('ENV')
      .join(' ')
      .split(/\s+/)
      .map((pair) => pair.split('=')[0]!)
      // The runtime's own, not the daemon's: node's, puppeteer's install step's and glibc's.
      .filter((name) => name !== '' && !['NODE_ENV', 'PUPPETEER_SKIP_DOWNLOAD', 'MALLOC_ARENA_MAX'].includes(name));
    assert.ok(names.length >= 5, names.join());
    for (const name of names) assert.match(example, new RegExp(`^#? ?${name}=`, 'm'), `${name} is not in .env.example`);
  });

  it('every file the image copies from the context exists and is not excluded by .dockerignore', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'));
    for (const copy of all('COPY').filter((args) => !args.includes('--from='))) {
      const parts = copy.split(/\s+/).filter((part) => !part.startsWith('--'));
      for (const source of parts.slice(0, -1)) {
        assert.ok(existsSync(path.join(ROOT, source)), `COPY ${source}: no such file`);
        const top = source.split('/')[0]!;
        assert.ok(!ignored.includes(top) && !ignored.includes(source), `COPY ${source} is excluded by .dockerignore`);
      }
    }
  });

  it('.dockerignore keeps sessions, secrets and local builds out of the image', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    for (const entry of ['.env', '.wwebjs_auth', '.wwebjs_cache', 'node_modules', 'dist', '.git']) assert.ok(ignored.includes(entry), entry);
    assert.ok(ignored.includes('!.env.example'));
  });

  it('render.yaml documents the Docker runtime beside the native one', () => {
    const text = read('render.yaml');
    assert.match(text, /^#\s+runtime: docker$/m);
    assert.match(text, /^#\s+dockerfilePath: \.\/Dockerfile$/m);
    const native = parseYaml(text) as { services: Array<{ runtime: string; healthCheckPath: string }> };
    assert.equal(native.services[0]!.runtime, 'node');
    assert.equal(native.services[0]!.healthCheckPath, '/api/health');
  });

  it("render.yaml's PostgreSQL variant: no disk, DATABASE_URL from the Render Postgres it declares, the same start and health check", () => {
    interface Blueprint {
      services: Array<{
        runtime: string;
        startCommand: string;
        healthCheckPath: string;
        disk?: unknown;
        envVars: Array<{ key: string; fromDatabase?: { name: string; property: string } }>;
      }>;
      databases?: Array<{ name: string; ipAllowList?: unknown[] }>;
    }
    const postgres = parseYaml(postgresVariant()) as Blueprint;
    const disk = parseYaml(read('render.yaml')) as Blueprint;
    const service = postgres.services[0]!;
    assert.equal(service.disk, undefined, 'no disk');
    assert.equal(service.startCommand, disk.services[0]!.startCommand);
    assert.equal(service.healthCheckPath, '/api/health');
    const url = service.envVars.find((v) => v.key === 'DATABASE_URL');
    assert.deepEqual(url?.fromDatabase?.property, 'connectionString');
    const database = postgres.databases?.find((d) => d.name === url?.fromDatabase?.name);
    assert.ok(database, 'the database DATABASE_URL names is declared');
    assert.deepEqual(database.ipAllowList, [], 'reachable from the private network only');
    assert.ok(!service.envVars.some((v) => v.key === 'AUTH_PATH'), 'no AUTH_PATH on a disk that is not there');
  });

  it('docs/cluster.md shows the PostgreSQL variant as it is in render.yaml', () => {
    const page = read('docs/cluster.md');
    const start = page.indexOf('<!-- render.yaml: the PostgreSQL variant -->');
    assert.ok(start >= 0, 'docs/cluster.md has the blueprint');
    const block = /```yaml\n([\s\S]*?)```/.exec(page.slice(start));
    assert.ok(block);
    assert.deepEqual(parseYaml(block[1]!), parseYaml(postgresVariant()));
  });
});

/** The commented PostgreSQL variant at the end of render.yaml, uncommented. */
function postgresVariant(): string {
  const text = read('render.yaml');
  const start = text.indexOf('# --- The PostgreSQL variant');
  assert.ok(start >= 0, 'render.yaml has the PostgreSQL variant');
  const lines = text
    .slice(start)
    .split('\n')
    .filter((line) => line.startsWith('#  '));
  return lines.map((line) => line.slice(3)).join('\n');
}
