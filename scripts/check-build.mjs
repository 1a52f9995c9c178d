#!/usr/bin/env node
// Runs before `npm start`: the start command runs dist/ as it is (no build at every start, and
// nothing between npm and node that could drop a signal), so say so clearly when dist/ is
// missing or older than the sources.
import path from 'node:path';
import { buildState } from './lib/build-state.mjs';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const state = buildState(root, path.join('dist', 'src', 'main.js'));
if (state === 'missing') {
  process.stderr.write('dist/ is missing: the daemon is not built. To resolve, run: npm run build (scripts/setup.sh does it too)\n');
  process.exit(1);
}
if (state === 'stale') {
  process.stderr.write('dist/ is older than src/: a change was not built. To resolve, run: npm run build\n');
  process.exit(1);
}
