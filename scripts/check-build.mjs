#!/usr/bin/env node
// Runs before `npm start`: the start command runs dist/ as it is (no build at every start, and
// nothing between npm and node that could drop a signal), so say so clearly when dist/ is
// missing or older than the sources.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const entry = path.join(root, 'dist', 'src', 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

let built;
try {
  built = statSync(entry).mtimeMs;
} catch {
  process.stderr.write('dist/ is missing: the daemon is not built. To resolve, run: npm run build (scripts/setup.sh does it too)\n');
  process.exit(1);
}
if (newestSource(path.join(root, 'src')) > built) {
  process.stderr.write('dist/ is older than src/: a change was not built. To resolve, run: npm run build\n');
  process.exit(1);
}
