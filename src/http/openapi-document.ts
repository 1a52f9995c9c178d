import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findPackageRoot } from '../common/package-root';

/** The API contract, in the repository as YAML (for people and diffs), served as JSON (for tools). */
export const OPENAPI_FILE = path.join(findPackageRoot(__dirname), 'openapi', 'wa-tether.yaml');

let cached: string | null = null;

/**
 * The document as a JSON string, read and parsed once, on first use: a daemon that nobody asks
 * for its contract never reads it, nor loads the YAML parser (72 modules). A missing or broken
 * file throws, and the request gets a 500.
 */
export function openApiJson(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  cached ??= JSON.stringify((require('yaml') as typeof import('yaml')).parse(readFileSync(OPENAPI_FILE, 'utf8')));
  return cached;
}
