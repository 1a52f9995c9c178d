import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../test/support/daemon';

const words = (value: string): string[] => value.split(/\s+/).filter((w) => w.length > 0);

/**
 * The node flags of render.yaml's `startCommand: node [flags] dist/src/main.js`, so the bench and
 * the soak run the daemon as Render runs it.
 */
export function renderStartFlags(): string[] {
  const file = path.join(REPO_ROOT, 'render.yaml');
  const command = existsSync(file) ? /^\s*startCommand:\s*(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1] : undefined;
  const parts = words((command ?? '').replace(/^["']|["']$/g, ''));
  const nodeAt = parts.indexOf('node');
  const mainAt = parts.findIndex((w) => w.endsWith('dist/src/main.js'));
  return nodeAt !== -1 && mainAt > nodeAt ? parts.slice(nodeAt + 1, mainAt) : [];
}

/** Variables of the runtime itself (not the daemon's configuration) that render.yaml sets. */
const RUNTIME_VARIABLES = /^MALLOC_/;

/** `K=V K2=V2` as an environment. */
export function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    words(text).map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--daemon-env takes K=V pairs (got "${pair}")`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** What render.yaml's first service sets for the runtime (e.g. MALLOC_ARENA_MAX), so the bench runs with it too. */
export function renderRuntimeEnv(): Record<string, string> {
  const file = path.join(REPO_ROOT, 'render.yaml');
  if (!existsSync(file)) return {};
  const blueprint = parse(readFileSync(file, 'utf8')) as { services?: Array<{ envVars?: Array<{ key?: unknown; value?: unknown }> }> };
  const env: Record<string, string> = {};
  for (const { key, value } of blueprint.services?.[0]?.envVars ?? []) {
    if (typeof key !== 'string' || !RUNTIME_VARIABLES.test(key)) continue;
    if (typeof value === 'string' || typeof value === 'number') env[key] = String(value);
  }
  return env;
}
