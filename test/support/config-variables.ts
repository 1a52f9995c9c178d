/**
 * What the configuration loader reads, taken from the loader itself, for the tests that hold
 * `.env.example` and docs/configuration.md to it (test/unit/config/env-example.test.ts,
 * test/unit/config/config-docs.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EnvReader } from '../../src/config/env-reader';
import { loadConfig } from '../../src/config/load-config';

export const ROOT = path.resolve(__dirname, '..', '..');

/** Set so the reads that depend on them happen too (the database settings are read only with DATABASE_URL). */
const SWITCHES: Readonly<Record<string, string>> = { DATABASE_URL: 'postgres://db.example/wa' };

/** A default and limits as the loader states them, through the EnvReader method it reads with. */
export type LoaderSetting =
  | { readonly kind: 'raw' }
  | { readonly kind: 'string'; readonly fallback: string }
  | { readonly kind: 'boolean'; readonly fallback: boolean }
  | { readonly kind: 'integer'; readonly fallback: number; readonly min: number; readonly max: number }
  | { readonly kind: 'oneOf'; readonly fallback: string; readonly allowed: readonly string[] };

/**
 * Every name loadConfig looks up, with the default and limits it states: the environment it is
 * handed records each read (so no name is missed, however it is read), and EnvReader's typed
 * methods are wrapped for the call to record their arguments (so the defaults are the loader's
 * own values, not a copy). A name only ever read raw states no default.
 */
export function loaderSettings(): Map<string, LoaderSetting> {
  const settings = new Map<string, LoaderSetting>();
  const env = new Proxy<Record<string, string | undefined>>(
    {},
    {
      get(_target, name) {
        if (typeof name !== 'string') return undefined;
        if (!settings.has(name)) settings.set(name, { kind: 'raw' });
        return SWITCHES[name];
      },
    },
  );
  const proto = EnvReader.prototype;
  const saved = Object.getOwnPropertyDescriptors(proto);
  const original = {
    string: originalMethod('string'),
    boolean: originalMethod('boolean'),
    integer: originalMethod('integer'),
    oneOf: originalMethod('oneOf'),
  };
  proto.string = function (name, fallback) {
    settings.set(name, { kind: 'string', fallback });
    return original.string.call(this, name, fallback);
  };
  proto.boolean = function (name, fallback) {
    settings.set(name, { kind: 'boolean', fallback });
    return original.boolean.call(this, name, fallback);
  };
  proto.integer = function (name, fallback, min, max, hint) {
    settings.set(name, { kind: 'integer', fallback, min, max });
    return original.integer.call(this, name, fallback, min, max, hint);
  };
  proto.oneOf = function <T extends string>(this: EnvReader, name: string, allowed: readonly T[], fallback: T): T {
    settings.set(name, { kind: 'oneOf', fallback, allowed });
    return original.oneOf.call(this, name, allowed, fallback) as T;
  };
  try {
    loadConfig(env, { cwd: ROOT });
  } finally {
    Object.defineProperties(proto, saved);
  }
  return settings;
}

type Recorded = 'string' | 'boolean' | 'integer' | 'oneOf';
type Method<K extends Recorded> = (this: EnvReader, ...args: Parameters<EnvReader[K]>) => ReturnType<EnvReader[K]>;

/** EnvReader's own method, taken from its prototype's descriptor before the wrapping replaces it. */
function originalMethod<K extends Recorded>(key: K): Method<K> {
  const method = (Object.getOwnPropertyDescriptor(EnvReader.prototype, key) as TypedPropertyDescriptor<Method<K>> | undefined)?.value;
  if (method === undefined) throw new Error(`EnvReader has no method ${key}`);
  return method;
}

/**
 * The variables the env-file loader reads before the configuration is loaded. It takes the
 * environment as `env` and reads it as `env.NAME` (or `env['NAME']`); its source is parsed for
 * those reads because handing it a recording environment would also record the variables dotenv
 * itself looks at (DOTENV_CONFIG_DEBUG, DOTENV_CONFIG_QUIET), which are dotenv's, not ours.
 */
export function envFileVariables(): Set<string> {
  const source = readFileSync(path.join(ROOT, 'src', 'config', 'load-env-file.ts'), 'utf8');
  return new Set([...source.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)\b|\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\])/g)].map((m) => (m[1] ?? m[2])!));
}

/** Every environment variable the daemon's configuration reads: the loader's and the env file's. */
export function configVariables(): Set<string> {
  return new Set([...loaderSettings().keys(), ...envFileVariables()]);
}

/**
 * Variables `.env.example` documents in a comment instead of a `NAME=` line: a fallback of
 * CHROME_PATH, and the variable that names the env file (meaningless inside one).
 */
export const DOCUMENTED_IN_EXAMPLE_COMMENTS: ReadonlySet<string> = new Set(['PUPPETEER_EXECUTABLE_PATH', 'DOTENV_CONFIG_PATH']);

export function readEnvExample(): string {
  return readFileSync(path.join(ROOT, '.env.example'), 'utf8');
}

/** `NAME=value` lines of `.env.example`. */
export function envExampleValues(): Map<string, string> {
  return new Map([...readEnvExample().matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** Whether a comment line of `.env.example` names the variable. */
export function mentionedInEnvExampleComment(name: string): boolean {
  return readEnvExample()
    .split('\n')
    .some((line) => line.startsWith('#') && new RegExp(`\\b${name}\\b`).test(line));
}
