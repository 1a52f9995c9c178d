#!/usr/bin/env node
// `npm run doctor`: the built doctor when the build is current; from the sources (tsx)
// otherwise, so it still answers, about today's code, where the build is what is broken.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildState } from './lib/build-state.mjs';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const built = path.join(root, 'dist', 'src', 'doctor.js');
const current = buildState(root, path.join('dist', 'src', 'doctor.js')) === 'current';
const hasTsx = existsSync(path.join(root, 'node_modules', 'tsx'));
const args = current || !hasTsx ? [built] : ['--import', 'tsx', path.join(root, 'src', 'doctor.ts')];
if (!existsSync(args[args.length - 1])) {
  process.stderr.write('The doctor is not built and tsx is not installed. To resolve, run: npm ci && npm run build\n');
  process.exit(2);
}
const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (run.error) {
  process.stderr.write(`The doctor could not run (${run.error.message}). To resolve, run: npm run build\n`);
  process.exit(2);
}
process.exit(run.status ?? 1);
