import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type CheckResult, fail, pass, warn } from '../check';

const MIN_NODE_MAJOR = 20;

export function checkNode(version: string = process.versions.node): CheckResult {
  const major = Number(version.split('.')[0]);
  if (major >= MIN_NODE_MAJOR) return pass('node', `v${version}`);
  return fail('node', `v${version} is too old`, `install Node ${MIN_NODE_MAJOR} or newer (scripts/setup.sh says how).`);
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The installed whatsapp-web.js against the exact version package.json pins. */
export function checkLibrary(root: string): CheckResult {
  const wanted = (readJson(path.join(root, 'package.json'))?.dependencies as Record<string, string> | undefined)?.['whatsapp-web.js'] ?? null;
  const installed = readJson(path.join(root, 'node_modules', 'whatsapp-web.js', 'package.json'))?.version;
  if (typeof installed !== 'string') return fail('library', 'whatsapp-web.js is not installed', 'run: npm ci (scripts/setup.sh does it).');
  if (wanted !== null && wanted !== installed) {
    return warn(
      'library',
      `whatsapp-web.js ${installed} is installed, package.json pins ${wanted}`,
      'run: npm ci, so the version the daemon was tested with is the one that runs.',
    );
  }
  return pass('library', `whatsapp-web.js ${installed}`);
}

/** Newest modification time of a .ts file under `dir`; 0 when there is none (an image ships dist/ only). */
function newestSource(dir: string): number {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** dist/ as `npm start` runs it. */
export function checkBuild(root: string): CheckResult {
  const entry = path.join(root, 'dist', 'src', 'main.js');
  let built: number;
  try {
    built = statSync(entry).mtimeMs;
  } catch {
    return fail('build', 'dist/src/main.js is missing: `npm start` has nothing to run', 'run: npm run build (scripts/setup.sh does it too).');
  }
  if (newestSource(path.join(root, 'src')) > built) {
    return warn('build', 'dist/ is older than src/: `npm start` would run the old code (and refuses to)', 'run: npm run build');
  }
  return pass('build', path.relative(root, entry));
}
